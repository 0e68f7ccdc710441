"""Idempotency-Key on creating POSTs: a retry after a lost response creates nothing new."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from accounts.api.idempotency import purge_expired
from accounts.models import IdempotencyRecord
from forum.models import Post, Thread
from moderation.models import Report
from tests.api.conftest import bearer, error_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = "5f0c6c1e-2b7e-4a51-9d59-0c5d1f7f2a11"


def reply(client, thread, body, key=KEY):
    return client.post(
        f"/api/v1/threads/{thread.pk}/posts/", {"body": body}, HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_reply_retried_after_its_response_was_lost_is_posted_exactly_once(as_member, thread):
    first = reply(as_member, thread, "On my way to the gym")
    # The phone never saw `first`: it sends the very same request again.
    retry = reply(as_member, thread, "On my way to the gym")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Post.objects.filter(thread=thread, source="On my way to the gym").count() == 1
    thread.refresh_from_db()
    assert thread.post_count == 2


def test_the_same_key_with_another_body_is_a_422_and_creates_nothing(as_member, thread):
    assert reply(as_member, thread, "First text").status_code == 201
    response = reply(as_member, thread, "Second text")
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert not Post.objects.filter(source="Second text").exists()


def test_the_same_key_on_another_thread_is_another_request(as_member, member, thread, make_thread):
    other = make_thread(member, title="Other")
    assert reply(as_member, thread, "Same words").status_code == 201
    assert reply(as_member, other, "Same words").status_code == 422
    assert not other.posts.filter(source="Same words").exists()


def test_keys_belong_to_one_account(as_member, as_other, thread):
    mine = reply(as_member, thread, "Mine")
    theirs = reply(as_other, thread, "Theirs")
    assert mine.status_code == theirs.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]
    assert "Idempotent-Replayed" not in theirs


def test_a_refused_request_is_not_stored_so_the_fixed_one_goes_through(as_member, thread):
    assert reply(as_member, thread, "   ").status_code == 400
    fixed = reply(as_member, thread, "Now with words")
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed
    assert IdempotencyRecord.objects.get().status == 201


def test_requests_without_a_key_are_not_deduplicated_by_it(as_member, thread):
    url = f"/api/v1/threads/{thread.pk}/posts/"
    assert as_member.post(url, {"body": "One"}).status_code == 201
    assert as_member.post(url, {"body": "Two"}).status_code == 201
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["", "a" * 256, "caf\u00e9", "two words"])
def test_malformed_keys_are_a_400_naming_the_header(as_member, thread, key):
    response = reply(as_member, thread, "Body", key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]
    assert not Post.objects.filter(source="Body").exists()


def test_starting_a_thread_twice_with_one_key_makes_one_thread(as_member, category):
    payload = {"category": category.slug, "title": "Deload week?", "body": "How often?"}
    first = as_member.post("/api/v1/threads/", payload, HTTP_IDEMPOTENCY_KEY=KEY)
    again = as_member.post("/api/v1/threads/", payload, HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Thread.objects.filter(title="Deload week?").count() == 1


def test_a_report_retried_with_its_key_is_filed_once(as_other, other_member, thread):
    post = thread.posts.get(number=1)
    url = f"/api/v1/posts/{post.pk}/report/"
    first = as_other.post(url, {"reason": "spam"}, HTTP_IDEMPOTENCY_KEY=KEY)
    # Without the key the second report would be refused as a duplicate; with it, the
    # client gets the report it filed.
    again = as_other.post(url, {"reason": "spam"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Report.objects.filter(post=post, reporter=other_member).count() == 1


def test_answers_expire_after_a_day_and_are_purged(as_member, thread):
    assert reply(as_member, thread, "Yesterday").status_code == 201
    IdempotencyRecord.objects.update(created=timezone.now() - timedelta(hours=25))
    # A day later the key is free again: another body is a new request, not a 422.
    assert reply(as_member, thread, "Today").status_code == 201
    assert IdempotencyRecord.objects.get().status == 201
    IdempotencyRecord.objects.update(created=timezone.now() - timedelta(hours=25))
    assert purge_expired() == 1
    assert IdempotencyRecord.objects.count() == 0


def test_the_purge_command_keeps_fresh_answers(as_member, thread):
    assert reply(as_member, thread, "Fresh").status_code == 201
    call_command("purge_idempotency_keys")
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_copies_sent_at_once_post_once(category):
    if connection.vendor != "postgresql":
        pytest.skip("row-level locking is tested on PostgreSQL")
    from forum import services

    author = UserFactory()
    thread = services.thread_create(author=author, category=category, title="T", body="Go")
    clients = [bearer(author), bearer(author)]
    start = threading.Barrier(2)
    answers: list = []

    def send(client):
        try:
            start.wait()
            answers.append(reply(client, thread, "Sent twice at once"))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=send, args=(c,)) for c in clients]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(a.status_code for a in answers) == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Post.objects.filter(source="Sent twice at once").count() == 1
