from __future__ import annotations

import django_filters

from moderation.models import Report, Review


class ReportFilter(django_filters.FilterSet):
    resolved = django_filters.BooleanFilter(
        field_name="resolved", lookup_expr="isnull", exclude=True
    )
    reason = django_filters.ChoiceFilter(choices=Report.Reason.choices)
    outcome = django_filters.ChoiceFilter(choices=Report.Outcome.choices[1:])

    class Meta:
        model = Report
        fields = ["resolved", "reason", "outcome"]


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Review.Status.choices)

    class Meta:
        model = Review
        fields = ["status"]
