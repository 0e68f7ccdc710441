"""Small, explicit permission checks. Services call them before writing anything; views and
serializers call them to decide what to offer."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from forum.models import Post, Thread

AnyUser = User | AnonymousUser


def is_member(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_moderator(user: AnyUser) -> bool:
    return is_member(user) and user.is_moderator


def can_view_post(user: AnyUser, post: Post) -> bool:
    return post.state == Post.State.VISIBLE or is_moderator(user)


def can_start_thread(user: AnyUser) -> bool:
    return is_member(user)


def can_reply(user: AnyUser, thread: Thread) -> bool:
    if not is_member(user):
        return False
    return not thread.is_locked or is_moderator(user)


def can_edit_post(user: AnyUser, post: Post) -> bool:
    if is_moderator(user):
        return True
    if not is_member(user) or post.author_id != user.pk:
        return False
    # Authors edit their own visible posts while the thread is open; a hidden post stays as
    # the moderator left it.
    return post.state == Post.State.VISIBLE and not post.thread.is_locked


def can_delete_post(user: AnyUser, post: Post) -> bool:
    return (
        is_member(user)
        and post.author_id == user.pk
        and post.state == Post.State.VISIBLE
        and not post.thread.is_locked
    )


def can_edit_thread_title(user: AnyUser, thread: Thread) -> bool:
    if is_moderator(user):
        return True
    return is_member(user) and thread.author_id == user.pk and not thread.is_locked


def can_moderate(user: AnyUser) -> bool:
    return is_moderator(user)
