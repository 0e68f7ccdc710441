"""A real Celery worker (a subprocess on the real Redis) and a local HTTP receiver.

Worker tests need PostgreSQL (the worker must read what the test committed, which an
in-memory SQLite database cannot share) and Redis at REDIS_URL; they skip without them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# The worker receives webhooks only on loopback, on ports this project may use.
RECEIVER_PORTS = range(8140, 8150)


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


def wait_for(predicate: Callable[[], object], *, timeout: float, message: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s: {message}")


class Worker:
    """`celery -A forum worker` in a subprocess, on a queue of its own."""

    def __init__(self, *, broker: str, queue: str, database_url: str, log: Path):
        self.broker, self.queue, self.database_url, self.log = broker, queue, database_url, log
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTEST", "CELERY_", "DJANGO_")) and k != "DATABASE_URL"
        }
        env.update(
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker,
            CELERY_QUEUE=self.queue,
            CELERY_TASK_ALWAYS_EAGER="False",
            # A killed worker's message comes back after this many seconds, not an hour.
            CELERY_VISIBILITY_TIMEOUT="4",
            CELERY_UNACKED_RESTORE_INTERVAL="1",
            WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
            WEBHOOK_RETRY_BASE_SECONDS="1",
            WEBHOOK_TIMEOUT="30",
            DJANGO_SETTINGS_MODULE="forum.settings",
            PUSH_GATEWAY_URL=settings.PUSH_GATEWAY_URL,
            LOG_LEVEL="INFO",
        )
        if self.broker.startswith("redis"):
            env["REDIS_URL"] = self.broker
        return env

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        # The solo pool runs tasks in the worker process itself, so SIGKILL kills the task.
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "forum",
                "worker",
                "--pool=solo",
                "-Q",
                self.queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: b"ready." in self.log.read_bytes() or self.process.poll() is not None,
            timeout=60,
            message="the worker to start",
        )
        assert self.process.poll() is None, self.log.read_text()[-3000:]

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no acknowledgement, nothing handed back."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        # The next start must wait for its own "ready.", not find the old one.
        self.log.write_bytes(self.log.read_bytes().replace(b"ready.", b"ready (old)"))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _amqp_url() -> str | None:
    url = os.environ.get("STOA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception:
        return None
    return url


def _forget_connections(app) -> None:
    """Drop the app's pooled broker connections, which would still point at the broker of
    the previous test."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def _run_worker(broker: str, tmp_path: Path) -> Iterator[Worker]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker must read what the test committed")
    from forum.celery import app

    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    queue = f"stoa-test-{uuid.uuid4().hex[:12]}"
    previous = {
        key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")
    }
    app.conf.update(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    _forget_connections(app)
    w = Worker(broker=broker, queue=queue, database_url=database_url, log=tmp_path / "worker.log")
    try:
        w.start()
        yield w
    finally:
        w.stop()
        app.conf.update(previous)
        _forget_connections(app)
        # Whatever is left on this test's queue belongs to no one.
        from kombu import Connection

        with Connection(broker) as conn, contextlib.suppress(Exception):  # already gone
            conn.default_channel.queue_delete(queue)
        print(w.log.read_text()[-4000:])  # shown when the test fails


@pytest.fixture
def worker(transactional_db, tmp_path) -> Iterator[Worker]:
    """A running worker for this test; the test process sends it tasks through Redis."""
    broker = _redis_url()
    if broker is None:
        pytest.skip("needs Redis at REDIS_URL")
    yield from _run_worker(broker, tmp_path)


@pytest.fixture
def amqp_worker(transactional_db, tmp_path) -> Iterator[Worker]:
    """The same on RabbitMQ (STOA_TEST_AMQP_URL, by default guest on 127.0.0.1:5672)."""
    broker = _amqp_url()
    if broker is None:
        pytest.skip("needs RabbitMQ on 127.0.0.1:5672 (or STOA_TEST_AMQP_URL)")
    yield from _run_worker(broker, tmp_path)


class Receiver:
    """An HTTP server on 127.0.0.1 that records each request and answers with `answers`
    in turn (then 200); `stall_first` holds the first request until `release` is set."""

    def __init__(
        self,
        answers: list[int] | None = None,
        stall_first: bool = False,
        host: str = "127.0.0.1",
        ports=None,
    ):
        self.answers = list(answers or [])
        self.stall_first = stall_first
        self.requests: list[dict] = []
        self.answered: list[int] = []
        self.release = threading.Event()
        self.first_arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {"headers": dict(self.headers.items()), "body": body, "path": self.path}
                )
                if receiver.stall_first and len(receiver.requests) == 1:
                    receiver.first_arrived.set()
                    receiver.release.wait(60)
                status = receiver.answers.pop(0) if receiver.answers else 200
                payload = json.dumps({"rejected": receiver.reject}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    self.wfile.flush()
                    receiver.answered.append(status)
                except OSError:
                    pass  # the caller is gone (killed): this answer reached no one

            def log_message(self, *args):
                pass

        self.reject: list[str] = []
        self.server = None
        for port in ports or RECEIVER_PORTS:
            try:
                self.server = ThreadingHTTPServer((host, port), Handler)
                break
            except OSError:
                continue
        assert self.server is not None, "no free port in 8140-8149"
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(**kwargs) -> Receiver:
        r = Receiver(**kwargs)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()
