"""Query filters of the API lists (django-filter)."""

from __future__ import annotations

import django_filters

from forum import policy, selectors
from forum.models import Notification, Post, Thread


class ThreadFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__slug", max_length=100)
    author = django_filters.CharFilter(field_name="author__username", max_length=150)
    pinned = django_filters.BooleanFilter(field_name="is_pinned")
    locked = django_filters.BooleanFilter(field_name="is_locked")
    updated_since = django_filters.IsoDateTimeFilter(field_name="last_activity", lookup_expr="gt")

    class Meta:
        model = Thread
        fields = ["category", "author", "pinned", "locked", "updated_since"]


class PostFilter(django_filters.FilterSet):
    author = django_filters.CharFilter(method="filter_author", max_length=150)
    since = django_filters.IsoDateTimeFilter(method="filter_since")

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
