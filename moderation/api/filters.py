from __future__ import annotations

import django_filters

from forum.api.filters import BooleanFilter, StrictFilterSet
from moderation.models import Report, Review


# Strict like the forum's lists: `?resolved=maybe` is a 400, not the unfiltered list.
class ReportFilter(StrictFilterSet):
    resolved = BooleanFilter(field_name="resolved", lookup_expr="isnull", exclude=True)
    reason = django_filters.ChoiceFilter(choices=Report.Reason.choices)
    outcome = django_filters.ChoiceFilter(choices=Report.Outcome.choices[1:])

    class Meta:
        model = Report
        fields = ["resolved", "reason", "outcome"]


class ReviewFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=Review.Status.choices)

    class Meta:
        model = Review
        fields = ["status"]
