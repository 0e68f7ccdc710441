"""Per-post fragments of the thread page, cached for signed-in readers too.

Rendering twenty posts through the template engine is most of what a signed-in thread page
costs. A post's header and text (avatar, author, number, edits, notices, the text with its
quote headers) are the same for every reader to whom forum.policy gives the same answers, so
they are rendered once and stored, keyed by:

- the content version of forum.pagecache, which every write readers can see moves forward
  (posts, threads, profiles, notices): a stored fragment is never served after a write, for
  the same reason a stored anonymous page is not;
- the post, and what the viewer may see of it: whether they may read it and see its author,
  whether its edit history is open to them, whether they blocked its author (the post is
  shown collapsed), and the state of each of its quotes for them (a quote of a post they may
  not read is cut out, forum.quotes).

What differs by viewer beyond that is never stored: the reactions (their own are marked) and
the row of actions (edit, quote, delete, hide, bookmark, report, the apps' actions) are
rendered per request, and so is the post's age ("3 minutes
ago"), put into the stored markup at TIME_SLOT. Like the page cache, fragments are kept only
when the cache is shared by every process (PAGE_CACHE_SECONDS, on with REDIS_URL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.cache import cache
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from forum import pagecache, policy, quotes
from forum.models import Post
from forum.policy import AnyUser

TEMPLATE = "forum/_post_content.html"
# Where the post's age goes: an element that no escaped name and no sanitised post text can
# contain, and the header, which holds it, comes before the text.
TIME_SLOT = "<stoa-post-time></stoa-post-time>"


def _key(version: int, post: Post, caps: policy.PostCapabilities, user: AnyUser) -> str:
    seen = (
        caps.can_view,
        caps.can_see_author,
        caps.can_view_revisions,
        policy.author_is_blocked(user, post),  # the post is shown collapsed
    )
    states = quotes.viewer_states(post, user) if caps.can_view else ()
    viewer = "".join("1" if flag else "0" for flag in seen) + ",".join(states)
    digest = hashlib.sha256(viewer.encode()).hexdigest()[:16]
    return f"post-fragment:{version}:{post.pk}:{digest}"


def prepare(posts: Iterable[Post], *, user: AnyUser) -> None:
    """Give each post of a page `viewer_caps` (forum.policy's answers for `user`, asked once
    here for the page) and, with the cache on, its stored fragment (`fragment`, None when not
    stored yet) and `fragment_key`: one cache read for the whole page."""
    posts = list(posts)
    timeout = pagecache.seconds()
    keys = {}
    version = pagecache.version() if timeout and posts else 0
    for post in posts:
        post.viewer_caps = policy.post_capabilities(user, post)
        post.fragment = None
        post.fragment_key = _key(version, post, post.viewer_caps, user) if timeout else None
        if post.fragment_key:
            keys[post.pk] = post.fragment_key
    if keys:
        found = cache.get_many(list(keys.values()))
        for post in posts:
            post.fragment = found.get(post.fragment_key)


def render(post: Post, context) -> SafeString:
    """The post's header and text for the template context of _post.html: the stored
    fragment, or rendered now (and stored), with the post's age put in."""
    html = getattr(post, "fragment", None)
    if html is None:
        html = context.template.engine.get_template(TEMPLATE).render(context)
        key = getattr(post, "fragment_key", None)
        if key:
            cache.set(key, str(html), pagecache.seconds())
    age = conditional_escape(naturaltime(post.created))
    return mark_safe(str(html).replace(TIME_SLOT, str(age), 1))  # noqa: S308 (rendered by a template, the age escaped)
