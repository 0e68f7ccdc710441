from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from forum import services
from tests.commit import committed
from tests.factories import CategoryFactory, UserFactory


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def other_member(db):
    return UserFactory()


@pytest.fixture
def moderator(db):
    return UserFactory(moderator=True)


@pytest.fixture
def category(db):
    return CategoryFactory()


@pytest.fixture
def make_thread(category):
    made: list[str] = []

    def make(author, *, title="A thread", body=None, replies=0, in_category=None):
        # The first thread a test makes opens with "First post."; later ones differ, since a
        # member may not post the same text twice in a row.
        if body is None:
            body = "First post." if not made else f"First post of thread {len(made) + 1}."
        made.append(body)
        # Committed: what the writes queue for after the commit (notifications...) runs.
        thread = committed(services.thread_create)(
            author=author, category=in_category or category, title=title, body=body
        )
        for i in range(replies):
            committed(services.post_reply)(
                author=author, thread=thread, body=f"Reply {i + 1} in thread {thread.pk}"
            )
        thread.refresh_from_db()
        return thread

    return make


@pytest.fixture
def thread(member, make_thread):
    return make_thread(member)


@pytest.fixture(autouse=True)
def _throttle_clock_held(monkeypatch):
    """Rate limits count in fixed windows (core.throttles). A test that makes a limit's worth of
    requests failed whenever it ran across a minute's edge: the third of "3/min" opened a new
    window and was let through (a CI run, test_reactions). Each test reads one instant; tests of
    how windows pass give `now` or patch the clock themselves."""
    from core import throttles

    now = time.time()
    monkeypatch.setattr(throttles, "clock", lambda: now)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Factories set a password on every user; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _own_redis_database_per_xdist_worker(worker_id):
    """With `pytest -n N`, each worker uses a Redis database of its own (the next ones after
    REDIS_URL's): every test empties the cache, which on a shared database would wipe another
    worker's throttle counters and page versions in the middle of its test."""
    from django.conf import settings
    from django.test.utils import override_settings

    cache = settings.CACHES["default"]
    location = str(cache.get("LOCATION", ""))
    if worker_id == "master" or not location.startswith(("redis://", "rediss://")):
        yield
        return
    url = urlsplit(location)
    database = (int(url.path.strip("/") or 0) + 1 + int(worker_id.removeprefix("gw"))) % 16
    own = urlunsplit(url._replace(path=f"/{database}"))
    with override_settings(CACHES={**settings.CACHES, "default": {**cache, "LOCATION": own}}):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: throttle and sign-in counters, idempotency keys
    and the page cache's version would otherwise carry over from earlier tests (or, on Redis,
    from an earlier run). One Redis database per xdist worker, per process with local memory."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _sessions_as_with_redis(settings):
    """Sessions read through the cache, as production with REDIS_URL has them
    (forum/settings.py), also when the suite runs without Redis: query counts are the same
    everywhere. (Without a shared cache production keeps them in the database only.)"""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """The anonymous page cache (forum.pagecache) is off unless a test turns it on
    (tests/forum/test_pagecache.py): many tests change rows with queryset updates, which
    no running forum does behind its services."""
    settings.STOA = {**settings.STOA, "PAGE_CACHE_SECONDS": 0}


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_in_process():
    """Tasks run in the test process (after the commit) even when REDIS_URL names a broker:
    the tests that need a real worker start one and switch this off themselves."""
    from forum.celery import app

    app.conf.task_always_eager = True
    yield
