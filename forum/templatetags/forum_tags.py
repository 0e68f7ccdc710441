from __future__ import annotations

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def safe_url(value: str) -> str:
    """The URL if it is an http(s) link, else nothing: member-supplied hrefs never run code."""
    value = (value or "").strip()
    return value if urlsplit(value).scheme.lower() in {"http", "https"} else ""
