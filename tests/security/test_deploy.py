"""The deployment in deploy/: Debian's nginx in front of gunicorn on 127.0.0.1, attacked
with slow-header clients (slowloris). Without the proxy two sync workers are held by two
slow clients and normal requests stall; with it, 50 slow clients change nothing.

Needs nginx, openssl and gunicorn (.ci/run installs them) and PostgreSQL (gunicorn serves
the test database from another process); skipped otherwise.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
GUNICORN_PORT = 8161
HTTP_PORT = 8162
HTTPS_PORT = 8163
SLOW_CLIENTS = 50

pytestmark = pytest.mark.django_db


def _need(tool: str) -> str:
    path = shutil.which(tool) or (
        f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None
    )
    if path is None:
        pytest.skip(f"{tool} is not installed")
    return path


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def _nginx_conf(tmp: Path) -> Path:
    """The production files, pointed at this test's ports, certificate and directories."""
    root = tmp / "srv"
    shutil.copytree(REPO / "deploy", root / "deploy")
    (root / "staticfiles").mkdir()
    (root / "staticfiles" / "probe.txt").write_text("static ok")
    (root / "media").mkdir()
    subprocess.run(  # noqa: S603 (fixed arguments)
        [
            _need("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost",
            "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    for name in ("stoa.conf", "stoa-app.conf"):
        path = root / "deploy" / "nginx" / name
        text = path.read_text()
        replacements = {
            "/srv/stoa": str(root),
            "127.0.0.1:8000": f"127.0.0.1:{GUNICORN_PORT}",
            "listen 80;": f"listen 127.0.0.1:{HTTP_PORT};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{HTTPS_PORT} ssl http2;",
            "listen [::]:80;": "",
            "listen [::]:443 ssl http2;": "",
            "/etc/letsencrypt/live/forum.example.com/fullchain.pem": str(tmp / "cert.pem"),
            "/etc/letsencrypt/live/forum.example.com/privkey.pem": str(tmp / "key.pem"),
            "forum.example.com": "localhost",
        }
        for old, new in replacements.items():
            text = text.replace(old, new)
        path.write_text(text)
    conf = tmp / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(
        f"""{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {root}/deploy/nginx/stoa.conf;
}}
"""
    )
    return conf


@contextlib.contextmanager
def _running(command: list[str], *, env: dict | None = None, log: Path):
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (the test's own commands)
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class SlowClients:
    """Connections that send a request line and then one header byte every second, never
    finishing: each holds whatever reads its headers."""

    def __init__(self, port: int, count: int, *, tls: bool) -> None:
        self.port, self.count, self.tls = port, count, tls
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def _one(self) -> None:
        with contextlib.suppress(OSError):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            if self.tls:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                sock = context.wrap_socket(sock, server_hostname="localhost")
            with sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
                while not self.stop.wait(1.0):
                    sock.sendall(b"X")

    def __enter__(self):
        for _ in range(self.count):
            thread = threading.Thread(target=self._one, daemon=True)
            thread.start()
            self.threads.append(thread)
        time.sleep(1.5)  # every slow client connected and waiting
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)


def _get(port: int, path: str, *, tls: bool, timeout: float) -> tuple[int, float, bytes]:
    started = time.monotonic()
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "localhost"})
        response = conn.getresponse()
        body = response.read()
        return response.status, time.monotonic() - started, body
    finally:
        conn.close()


def test_fifty_slow_header_clients_do_not_delay_normal_requests_through_nginx(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("gunicorn serves the test database from another process: PostgreSQL only")
    nginx = _need("nginx")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed")
    conf = _nginx_conf(tmp_path)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "False",
        "SECRET_KEY": "test-" + "k" * 60,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "BEHIND_PROXY": "True",
        "NUM_PROXIES": "1",
        "GUNICORN_BIND": f"127.0.0.1:{GUNICORN_PORT}",
        "GUNICORN_WORKERS": "2",
    }
    env.pop("REDIS_URL", None)
    gunicorn_cmd = [str(gunicorn), "forum.wsgi", "-c", "deploy/gunicorn.conf.py"]
    with (
        _running(gunicorn_cmd, env=env, log=tmp_path / "gunicorn.log"),
        _running([nginx, "-c", str(conf)], log=tmp_path / "nginx.log"),
    ):
        _wait_port(GUNICORN_PORT)
        _wait_port(HTTPS_PORT)

        # The production layout works: HTTP redirects to HTTPS, static files come from disk,
        # pages from gunicorn, with Django's HTTPS settings seeing the proxy's scheme.
        status, _, _ = _get(HTTP_PORT, "/", tls=False, timeout=5)
        assert status == 301
        status, _, body = _get(HTTPS_PORT, "/static/probe.txt", tls=True, timeout=5)
        assert (status, body) == (200, b"static ok")
        baseline = []
        for _ in range(10):
            status, seconds, _ = _get(HTTPS_PORT, "/", tls=True, timeout=30)
            assert status == 200
            baseline.append(seconds)

        with SlowClients(HTTPS_PORT, SLOW_CLIENTS, tls=True):
            attacked = []
            for _ in range(20):
                status, seconds, _ = _get(HTTPS_PORT, "/", tls=True, timeout=30)
                assert status == 200
                attacked.append(seconds)
        print(
            f"\nthrough nginx: median {statistics.median(baseline) * 1000:.0f} ms before, "
            f"{statistics.median(attacked) * 1000:.0f} ms (max {max(attacked) * 1000:.0f} ms) "
            f"with {SLOW_CLIENTS} slow-header clients"
        )
        # Relative to the same machine's baseline: the suite may share a busy CPU.
        assert max(attacked) < max(3.0, 3 * max(baseline))
        assert statistics.median(attacked) < max(0.5, 3 * statistics.median(baseline))

        # The same attack straight at gunicorn: the two workers are held, a normal request
        # does not get an answer. This is why the proxy is required.
        with (
            SlowClients(GUNICORN_PORT, SLOW_CLIENTS, tls=False),
            pytest.raises((TimeoutError, http.client.RemoteDisconnected)),
        ):
            _get(GUNICORN_PORT, "/", tls=False, timeout=3)
