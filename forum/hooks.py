"""Extension points of the forum core, filled by the apps built on it.

The forum never imports the apps that build on it (``moderation`` and whatever comes later):
dependencies run accounts <- forum <- moderation. Where the forum needs their behaviour, it
calls the hooks below, and those apps register into them in their ``AppConfig.ready()``, as
Django's admin autodiscovery does::

    # moderation/apps.py
    def ready(self):
        from forum import hooks
        hooks.post_screeners.register(DetectorScreener())

With nothing registered every hook is a no-op, so the forum works (and its tests run) alone.
Who may see and do what is not a hook: that is forum.policy (``register_restriction``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.db.models import CharField, Q, Value

from core.registry import Registry

# Writes. Each is called inside the write's transaction, with the rows the forum locked held:
# what they write is committed with the forum's write or not at all.


class PostScreener(Protocol):
    """Screens every write of a post's text (create, edit, import) in two steps, so the
    pure work runs before the write takes its row locks (forum.services)."""

    def prepare(self, *, post) -> Any:
        """The pure work (a classifier, say), before any lock. ``post`` is the post as it will
        read: unsaved for a new one, ``number`` None for a reply (numbered under the lock)."""

    def apply(self, *, post, prepared: Any, created: bool) -> None:
        """In the write's transaction, with the saved post: write what ``prepared`` says.
        ``created``: the post was inserted by this write, so nothing of it exists yet."""


post_screeners: Registry[PostScreener] = Registry()

#: What prepare_screening returns and apply_screening takes.
Screening = list[tuple[PostScreener, Any]]

#: ``screener(thread=thread)`` after a thread's title changed (the title is read with its
#: first post). The thread's row is locked; a screener locks the first post next.
thread_title_screeners: Registry[Callable[..., Any]] = Registry()

#: ``sink(actor=, action=, post=, target=, before=, after=)`` for every moderator's action on
#: a post or a thread ("post.hide", "thread.lock", ...); ``before``/``after`` are snapshots
#: (forum.services.AUDITED_FIELDS).
audit_sinks: Registry[Callable[..., Any]] = Registry()

# Reads.

#: ``factory() -> Prefetch``: extra rows every post of selectors.post_queryset() carries (for
#: example its live notices), so pages and serializers read them without a query per post.
post_prefetches: Registry[Callable[[], Any]] = Registry()

#: ``source(post) -> list`` of notices shown with a post's text: objects with ``pk``, ``kind``,
#: ``severity`` and ``text`` (the API's ``notices``). Reads the post's prefetched rows.
notice_sources: Registry[Callable[[Any], list]] = Registry()

#: ``expression(posts: Q) -> Expression``: the highest severity of the live notices on the
#: posts that ``posts`` selects, a string such as "advice" or "urgent", null when none.
#: ``posts`` is a filter on a notice's post, spelled through ``post__`` and correlated to the
#: outer query with OuterRef (``Q(post__thread=OuterRef("pk"))``), so a list is annotated in
#: its own query (the API's thread lists and notifications: ``has_notice``).
notice_severity_sources: Registry[Callable[[Q], Any]] = Registry()

#: Template names included in a post's markup (templates/forum/_post.html), with the post's
#: context (``post``, ``caps``, ``user``): above the post's text, and in its row of actions.
#: The notices are part of the post's cached fragment (forum.fragments): they may read the post
#: and its prefetched rows only; what differs by viewer belongs in the actions.
post_notice_templates: Registry[str] = Registry()
post_action_templates: Registry[str] = Registry()


def prepare_screening(*, post) -> Screening:
    return [(screener, screener.prepare(post=post)) for screener in post_screeners]


def apply_screening(*, post, screening: Screening, created: bool) -> None:
    for screener, prepared in screening:
        screener.apply(post=post, prepared=prepared, created=created)


def screen_thread_title(*, thread) -> None:
    for screener in thread_title_screeners:
        screener(thread=thread)


def audit(**entry: Any) -> None:
    for sink in audit_sinks:
        sink(**entry)


def post_notices(post) -> list:
    return [notice for source in notice_sources for notice in source(post)]


def notice_severity(posts: Q) -> Any:
    """An expression for the strongest live notice on the posts `posts` selects (see
    notice_severity_sources); null when no app provides notices."""
    for source in notice_severity_sources:
        return source(posts)
    return Value(None, output_field=CharField())
