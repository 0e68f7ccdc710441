"""Whole posts of the thread page, cached for signed-in readers too.

Rendering twenty posts through the template engine is most of what a signed-in thread page
costs. A post's article (header, text, reactions, the row of actions) is the same for every
reader to whom forum.policy gives the same answers, so it is rendered once and stored, keyed by:

- the content version of forum.pagecache, which every write readers can see moves forward
  (posts, threads, profiles, notices): a stored post is never served after a write, for the
  same reason a stored anonymous page is not;
- the post, and everything the article shows that depends on the viewer: each of
  forum.policy's answers for the post and for its thread (what they may see and which actions
  they are offered), whether they blocked its author (the post is shown collapsed), the state
  of each of its quotes for them (a quote of a post they may not read is cut out,
  forum.quotes), whether they bookmarked it, and the reaction counts with the ones they gave
  (counts live on the post's row and move without a content version: they are in the key).

So members with the same answers share the stored article: an ordinary member reading a
thread gets the posts another member already had rendered. Two things are put in per request:
the post's age ("3 minutes ago") at TIME_SLOT, and the viewer's CSRF token in the forms at
CSRF_SLOT (the article is rendered with a stand-in token). Templates that other apps add to a
post (forum.hooks) may read only the post, ``caps`` and ``thread_caps``. Like the page cache,
articles are kept only when the cache is shared by every process (PAGE_CACHE_SECONDS, on with
REDIS_URL).
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Iterable
from datetime import datetime

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.cache import cache
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from forum import pagecache, policy, quotes, selectors
from forum.models import Post
from forum.policy import AnyUser

TEMPLATE = "forum/_post.html"
# Where the post's age goes: an element that no escaped name and no sanitised post text can
# contain, and the header, which holds it, comes before the text.
TIME_SLOT = "<stoa-post-time></stoa-post-time>"
# What {% csrf_token %} writes for the stand-in token the article is rendered with: an <input>
# element, which sanitised post text cannot contain. Written as Django's tag writes it.
_CSRF_STAND_IN = "stoa-csrf-slot"
_CSRF_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
CSRF_SLOT = format_html(_CSRF_INPUT, _CSRF_STAND_IN)


def age(value: datetime) -> str:
    """naturaltime's "3 hours ago", escaped, for a post or a thread row. Past its first minute
    an age is worked out once a minute per worker and language and then reused (at most a
    minute behind, as a cached anonymous page is by up to PAGE_CACHE_SECONDS): humanize's
    timesince and its translated plurals were a tenth of a signed-in thread page's CPU."""
    now = time.time()
    if now - value.timestamp() < 60:  # "12 seconds ago" moves every second
        return str(conditional_escape(naturaltime(value)))
    return _age_this_minute(value, int(now // 60), get_language())


@functools.lru_cache(maxsize=4096)
def _age_this_minute(value: datetime, minute: int, language: str | None) -> str:
    # minute and language are only the key: the age is worked out now, in the active language.
    return str(conditional_escape(naturaltime(value)))


def _flags(values: Iterable[object]) -> str:
    return "".join("1" if value else "0" for value in values)


def _answers(capabilities: policy.PostCapabilities | policy.ThreadCapabilities) -> str:
    # Each answer in the order of the dataclass's fields, as dataclasses.astuple gives them,
    # without its deep copy of every value (10 us a call, twice per post of a page).
    return _flags(vars(capabilities).values())


def _key(
    version: int,
    post: Post,
    caps: policy.PostCapabilities,
    thread_caps: policy.ThreadCapabilities,
    user: AnyUser,
) -> str:
    viewer = [
        _answers(caps),
        _answers(thread_caps),
        _flags(
            (
                policy.can_undelete_post(user, post),
                policy.author_is_blocked(user, post),  # the post is shown collapsed
                getattr(post, "bookmarked", False),
            )
        ),
        ",".join(quotes.viewer_states(post, user) if caps.can_view else ()),
        ",".join(
            f"{r.kind}={r.count}{'*' if r.reacted else ''}" for r in selectors.post_reactions(post)
        ),
    ]
    digest = hashlib.sha256("|".join(viewer).encode()).hexdigest()[:16]
    return f"post-article:{version}:{post.pk}:{digest}"


def prepare(
    posts: Iterable[Post], *, user: AnyUser, thread_caps: policy.ThreadCapabilities
) -> None:
    """Give each post of a page `viewer_caps` (forum.policy's answers for `user`, asked once
    here for the page) and, with the cache on, its stored article (`fragment`, None when not
    stored yet) and `fragment_key`: one cache read for the whole page. `thread_caps` are the
    viewer's answers for the page's thread, as the page's context holds them. The posts come
    from selectors.thread_page: the rows only an article shows are read here, for the posts
    whose article is not stored (selectors.post_article_rows), so a page of stored articles
    reads none of them."""
    posts = list(posts)
    timeout = pagecache.seconds()
    keys = {}
    version = pagecache.version() if timeout and posts else 0
    selectors.quote_rows(posts)  # the key holds each quote's state
    for post in posts:
        post.viewer_caps = policy.post_capabilities(user, post)
        post.fragment = None
        post.fragment_key = (
            _key(version, post, post.viewer_caps, thread_caps, user) if timeout else None
        )
        if post.fragment_key:
            keys[post.pk] = post.fragment_key
    if keys:
        found = cache.get_many(list(keys.values()))
        for post in posts:
            post.fragment = found.get(post.fragment_key)
    selectors.post_article_rows([post for post in posts if post.fragment is None])


def render(post: Post, context) -> SafeString:
    """The post's article in the thread page's context (with `post` and `thread_caps`): the
    stored one, or rendered now (and stored), with the post's age and the viewer's CSRF token
    put in."""
    html = getattr(post, "fragment", None)
    if html is None:
        with context.push(post=post, csrf_token=_CSRF_STAND_IN):
            html = str(context.template.engine.get_template(TEMPLATE).render(context))
        key = getattr(post, "fragment_key", None)
        if key:
            cache.set(key, html, pagecache.seconds())
    html = html.replace(TIME_SLOT, age(post.created), 1)
    if CSRF_SLOT in html:
        # Only where the article has a form: asking for the token sets the CSRF cookie, and
        # an answer that sets a cookie is never stored by the page cache.
        token = context.get("csrf_token")
        # "NOTPROVIDED": what Django's context processor gives without a request.
        provided = token and token != "NOTPROVIDED"  # noqa: S105 (not a password)
        csrf = format_html(_CSRF_INPUT, token) if provided else ""
        html = html.replace(CSRF_SLOT, csrf)
    return mark_safe(html)  # noqa: S308 (rendered by a template; the age and token escaped)


# --- thread rows (the index, category pages and followed threads) ---------------------------

ROW_TEMPLATE = "forum/_thread_row.html"


def _row_key(version: int, thread, user: AnyUser) -> str:
    # What a row shows of its reader: for a signed-in one, never opened ("New") or how many
    # posts they have not read (selectors.thread_list's annotations).
    if not user.is_authenticated:
        seen = "anonymous"
    elif getattr(thread, "read_number", None) is None:
        seen = "new"
    else:
        seen = f"unread={getattr(thread, 'unread_count', 0) or 0}"
    return f"thread-row:{version}:{thread.pk}:{seen}"


def render_rows(threads: Iterable, context) -> SafeString:
    """The rows of a list of threads in the page's context: each from the cache when stored
    (one cache read for the list), else rendered and stored; the age of the last activity put
    in per request. Members with the same unread count for a thread share its row."""
    threads = list(threads)
    user = context.get("user")
    timeout = pagecache.seconds()
    keys: dict[int, str] = {}
    found: dict[str, str] = {}
    if timeout and threads:
        version = pagecache.version()
        keys = {thread.pk: _row_key(version, thread, user) for thread in threads}
        found = cache.get_many(list(keys.values()))
    template = context.template.engine.get_template(ROW_TEMPLATE)
    parts, new = [], {}
    for thread in threads:
        key = keys.get(thread.pk)
        html = found.get(key) if key else None
        if html is None:
            with context.push(thread=thread):
                html = str(template.render(context))
            if key:
                new[key] = html
        parts.append(html.replace(TIME_SLOT, age(thread.last_activity), 1))
    if new:
        cache.set_many(new, timeout)
    return mark_safe("".join(parts))  # noqa: S308 (rendered by a template; the ages escaped)
