from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import User

# Writing last_seen on every request would turn every page view into a write; once every few
# minutes is precise enough for "last seen" and keeps reads read-only.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with `request.user` the user itself rather than a lazy object standing for it.
    Every request that gets this far reads the user anyway (LastSeenMiddleware, below, does),
    and a page asks forum.policy hundreds of questions of it: through SimpleLazyObject each
    attribute read was a proxy call, a fifth of a rendered thread page's CPU time. Without a
    session cookie no query is made (an API request signed in with a token included)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = auth_middleware.get_user(request)


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
