from __future__ import annotations

from django import template

from forum import policy
from moderation import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def moderation_queue_counts(context) -> dict | None:
    """Urgent and pending counts for the admin index, for moderators only (two queries)."""
    request = context.get("request")
    if request is None or not policy.can_moderate(request.user):
        return None
    return selectors.queue_counts()
