"""Query filters of the API lists (django-filter)."""

from __future__ import annotations

import re
from datetime import timedelta

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from forum import policy, selectors
from forum.models import Notification, Post, Thread

# PostgreSQL's timestamptz accepts offsets up to +-15:59; Python's datetime up to +-23:59.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)
# RFC 3339's date-time, what the schema's `format: date-time` means. django-filter's parser
# also reads a date alone, no offset, a space for the T, "2024-W01", white space around it and
# digits of other scripts (`\d`), all of which the schema calls invalid.
RFC3339_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class CheckedIsoDateTimeField(IsoDateTimeField):
    """An RFC 3339 date-time whose UTC offset PostgreSQL can store: "+18:00" is a 400 with a
    field message, not a database error."""

    def to_python(self, value):
        if isinstance(value, str) and value:
            if not RFC3339_DATE_TIME.fullmatch(value):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            value = value.upper()  # RFC 3339 allows "t" and "z"; Python's parser does not
        return super().to_python(value)

    def clean(self, value):
        value = super().clean(value)
        offset = value.utcoffset() if value is not None else None
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise forms.ValidationError(
                "The time-zone offset must be between -15:59 and +15:59.", code="invalid"
            )
        return value


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """Every date filter of the API: ISO 8601 with a checked offset."""

    field_class = CheckedIsoDateTimeField


class StrictBooleanField(forms.Field):
    """true/false (or 1/0): anything else is a 400 naming the parameter. django-filter's own
    reads "maybe" as "no filter" and answers the whole, unfiltered list."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word in ("true", "1"):
            return True
        if word in ("false", "0"):
            return False
        raise forms.ValidationError("Use true or false.", code="invalid_choice")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StrictFilterSet(django_filters.FilterSet):
    """A parameter that is present must have a value: `?updated_since=` is a 400, not an
    unfiltered list that a client would take for a filtered one."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if name not in self.data:
                continue
            value = str(self.data.get(name, ""))
            if not value.strip():
                self.form.add_error(
                    name,
                    forms.ValidationError("Give a value or leave the parameter out.", code="blank"),
                )
                valid = False
            # The schema's maxLength counts the value as sent; the form's check counts it
            # trimmed (150 characters and a space passed an author of at most 150).
            elif (limit := filter_.extra.get("max_length")) is not None and len(value) > limit:
                if name in self.form.errors:
                    continue
                self.form.add_error(
                    name,
                    forms.ValidationError(
                        "Ensure this value has at most %(limit)d characters.",
                        code="max_length",
                        params={"limit": limit},
                    ),
                )
                valid = False
        return valid


class ThreadFilter(StrictFilterSet):
    category = django_filters.CharFilter(field_name="category__slug", max_length=100)
    author = django_filters.CharFilter(field_name="author__username", max_length=150)
    pinned = BooleanFilter(field_name="is_pinned")
    locked = BooleanFilter(field_name="is_locked")
    updated_since = IsoDateTimeFilter(field_name="last_activity", lookup_expr="gt")

    class Meta:
        model = Thread
        fields = ["category", "author", "pinned", "locked", "updated_since"]


class PostFilter(StrictFilterSet):
    author = django_filters.CharFilter(method="filter_author", max_length=150)
    since = IsoDateTimeFilter(method="filter_since")

    class Meta:
        model = Post
        fields = ["author", "since"]

    def filter_author(self, queryset, name, value):
        # Placeholders keep their place in a thread, but must not tell who wrote a hidden post:
        # only posts whose author the viewer may see are matched by author.
        return queryset.filter(policy.readable_posts_q(self.request.user), author__username=value)

    def filter_since(self, queryset, name, value):
        # Placeholders must not be dated by bisection: see selectors.posts_since.
        return selectors.posts_since(queryset, user=self.request.user, since=value)


class NotificationFilter(StrictFilterSet):
    unread = BooleanFilter(field_name="read", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["unread"]
