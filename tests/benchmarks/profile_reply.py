"""Where an API reply's time goes, measured in process.

    DATABASE_URL=... REDIS_URL=... python -m tests.benchmarks.profile_reply [--replies N]
        [--phase module:function ...] [--profile]

Sends N replies (the benchmark's text, tests/benchmarks/reply.lua, each one different) as the
benchmark's member, with an API token, to a thread of 20 posts or more, through the whole WSGI
application as gunicorn calls it: production settings (tests.benchmarks.settings, DEBUG off,
persistent connections, the cache and the task broker on Redis when REDIS_URL is set, so tasks
are published, not run). Prints the median and p95 of each reply's wall time, its CPU time
(time.process_time: what a gunicorn worker spends, without PostgreSQL's and Redis's own), its
SQL statements' time and count, the commit, the after-commit callbacks (page-cache bumps, task
publishes) and, with --phase, of any function (e.g. forum.services:refuse_repeat,
accounts.auth:TokenAuthentication.authenticate_credentials). --profile prints cProfile's top
functions instead; --statements times each SQL statement, by its first words. Compare
revisions by running it from each one's worktree, in turns: the machine's load drifts.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import functools
import importlib
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.benchmarks.settings")
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECURE_HTTPS", "False")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("THROTTLE_POST_USER", "100000/min")
os.environ.setdefault("THROTTLE_POST_ADDRESS", "100000/min")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.backends.base.base import BaseDatabaseWrapper  # noqa: E402
from django.test import Client  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from accounts.models import User  # noqa: E402
from forum.models import Thread  # noqa: E402

spent: collections.Counter[str] = collections.Counter()


def timed(label: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started

    return wrapper


def wrap(spec: str) -> None:
    module_name, path = spec.split(":")
    owner = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    setattr(owner, name, timed(spec, getattr(owner, name)))


def count_sql(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        spent["sql"] += time.perf_counter() - started
        spent["sql statements"] += 1
        if STATEMENTS:
            spent["sql: " + " ".join(sql.split())[:70]] += time.perf_counter() - started


STATEMENTS = False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--phase", action="append", default=[])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statements", action="store_true", help="time each SQL statement")
    options = parser.parse_args()
    global STATEMENTS
    STATEMENTS = options.statements

    BaseDatabaseWrapper._commit = timed("commit", BaseDatabaseWrapper._commit)  # type: ignore[method-assign]
    BaseDatabaseWrapper.run_and_clear_commit_hooks = timed(  # type: ignore[method-assign]
        "after-commit callbacks", BaseDatabaseWrapper.run_and_clear_commit_hooks
    )
    for spec in options.phase:
        wrap(spec)

    user = User.objects.filter(is_active=True, is_staff=False).order_by("pk").first()
    assert user is not None, "an empty database: seed it first (tests/benchmarks/run.sh)"
    _, token = AuthToken.objects.create(user=user)
    thread = Thread.objects.filter(post_count__gte=20).order_by("pk").first()
    assert thread is not None
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    run = time.time_ns()

    def reply(i: int) -> None:
        body = (
            f'{{"body": "Benchmark reply {run}-{i}: my squat went up after a deload week, '
            'tempo work helps."}'
        )
        response = client.post(
            f"/api/v1/threads/{thread.pk}/posts/", body, content_type="application/json"
        )
        assert response.status_code == 201, response.content

    for i in range(20):  # warm: connections, the detector, compiled templates
        reply(-1 - i)

    if options.profile:
        profile = cProfile.Profile()
        profile.enable()
        for i in range(options.replies):
            reply(i)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
        return

    seen: dict[str, list[float]] = collections.defaultdict(list)
    with connection.execute_wrapper(count_sql):
        for i in range(options.replies):
            spent.clear()
            started, cpu = time.perf_counter(), time.process_time()
            reply(i)
            spent["reply, wall"] = time.perf_counter() - started
            spent["reply, CPU"] = time.process_time() - cpu
            for label, value in spent.items():
                seen[label].append(value)
    print(f"{options.replies} replies to thread {thread.pk}; median and p95")
    for label, values in sorted(seen.items(), key=lambda item: -statistics.median(item[1])):
        values.sort()
        p95 = values[int(len(values) * 0.95)]
        if label == "sql statements":
            print(f"{label:60s} {statistics.median(values):8.0f}")
        else:
            median = statistics.median(values) * 1000
            print(f"{label:60s} {median:8.3f} ms {p95 * 1000:8.3f} ms")


if __name__ == "__main__":
    main()
