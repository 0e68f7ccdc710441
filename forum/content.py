"""What a post's text sets off once it is saved: subscriptions and notifications."""

from __future__ import annotations

from forum.models import Notification, Post, Subscription


def post_content_sync(*, post: Post, created: bool) -> None:
    """Keep the derived data of a post in step with its text. Runs in the writer's transaction.

    On creation the author follows the thread and everyone following it hears of the reply.
    """
    if not created:
        return
    thread = post.thread
    Subscription.objects.get_or_create(user_id=post.author_id, thread_id=thread.pk)
    if post.number == 1:
        return
    recipients = (
        Subscription.objects.filter(thread_id=thread.pk)
        .exclude(user_id=post.author_id)
        .values_list("user_id", flat=True)
    )
    Notification.objects.bulk_create(
        [
            Notification(recipient_id=uid, actor_id=post.author_id, post=post, kind="reply")
            for uid in recipients
        ],
        ignore_conflicts=True,
    )
