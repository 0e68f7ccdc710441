"""Request types for views that only signed-in members reach.

Django types ``request.user`` as ``User | AnonymousUser``; behind ``login_required`` (or DRF's
``IsAuthenticated``) it is always a member, and services that write take a ``User``. Annotating
such a view's request with these types says so once, where the guarantee is made, instead of
narrowing with ``isinstance`` or ``cast`` at every call.
"""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """An ``HttpRequest`` past ``login_required``."""

    user: User


class AuthenticatedRequest(Request):
    """A DRF ``Request`` past ``IsAuthenticated`` (or a permission that implies it)."""

    user: User
