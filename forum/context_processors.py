"""Values every page's layout needs."""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest

from forum import pagecache, selectors


def notifications(request: HttpRequest) -> dict:
    """`unread_notifications` for the header's count: counted once, and only by pages that
    show it (a callable: templates call it on first use)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def unread_notifications() -> int:
        # Kept under the content and reader versions: a new or read notification moves the
        # reader's, a post hidden since (not counted) the content's.
        return pagecache.for_reader(
            user.pk,
            "unread-notifications",
            lambda: selectors.notification_unread_count(user=user),
        )

    return {"unread_notifications": unread_notifications}
