"""Real threads against PostgreSQL: the database, not luck, keeps one report per member."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from forum import services as forum_services
from moderation import services
from moderation.models import AuditLog, Notice, Report, Review
from tests.factories import UserFactory

PARALLEL = 8


@pytest.fixture
def require_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-level locking is tested on PostgreSQL")


def run_together(funcs):
    errors: list[BaseException] = []
    start = threading.Barrier(len(funcs))

    def run(func):
        try:
            start.wait()
            func()
        except BaseException as exc:  # collected and checked by the test
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(f,)) for f in funcs]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_parallel_reports_by_one_member_store_one(require_postgres, stub_detector, category):
    author, reporter = UserFactory(), UserFactory()
    thread = forum_services.thread_create(author=author, category=category, title="T", body="Hi")
    post = thread.posts.get()

    errors = run_together(
        [
            lambda: services.report_create(reporter=reporter, post=post, reason="spam")
            for _ in range(PARALLEL)
        ]
    )

    assert len(errors) == PARALLEL - 1
    assert all(isinstance(e, ValidationError) for e in errors)
    assert Report.objects.filter(post=post).count() == 1
    assert AuditLog.objects.filter(action="report.create").count() == 1
    assert Review.objects.get(post=post).status == Review.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_confirm_racing_an_evasive_edit_keeps_the_notice(require_postgres, stub_detector, category):
    author, moderator = UserFactory(), UserFactory(moderator=True)
    thread = forum_services.thread_create(
        author=author, category=category, title="T", body="[advice] my knee swells"
    )
    post = thread.posts.get()
    review = Review.objects.get(post=post)

    errors = run_together(
        [
            lambda: services.review_confirm(moderator=moderator, review=review),
            lambda: forum_services.post_edit(editor=author, post=post, body="Nothing to see"),
        ]
    )

    assert errors == []
    review.refresh_from_db()
    assert review.status == Review.Status.CONFIRMED
    # Whichever ran first, the confirmed post keeps exactly one live notice.
    assert Notice.objects.filter(post=post, removed__isnull=True).count() == 1
