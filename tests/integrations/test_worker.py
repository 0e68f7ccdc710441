"""Background work through a real Celery worker on the real Redis (see conftest.Worker)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import statistics
import time

import pytest
from celery.signals import before_task_publish
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from forum import reindex, services
from forum.models import Notification, Post, PostSearch, SearchReindexJob, Subscription
from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory
from tests.integrations.conftest import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.worker]


@pytest.fixture
def published():
    """Names of the tasks this process sends to the broker."""
    sent: list[str] = []

    def record(sender=None, **kwargs):
        sent.append(sender)

    before_task_publish.connect(record, weak=False)
    yield sent
    before_task_publish.disconnect(record)


def test_reply_notifications_arrive_through_the_worker(worker, member, other_member, thread):
    services.post_reply(author=other_member, thread=thread, body="Answer from the worker test")
    notification = wait_for(
        lambda: Notification.objects.filter(recipient=member).first(),
        timeout=30,
        message="the follower's notification",
    )
    assert notification.kind == "reply"
    assert notification.actor == other_member
    assert b"post_notify" in worker.log.read_bytes()


def test_rabbitmq_works_as_the_broker_too(amqp_worker, member, other_member, thread):
    services.post_reply(author=other_member, thread=thread, body="Answer over AMQP")
    wait_for(
        lambda: Notification.objects.filter(recipient=member).exists(),
        timeout=30,
        message="the follower's notification through RabbitMQ",
    )
    assert b"amqp://" in amqp_worker.log.read_bytes()


def test_a_rolled_back_reply_enqueues_nothing(worker, published, member, other_member, thread):
    published.clear()  # what making the thread sent
    with pytest.raises(RuntimeError), transaction.atomic():
        services.post_reply(author=other_member, thread=thread, body="Never committed")
        raise RuntimeError("the request failed after the write")
    assert published == []
    # A committed write right after does reach the worker, and only it.
    services.post_reply(author=other_member, thread=thread, body="Committed")
    assert "forum.tasks.post_notify" in published
    wait_for(
        lambda: Notification.objects.filter(recipient=member).exists(),
        timeout=30,
        message="the committed reply's notification",
    )
    assert Notification.objects.filter(recipient=member).count() == 1
    assert not thread.posts.filter(source="Never committed").exists()


def _endpoint(url: str, **kwargs) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        url=url + "/hook", secret="s3cret", events=["post.created"], **kwargs
    )


def _check_signature(request: dict, secret: str = "s3cret") -> dict:
    headers = request["headers"]
    timestamp = headers["X-Stoa-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 120
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["X-Stoa-Signature"], "sha256=" + expected)
    return json.loads(request["body"])


def test_webhook_is_delivered_signed_and_retried_after_a_500(
    worker, receiver, other_member, thread
):
    hook = receiver(answers=[500])
    _endpoint(hook.url)
    reply = services.post_reply(author=other_member, thread=thread, body="Hooked reply")
    wait_for(lambda: hook.answered == [500, 200], timeout=40, message="a 500, then a 200")
    first, second = hook.requests
    assert first["headers"]["X-Stoa-Delivery"] == second["headers"]["X-Stoa-Delivery"]
    for request in (first, second):
        body = _check_signature(request)
        assert request["headers"]["X-Stoa-Event"] == "post.created"
        assert body["event"] == "post.created"
        assert body["data"]["post"]["id"] == reply.pk
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(status="delivered").first(),
        timeout=10,
        message="the delivery recorded as delivered",
    )
    assert delivery.attempts == 2
    assert delivery.response_status == 200
    assert delivery.endpoint.consecutive_failures == 0


def test_a_worker_killed_mid_delivery_loses_nothing_and_delivers_once(
    worker, receiver, other_member, thread
):
    hook = receiver(stall_first=True)
    _endpoint(hook.url)
    services.post_reply(author=other_member, thread=thread, body="Reply during a crash")
    assert hook.first_arrived.wait(30), "the delivery never started"
    worker.kill()  # mid-task: the POST is under way and unanswered
    hook.release.set()
    assert WebhookDelivery.objects.get().status == "pending"
    worker.start()
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(status="delivered").first(),
        timeout=60,
        message="the redelivered task to deliver",
    )
    # The killed attempt got no answer to anyone; the second delivered. Nothing more follows.
    time.sleep(3)
    assert hook.answered == [200]
    assert len(hook.requests) == 2
    ids = {r["headers"]["X-Stoa-Delivery"] for r in hook.requests}
    assert ids == {str(delivery.event_id)}
    assert WebhookDelivery.objects.count() == 1


FOLLOWERS = 5000


def _followed_thread(author: User, category, followers: list[User], title: str):
    thread = services.thread_create(
        author=author, category=category, title=title, body=f"Start of {title}"
    )
    Subscription.objects.bulk_create(
        [Subscription(user=u, thread=thread) for u in followers], batch_size=1000
    )
    return thread


def _replies(thread, authors: list[User]) -> tuple[float, list[list[str]]]:
    """The median time of a reply by each author, and the statements each ran."""
    times, statements = [], []
    for i, author in enumerate(authors):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            body = f"Timed reply {i} in {thread.pk}"
            services.post_reply(author=author, thread=thread, body=body)
        times.append(time.perf_counter() - started)
        statements.append([q["sql"] for q in queries.captured_queries])
    return statistics.median(times), statements


def _fan_out_seconds(log: str) -> list[float]:
    """How long the worker's post_notify runs took that notified the crowd (the work a reply
    used to do inside its own transaction)."""
    found = re.findall(r"post_notify\[[^\]]+\] succeeded in ([0-9.]+)s: (\d+)", log)
    return [float(seconds) for seconds, count in found if int(count) >= FOLLOWERS]


def test_a_reply_to_five_thousand_followers_costs_what_one_to_one_follower_costs(
    worker, member, category
):
    now = timezone.now()
    crowd = User.objects.bulk_create(
        [
            User(username=f"follower{i}", email=f"f{i}@example.com", password="!", date_joined=now)
            for i in range(FOLLOWERS)
        ],
        batch_size=1000,
    )
    repliers = [UserFactory() for _ in range(5)]
    small = _followed_thread(member, category, [], "One follower")
    big = _followed_thread(member, category, crowd, "Five thousand followers")
    one, small_statements = _replies(small, repliers)
    many, big_statements = _replies(big, repliers)
    started = time.monotonic()
    replies = list(big.posts.filter(number__gt=1))
    crowd_ids = [u.pk for u in crowd]

    def everyone_heard() -> bool:
        heard = Notification.objects.filter(post__in=replies, recipient_id__in=crowd_ids)
        return heard.count() == FOLLOWERS * len(replies)

    wait_for(everyone_heard, timeout=120, message=f"{FOLLOWERS} notifications per reply")
    arrived = time.monotonic() - started
    fan_outs = wait_for(
        lambda: _fan_out_seconds(worker.log.read_text()), timeout=10, message="the worker's log"
    )
    print(
        f"median reply: 1 follower {one * 1000:.1f} ms, {FOLLOWERS} followers "
        f"{many * 1000:.1f} ms; all {FOLLOWERS * len(replies)} notifications of "
        f"{len(replies)} replies {arrived:.1f} s after the last reply; one fan-out in the "
        f"worker: median {statistics.median(fan_outs) * 1000:.0f} ms"
    )
    # The reply does the same work whatever the crowd: the same statements, none of them
    # writing a notification (the fan-out is the worker's). Counted, not timed: the times
    # above are printed for the reader, and on a loaded machine they say little.
    assert [len(q) for q in big_statements] == [len(q) for q in small_statements]
    assert not [sql for q in big_statements for sql in q if "forum_notification" in sql]


def test_the_search_index_is_rebuilt_by_the_worker_in_batches(worker, member, thread):
    for i in range(4):
        services.post_reply(author=member, thread=thread, body=f"Fartlek session {i}")
    PostSearch.objects.all().delete()  # as after a bulk import that left the index out
    job = reindex.job_start(batch_size=2)
    finished = wait_for(
        lambda: SearchReindexJob.objects.filter(pk=job.pk, status="finished").first(),
        timeout=60,
        message="the re-index job to finish",
    )
    assert finished.done == finished.total == Post.objects.count()
    assert PostSearch.objects.count() == Post.objects.filter(state=Post.State.VISIBLE).count()
    assert worker.log.read_text().count("search_reindex_step") >= 3  # one task per batch
