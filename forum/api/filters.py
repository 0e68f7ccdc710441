"""Query filters of the API lists (django-filter)."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from forum import policy, selectors
from forum.models import Notification, Post, Thread

# PostgreSQL's timestamptz accepts offsets up to +-15:59; Python's datetime up to +-23:59.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


class CheckedIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time whose UTC offset PostgreSQL can store: "+18:00" is a 400 with a
    field message, not a database error."""

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


class ThreadFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__slug", max_length=100)
    author = django_filters.CharFilter(field_name="author__username", max_length=150)
    pinned = django_filters.BooleanFilter(field_name="is_pinned")
    locked = django_filters.BooleanFilter(field_name="is_locked")
    updated_since = IsoDateTimeFilter(field_name="last_activity", lookup_expr="gt")

    class Meta:
        model = Thread
        fields = ["category", "author", "pinned", "locked", "updated_since"]


class PostFilter(django_filters.FilterSet):
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


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["unread"]
