"""What the forum tells webhook receivers (integrations.webhooks), built from the objects a
service already holds, so announcing an event costs the write no query.

Payloads name objects by id and link to them; a post carries its rendered HTML as everyone
reads it (never the Markdown source, which may hold quoted text of hidden posts), and a
hidden post carries no text at all.
"""

from __future__ import annotations

from typing import Any

from forum.models import Post, Thread
from integrations.webhooks import emit


def _member(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username}


def thread_payload(thread: Thread) -> dict[str, Any]:
    return {
        "id": thread.pk,
        "title": thread.title,
        "category": thread.category_id,
        "url": thread.get_absolute_url(),
        "author": _member(thread.author),
        "created": thread.created.isoformat(),
    }


def post_payload(post: Post, *, with_text: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": post.pk,
        "thread": post.thread_id,
        "number": post.number,
        "url": post.get_absolute_url(),
        "author": _member(post.author),
        "state": post.state,
        "created": post.created.isoformat(),
        "edited": post.edited.isoformat() if post.edited else None,
    }
    if with_text and post.state == Post.State.VISIBLE:
        data["html"] = post.html
    return data


def thread_created(thread: Thread, first_post: Post) -> None:
    emit("thread.created", {"thread": thread_payload(thread), "post": post_payload(first_post)})


def post_created(post: Post) -> None:
    emit("post.created", {"post": post_payload(post)})


def post_edited(post: Post) -> None:
    emit("post.edited", {"post": post_payload(post)})


def post_hidden(post: Post, *, by: Any) -> None:
    emit("post.hidden", {"post": post_payload(post, with_text=False), "moderator": _member(by)})
