from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import User

# Writing last_seen on every request would turn every page view into a write; once every few
# minutes is precise enough for "last seen" and keeps reads read-only.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


class LastSeenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now()
            if user.last_seen is None or now - user.last_seen > LAST_SEEN_RESOLUTION:
                # request.user is a SimpleLazyObject for session users: ask the model, not
                # type(user), for the manager.
                User.objects.filter(pk=user.pk).update(last_seen=now)
                user.last_seen = now
        return response
