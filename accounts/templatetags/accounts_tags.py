from __future__ import annotations

from django import template
from django.utils.html import format_html

from accounts import avatars

register = template.Library()

# Shown sizes in CSS pixels; the files are twice as large or more, for sharp screens.
SHOWN = {"large": 96, "small": 40}


@register.simple_tag
def avatar(member, size: str = "small") -> str:
    """A member's avatar: their picture, or an initial on a colour of its own. Decorative
    (alt="" / aria-hidden): the member's name is always written next to it."""
    shown = SHOWN[size]
    picture = member.avatar if size == "large" else member.avatar_small
    if picture:
        return format_html(
            '<img class="avatar avatar-{}" src="{}" width="{}" height="{}" alt="" loading="lazy">',
            size,
            picture.url,
            shown,
            shown,
        )
    return format_html(
        '<span class="avatar avatar-{} avatar-default avatar-c{}" aria-hidden="true">{}</span>',
        size,
        avatars.colour(member.username),
        avatars.initial(member.name),
    )
