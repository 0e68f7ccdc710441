"""Values every page's layout needs."""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest

from forum import selectors


def notifications(request: HttpRequest) -> dict:
    """`unread_notifications` for the header's count: counted once, and only by pages that
    show it (a callable: templates call it on first use)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def unread_notifications() -> int:
        return selectors.header_unread_count(user=user)

    return {"unread_notifications": unread_notifications}
