"""Real threads against PostgreSQL: row locks, not luck, keep numbers and counters exact."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from forum import services
from forum.models import Post, Thread
from tests.factories import UserFactory

WRITERS = 20
REPLIES_EACH = 10


@pytest.fixture
def require_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-level locking is tested on PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_get_unique_gapless_numbers_and_exact_counters(
    require_postgres, category
):
    owner = UserFactory()
    thread = services.thread_create(author=owner, category=category, title="Busy", body="Go!")
    writers = [UserFactory() for _ in range(WRITERS)]
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def write(user):
        try:
            start.wait()
            for i in range(REPLIES_EACH):
                services.post_reply(author=user, thread=thread, body=f"{user.username} {i}")
        except BaseException as exc:  # the test reports every failure, whatever it is
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=write, args=(u,)) for u in writers]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert errors == []
    numbers = list(Post.objects.filter(thread=thread).values_list("number", flat=True))
    assert sorted(numbers) == list(range(1, WRITERS * REPLIES_EACH + 2))
    thread = Thread.objects.get(pk=thread.pk)
    assert thread.post_count == WRITERS * REPLIES_EACH + 1
    assert thread.last_number == WRITERS * REPLIES_EACH + 1
    for user in writers:
        user.refresh_from_db()
        assert user.post_count == REPLIES_EACH
    assert thread.last_activity == Post.objects.filter(thread=thread).latest("created").created


@pytest.mark.django_db(transaction=True)
def test_delete_racing_replies_leaves_counters_recomputable(require_postgres, category):
    owner = UserFactory()
    thread = services.thread_create(author=owner, category=category, title="Race", body="Go")
    posts = [services.post_reply(author=owner, thread=thread, body=f"r{i}") for i in range(10)]
    replier = UserFactory()
    errors: list[BaseException] = []

    def delete_all():
        try:
            for p in posts:
                services.post_delete(actor=owner, post=p)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def reply_many():
        try:
            for i in range(10):
                services.post_reply(author=replier, thread=thread, body=f"x{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=delete_all), threading.Thread(target=reply_many)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert errors == []
    thread.refresh_from_db()
    owner.refresh_from_db()
    visible = Post.objects.filter(thread=thread, state=Post.State.VISIBLE)
    assert thread.post_count == visible.count() == 11
    assert owner.post_count == visible.filter(author=owner).count() == 1
