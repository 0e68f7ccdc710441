"""Post markup: CommonMark rendered once at write time, then sanitised by an allow-list."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# Raw HTML in a post is shown as text: html=False makes markdown-it escape it.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable("image")

ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "ul",
    "div",
    "span",
    "cite",
    "footer",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "blockquote": {"class", "data-post"},
    "div": {"class"},
    "span": {"class"},
    "cite": {"class"},
    "footer": {"class"},
    "ol": {"start"},
    "code": {"class"},
}


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )


def render_markdown(source: str) -> str:
    return sanitize(_md.render(source))
