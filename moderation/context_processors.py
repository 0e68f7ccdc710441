"""What every page tells a sanctioned member: the suspension (until when, why) and recent
warnings. Costs nothing for other members: both are decided from the user's own row first.
And the crisis line that urgent notices show."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from moderation import sanctions


def member_sanctions(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    context: dict[str, object] = {}
    if user.is_suspended:
        context["suspension_message"] = sanctions.suspension_message(user)
    if user.warned is not None:
        context["moderator_warnings"] = sanctions.recent_warnings(user)
    return context


def notices(request: HttpRequest) -> dict:
    """The deployment's crisis line, shown with every urgent notice (STOA["CRISIS_LINE"])."""
    return {"crisis_line": settings.STOA["CRISIS_LINE"]}
