from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from forum import fragments, hooks, policy, quotes

register = template.Library()


@register.filter
def safe_url(value: str) -> str:
    """The URL if it is an http(s) link, else nothing: member-supplied hrefs never run code."""
    value = (value or "").strip()
    return value if urlsplit(value).scheme.lower() in {"http", "https"} else ""


_POST_TEMPLATES = {"notices": hooks.post_notice_templates, "actions": hooks.post_action_templates}


@register.simple_tag
def post_templates(slot: str) -> list[str]:
    """``{% post_templates "actions" as names %}``: the templates other apps add to a post
    (forum.hooks), included with the post's context."""
    return list(_POST_TEMPLATES[slot])


@register.simple_tag(takes_context=True)
def post_article(context, post) -> str:
    """``{% post_article post %}``: the post's whole article (forum/_post.html, through
    forum.fragments), from the cache when stored; the post went through fragments.prepare()
    with the page."""
    return fragments.render(post, context)


@register.simple_tag(takes_context=True)
def thread_rows(context, threads) -> str:
    """``{% thread_rows threads %}``: the rows of a list of threads (forum/_thread_row.html,
    through forum.fragments), from the cache when stored."""
    return fragments.render_rows(threads, context)


_RESULT = (
    '<article class="result"><a href="{}">{} #{}</a>\n'
    '  <span class="meta">by {}, {}</span>\n'
    "  <p>{}</p></article>"
)
_PK = 987654321  # a stand-in post id, to reverse the post URL once a page


@register.simple_tag
def search_results(posts) -> SafeString:
    """``{% search_results page.posts %}``: the search page's results.

    Built here, not in a template loop, which cost 3.5 to 4.6 ms of CPU for twenty results
    here (measured in process), against about 1 ms this way. Of what is left, reverse() for
    each post's URL and dateformat for each date took 1.4 ms each: the URL is reversed once a
    page with a stand-in id, and the date built from Django's own month names, as the "j M Y"
    of the `date` filter writes it. `title_html` and `snippet` are the search's escaped text
    with its own <mark> tags (forum.search); everything else is escaped here."""
    head, tail = reverse("forum:post", kwargs={"pk": _PK}).split(str(_PK))
    return format_html_join(
        "\n",
        _RESULT,
        (
            (
                f"{head}{post.pk}{tail}",
                post.title_html,
                post.number,
                post.author.name,
                _day(timezone.localtime(post.created)),
                post.snippet,
            )
            for post in posts
        ),
    )


def _day(moment: datetime) -> str:
    return f"{moment.day} {str(MONTHS_3[moment.month]).title()} {moment.year}"  # "7 Mar 2025"


@register.simple_tag
def post_time_slot() -> str:
    """Where forum.fragments puts the post's age into a stored fragment."""
    return mark_safe(fragments.TIME_SLOT)  # noqa: S308 (a constant)


# The policy, asked from templates: a template never re-derives who may see or do what.


@register.filter
def capabilities(post, user) -> policy.PostCapabilities:
    """``{% with caps=post|capabilities:user %}``: every answer of forum.policy for the post."""
    return policy.post_capabilities(user, post)


@register.filter
def thread_capabilities(thread, user) -> policy.ThreadCapabilities:
    return policy.thread_capabilities(user, thread)


@register.filter
def readable_html(post, user) -> str:
    """The post's HTML as `user` may read it (quotes of removed posts cut out); empty for a
    post the user may not read."""
    if not policy.can_view_post(user, post):
        return ""
    return quotes.render_post_html(post, user)


@register.filter
def placeholder_label(post) -> str:
    return policy.placeholder_label(post)


@register.filter
def page_links(page) -> list:
    """Numbered pages around the current one, first and last always: 1 … 4 5 [6] 7 8 … 20."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


@register.filter
def can_undelete(post, user) -> bool:
    return policy.can_undelete_post(user, post)


@register.filter
def reactions(post) -> list:
    """Every reaction kind with the post's count and whether the page's viewer reacted so."""
    from forum import selectors

    return selectors.post_reactions(post)


@register.filter
def author_blocked(post, user) -> bool:
    """The viewer blocked the post's author: the page collapses the post."""
    return policy.author_is_blocked(user, post)
