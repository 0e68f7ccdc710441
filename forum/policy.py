"""Who may see and do what: the one place that answers it, for every surface.

Services check these rules before they write (the ``check_*`` functions raise
``PermissionDenied`` with a message fit for the member); selectors filter with
:func:`readable_posts_q`; web views, templates (``{% load forum_tags %}`` then
``post|capabilities:user``), API serializers and the admin read :func:`post_capabilities` /
:func:`thread_capabilities`.
Nothing else derives a rule, so the pages, the API and the admin agree by construction.

Adding a rule is one edit here. A rule that belongs to another app (for example "suspended
members may not post") is a *restriction*: a function registered with
:func:`register_restriction`, typically in that app's ``AppConfig.ready()``, that may refuse an
action to a member. Every member action below consults the restrictions, so a registered
restriction holds on the pages, the API and in the services alike::

    # moderation/apps.py
    def ready(self):
        from forum import policy
        policy.register_restriction(suspension_restriction)

    def suspension_restriction(user, action):
        if action in {policy.POST, policy.REPORT} and is_suspended(user):
            return "Your account is suspended."
        return None

A restriction is called for every capability check of a page, so it must be cheap after its
first call for a user (cache on the user object, e.g. a ``cached_property`` or an attribute).

What a post the viewer may not read reveals (a *placeholder*): its number and its state,
nothing else (no author, no time, no text, no edit count).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TypeAlias, TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from accounts.models import User
from forum.models import Block, Post, Thread

AnyUser: TypeAlias = User | AnonymousUser

# Member actions a restriction may refuse. Strings, so another app can add its own.
POST = "post"  # start a thread or reply
EDIT = "edit"  # edit or delete one's own posts, rename one's own threads
QUOTE = "quote"
REPORT = "report"
REACT = "react"
FOLLOW = "follow"  # subscribe to threads, keep read positions

Restriction: TypeAlias = Callable[[User, str], "str | None"]
_restrictions: list[Restriction] = []


def register_restriction(check: Restriction) -> None:
    """Add a rule that may refuse a member action: ``check(user, action)`` returns the reason
    shown to the member, or None to allow. Registering the same function twice is a no-op."""
    if check not in _restrictions:
        _restrictions.append(check)


def unregister_restriction(check: Restriction) -> None:
    if check in _restrictions:
        _restrictions.remove(check)


def restriction(user: AnyUser, action: str) -> str | None:
    """Why `user` may not do `action` (a registered restriction's reason), or None."""
    if not isinstance(user, User):
        return None
    for check in _restrictions:
        reason = check(user, action)
        if reason:
            return reason
    return None


# --- Roles ---------------------------------------------------------------------------------


def is_member(user: AnyUser | None) -> TypeGuard[User]:
    """Signed in with an active account (so, for the type checker, a ``User``)."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_moderator(user: AnyUser | None) -> bool:
    """A member of the Moderators group, or an administrator."""
    return isinstance(user, User) and is_member(user) and user.is_moderator


def is_administrator(user: AnyUser | None) -> bool:
    return isinstance(user, User) and is_member(user) and user.is_superuser


def _may(user: AnyUser | None, action: str) -> bool:
    """A member whom no restriction refuses `action`."""
    return is_member(user) and restriction(user, action) is None


def _is_author(user: AnyUser | None, post: Post) -> bool:
    return is_member(user) and post.author_id == user.pk


# --- Seeing --------------------------------------------------------------------------------


def can_view_post(user: AnyUser | None, post: Post) -> bool:
    """May read the post's text, author, time and notices. Everyone reads visible posts;
    moderators read hidden and deleted ones too. Others get a placeholder."""
    return post.state == Post.State.VISIBLE or is_moderator(user)


def can_see_author(user: AnyUser | None, post: Post) -> bool:
    """A placeholder never names its author: the author is shown exactly with the text."""
    return can_view_post(user, post)


def readable_posts_q(user: AnyUser | None, *, prefix: str = "") -> Q:
    """:func:`can_view_post` as a queryset filter; `prefix` reaches a post through a relation
    (``"post__"`` for notifications, ``"quotes__source__"``...)."""
    if is_moderator(user):
        return Q()
    return Q(**{f"{prefix}state": Post.State.VISIBLE})


def can_view_revisions(user: AnyUser | None, post: Post) -> bool:
    """Earlier versions may quote posts hidden since: the author (while the post is readable
    to them) and moderators only."""
    return is_moderator(user) or (_is_author(user, post) and can_view_post(user, post))


# --- Doing ---------------------------------------------------------------------------------


def can_moderate(user: AnyUser | None) -> bool:
    return is_moderator(user)


def can_start_thread(user: AnyUser | None) -> bool:
    return _may(user, POST)


def can_reply(user: AnyUser | None, thread: Thread) -> bool:
    """Members reply to open threads; moderators to locked ones too."""
    if not _may(user, POST):
        return False
    return not thread.is_locked or is_moderator(user)


def can_edit_post(user: AnyUser | None, post: Post) -> bool:
    """Moderators edit any post. Authors edit their own visible posts while the thread is open;
    a hidden post stays as the moderator left it."""
    if is_moderator(user):
        return True
    return (
        _is_author(user, post)
        and _may(user, EDIT)
        and post.state == Post.State.VISIBLE
        and not post.thread.is_locked
    )


def can_delete_post(user: AnyUser | None, post: Post) -> bool:
    """Authors soft-delete their own visible posts while the thread is open."""
    return (
        _is_author(user, post)
        and _may(user, EDIT)
        and post.state == Post.State.VISIBLE
        and not post.thread.is_locked
    )


def can_undelete_post(user: AnyUser | None, post: Post) -> bool:
    """Authors undo their own deletion (not a moderator's hiding) while the thread is open."""
    return (
        _is_author(user, post)
        and _may(user, EDIT)
        and post.state == Post.State.DELETED
        and post.state_changed_by_id == post.author_id
        and not post.thread.is_locked
    )


def can_quote_post(user: AnyUser | None, post: Post) -> bool:
    """Quoting is replying with part of a post: the viewer may reply in its thread, and only a
    visible post is quoted (a quote of a hidden post would show "removed" to every reader).
    A member whom the post's author blocked may not quote them."""
    return (
        post.state == Post.State.VISIBLE
        and _may(user, QUOTE)
        and can_reply(user, post.thread)
        and not is_blocked_by_author(user, post)
    )


def can_report_post(user: AnyUser | None, post: Post) -> bool:
    """Members report visible posts of others. Hidden and deleted posts are already out of
    readers' sight; there is nothing left to report."""
    return post.state == Post.State.VISIBLE and _may(user, REPORT) and not _is_author(user, post)


def can_react(user: AnyUser | None, post: Post) -> bool:
    """Members react to visible posts of others (a suspended member reads but does not
    react); reacting to one's own post would only inflate it."""
    return post.state == Post.State.VISIBLE and _may(user, REACT) and not _is_author(user, post)


def can_bookmark(user: AnyUser | None, post: Post) -> bool:
    """Members bookmark what they may read. A bookmark is private: a suspended member keeps
    theirs (it is no action on anyone else)."""
    return is_member(user) and can_view_post(user, post)


def can_hide_post(user: AnyUser | None, post: Post) -> bool:
    return is_moderator(user) and post.state != Post.State.HIDDEN


def can_restore_post(user: AnyUser | None, post: Post) -> bool:
    return is_moderator(user) and post.state != Post.State.VISIBLE


def can_add_notice(user: AnyUser | None, post: Post) -> bool:
    return is_moderator(user)


def can_edit_thread_title(user: AnyUser | None, thread: Thread) -> bool:
    if is_moderator(user):
        return True
    return (
        is_member(user)
        and thread.author_id == user.pk
        and _may(user, EDIT)
        and not thread.is_locked
    )


def can_follow(user: AnyUser | None) -> TypeGuard[User]:
    """Subscriptions, read positions and one's own notifications."""
    return is_member(user)


# --- Blocking ------------------------------------------------------------------------------
# A member may block (ignore) another: the other's posts are collapsed for them, nothing the
# other writes notifies them, and the other cannot quote them. Staff cannot be blocked, so a
# word from the moderators always reaches the member.


def is_staff_member(member: User) -> bool:
    return bool(member.is_staff or member.is_superuser or member.is_moderator)


def can_block(user: AnyUser | None, member: User) -> bool:
    """Members block any other member but staff. A suspended member may still block: it
    protects them and touches nobody else's content."""
    return is_member(user) and member.pk != user.pk and not is_staff_member(member)  # type: ignore[union-attr]


def has_blocked(user: AnyUser | None, member_id: int) -> bool:
    """`user` blocked the member `member_id`."""
    if not is_member(user):
        return False
    return Block.objects.filter(user_id=user.pk, blocked_id=member_id).exists()  # type: ignore[union-attr]


def is_blocked_by_author(user: AnyUser | None, post: Post) -> bool:
    """The post's author blocked `user`. forum.selectors annotates listed posts with it
    (`author_blocks_viewer`), so a page asks no query per post."""
    if not is_member(user):
        return False
    known = getattr(post, "author_blocks_viewer", None)
    if known is not None:
        return bool(known)
    return Block.objects.filter(user_id=post.author_id, blocked_id=user.pk).exists()  # type: ignore[union-attr]


def author_is_blocked(user: AnyUser | None, post: Post) -> bool:
    """`user` blocked the post's author: pages collapse the post, the API flags it."""
    if not is_member(user):
        return False
    known = getattr(post, "author_blocked", None)
    if known is not None:
        return bool(known)
    return has_blocked(user, post.author_id)


# --- Checks for services: the same rules, raising with a message for the member -----------


def check(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def check_member(user: AnyUser | None, message: str = "You must be signed in.") -> None:
    check(is_member(user), message)


def check_moderator(user: AnyUser | None, message: str = "Only moderators can do this.") -> None:
    check(is_moderator(user), message)


def check_start_thread(user: AnyUser | None) -> None:
    if not can_start_thread(user):
        raise PermissionDenied(_reason(user, POST, "You must be signed in to start a thread."))


def check_reply(user: AnyUser | None, thread: Thread) -> None:
    if can_reply(user, thread):
        return
    if not is_member(user):
        raise PermissionDenied("You must be signed in to reply.")
    reason = restriction(user, POST)
    raise PermissionDenied(reason or "This thread is locked.")


def check_edit_post(user: AnyUser | None, post: Post) -> None:
    if not can_edit_post(user, post):
        raise PermissionDenied(_reason(user, EDIT, "You cannot edit this post."))


def check_delete_post(user: AnyUser | None, post: Post) -> None:
    if not can_delete_post(user, post):
        raise PermissionDenied(_reason(user, EDIT, "You cannot delete this post."))


def check_undelete_post(user: AnyUser | None, post: Post) -> None:
    if not can_undelete_post(user, post):
        raise PermissionDenied(_reason(user, EDIT, "You cannot restore this post."))


def check_quote_post(user: AnyUser | None, post: Post) -> None:
    if can_quote_post(user, post):
        return
    if post.state == Post.State.VISIBLE and is_blocked_by_author(user, post):
        raise PermissionDenied(BLOCKED_QUOTE_MESSAGE)
    raise PermissionDenied(_reason(user, QUOTE, "This post cannot be quoted."))


BLOCKED_QUOTE_MESSAGE = "This member has blocked you: you cannot quote them."


def check_react(user: AnyUser | None, post: Post) -> None:
    if can_react(user, post):
        return
    if not is_member(user):
        raise PermissionDenied("You must be signed in to react.")
    if _is_author(user, post):
        raise PermissionDenied("You cannot react to your own post.")
    raise PermissionDenied(_reason(user, REACT, "You cannot react to this post."))


def check_bookmark(user: AnyUser | None, post: Post) -> None:
    check_member(user, "You must be signed in to keep bookmarks.")
    check(can_bookmark(user, post), "You cannot bookmark this post.")


def check_block(user: AnyUser | None, member: User) -> None:
    check_member(user, "You must be signed in to block a member.")
    check(member.pk != user.pk, "You cannot block yourself.")  # type: ignore[union-attr]
    check(
        not is_staff_member(member),
        "Moderators and staff cannot be blocked: what they tell you about moderation must "
        "reach you.",
    )


def check_report_post(user: AnyUser | None, post: Post) -> None:
    if not can_report_post(user, post):
        raise PermissionDenied(_reason(user, REPORT, "You cannot report this post."))


def check_edit_thread_title(user: AnyUser | None, thread: Thread) -> None:
    if not can_edit_thread_title(user, thread):
        raise PermissionDenied(_reason(user, EDIT, "You cannot rename this thread."))


def _reason(user: AnyUser | None, action: str, default: str) -> str:
    if is_member(user):
        return restriction(user, action) or default
    return default


# --- Capabilities: every answer for one viewer and one object ------------------------------


@dataclass(frozen=True)
class PostCapabilities:
    """What one viewer may see of and do with one post. ``can_view`` and ``can_see_author``
    decide what is shown; the ``can_*`` actions are what the API's ``permissions`` holds and
    what the thread page offers (links and buttons)."""

    can_view: bool
    can_see_author: bool
    can_edit: bool
    can_delete: bool
    can_quote: bool
    can_report: bool
    can_view_revisions: bool
    can_hide: bool
    can_restore: bool
    can_add_notice: bool
    can_react: bool
    can_bookmark: bool

    @property
    def is_placeholder(self) -> bool:
        return not self.can_view

    def actions(self) -> dict[str, bool]:
        """The ``can_*`` actions by name, as the API's ``permissions`` object."""
        return {k: v for k, v in asdict(self).items() if k not in ACTION_EXCLUDED}


ACTION_EXCLUDED = {"can_view", "can_see_author"}
POST_ACTIONS = tuple(
    name for name in PostCapabilities.__dataclass_fields__ if name not in ACTION_EXCLUDED
)


def post_capabilities(user: AnyUser | None, post: Post) -> PostCapabilities:
    """Every answer for `user` and `post`. Reads ``post.thread`` (set it to the page's thread
    object when listing, so no query is made per post)."""
    view = can_view_post(user, post)
    return PostCapabilities(
        can_view=view,
        can_see_author=can_see_author(user, post),
        # Actions on a post the viewer may not read are not offered, whatever the state.
        can_edit=view and can_edit_post(user, post),
        can_delete=view and can_delete_post(user, post),
        can_quote=view and can_quote_post(user, post),
        can_report=view and can_report_post(user, post),
        can_view_revisions=view and can_view_revisions(user, post),
        can_hide=can_hide_post(user, post),
        can_restore=can_restore_post(user, post),
        can_add_notice=view and can_add_notice(user, post),
        can_react=view and can_react(user, post),
        can_bookmark=view and can_bookmark(user, post),
    )


@dataclass(frozen=True)
class ThreadCapabilities:
    can_reply: bool
    can_edit_title: bool
    can_moderate: bool

    def actions(self) -> dict[str, bool]:
        return asdict(self)


def thread_capabilities(user: AnyUser | None, thread: Thread) -> ThreadCapabilities:
    return ThreadCapabilities(
        can_reply=can_reply(user, thread),
        can_edit_title=can_edit_thread_title(user, thread),
        can_moderate=can_moderate(user),
    )


def placeholder_label(post: Post) -> str:
    """What a reader who may not read the post is told: its state, nothing else."""
    if post.state == Post.State.DELETED:
        return "This post was deleted by its author."
    return "This post was hidden by a moderator."
