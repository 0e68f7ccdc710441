"""Background tasks of the forum: notification fan-out and its push delivery, search
re-indexing."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from forum import content, reindex
from forum.models import Notification, Post, SearchReindexJob
from integrations import jobs, push
from integrations.queue import RELIABLE, enqueue

# Members per push task: one slow gateway call must not hold up thousands of others.
PUSH_BATCH = 200


@shared_task(**RELIABLE)
def post_notify(self, post_id: int, created: bool) -> int:
    """Notify the followers, quoted and mentioned members of a post; returns how many were
    newly notified. Keyed on the post: a second run notifies nobody twice."""
    post = Post.objects.select_related("author", "thread").filter(pk=post_id).first()
    if post is None:
        return 0
    notified = content.post_notify(post=post, created=created)
    with_devices = sorted(push.users_with_devices(notified))
    for start in range(0, len(with_devices), PUSH_BATCH):
        enqueue(notification_push, post.pk, with_devices[start : start + PUSH_BATCH])
    return len(notified)


def _push_text(notification: Notification) -> str:
    actor = notification.actor.name
    title = notification.post.thread.title
    if notification.kind == Notification.Kind.QUOTE:
        return f"{actor} quoted you in “{title}”"
    if notification.kind == Notification.Kind.MENTION:
        return f"{actor} mentioned you in “{title}”"
    return f"{actor} replied in “{title}”"


@shared_task(**RELIABLE)
def notification_push(self, post_id: int, user_ids: list[int]) -> int:
    """Push the post's notification to each member's devices, once: a notification is marked
    pushed as soon as its gateway call succeeds, so a retry skips the members already done."""
    pending = (
        Notification.objects.filter(post_id=post_id, recipient_id__in=user_ids, pushed__isnull=True)
        .select_related("actor", "post__thread")
        .order_by("pk")
    )
    sent = 0
    for notification in pending:
        unread = Notification.objects.filter(
            recipient_id=notification.recipient_id, read__isnull=True
        ).count()
        sent += push.send(
            user_id=notification.recipient_id,
            message=push.PushMessage(
                event_id=f"notification-{notification.pk}",
                sender=notification.actor.username,
                body=_push_text(notification),
                unread=unread,
                data={
                    "notification": notification.pk,
                    "post": notification.post_id,
                    "thread": notification.post.thread_id,
                    "url": notification.post.get_absolute_url(),
                },
            ),
        )
        Notification.objects.filter(pk=notification.pk).update(pushed=timezone.now())
    return sent


@shared_task(**RELIABLE)
def search_reindex_step(self, job_id: int) -> bool:
    """One batch of a search re-index, then the next step is queued."""
    return jobs.run_step(self, reindex.job_step, SearchReindexJob, job_id)


@shared_task(**RELIABLE)
def reaction_notify(self, post_id: int) -> bool:
    """Update the author's notification about reactions to the post (one per post)."""
    return content.reaction_notify(post_id=post_id) is not None
