"""What every page tells a sanctioned member: the suspension (until when, why) and recent
warnings. Costs nothing for other members: both are decided from the user's own row first."""

from __future__ import annotations

from django.http import HttpRequest

from moderation import sanctions


def member_sanctions(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    context = {}
    if user.is_suspended:
        context["suspension_message"] = sanctions.suspension_message(user)
    if user.warned is not None:
        context["moderator_warnings"] = sanctions.recent_warnings(user)
    return context
