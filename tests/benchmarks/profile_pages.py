"""CPU time and queries of a signed-in member's pages that render, measured in process.

    python -m tests.benchmarks.profile_pages [--views N] [--rounds R] [--against REF]
                                             [--pages index,thread] [--profile PAGE]

Serves each page to member user05 (../shared/peer/stoa_seed.py's data, the side-by-side
benchmark's database) through the whole WSGI application, as gunicorn calls it: production
settings (DEBUG=False, sessions through the cache on Redis, persistent connections, every
middleware), READER_PAGE_CACHE off, so every view renders, from warm shared fragments. Per page
it prints the median CPU time of one view (time.process_time of this process: what a gunicorn
worker spends, without PostgreSQL's and Redis's own time), the median wall time and the
queries of one view.

--against REF measures the code of a git revision (main, a commit) in the same run: each side
is a process of its own (REF's tree exported to a temporary directory), with its own cache key
prefix (their fragments may differ), and the two take turns, page by page, R rounds of N views,
so that the machine's load drifts over both alike. --profile PAGE prints cProfile's top
functions for N views of one page instead.

Uses $DATABASE_URL (default postgres://postgres@127.0.0.1:5432/stoa_bench) and $REDIS_URL
(default redis://127.0.0.1:6379/0). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = {
    "index": "/",
    "category": "/c/category-1-bookmark/",
    "thread": "/t/49/it-mention-topic-avatar-thread-quote-this/",
    "thread_last": "/t/1/the-big-megathread/?page=100",
    "search_common": "/search/?q=gunicorn+benchmark",
    "search_rare": "/search/?q=megathread",
}
MEMBER, PASSWORD = "user05", "benchpass"
ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
    "DEBUG": "False",
    "SECURE_HTTPS": "False",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECRET_KEY": "profile-secret-key-not-for-production-0123456789abcdef",
    "CONN_MAX_AGE": "60",
    "READER_PAGE_CACHE": "False",
    "THROTTLE_SEARCH_USER": "1000000/min",
    "THROTTLE_SEARCH_ANON": "1000000/min",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/stoa_bench",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


# --- the worker: one code tree, driven over stdin/stdout ---------------------------------------


class Member:
    """A browser of one signed-in member: the session and CSRF cookies, sent with every view."""

    def __init__(self, application):
        from django.test import Client

        client = Client()
        if not client.login(username=MEMBER, password=PASSWORD):
            raise SystemExit(f"{MEMBER} cannot sign in: is this the benchmark's database?")
        self.application = application
        self.cookies = {"sessionid": client.cookies["sessionid"].value}

    def get(self, url: str) -> tuple[int, bytes]:
        path, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT": "text/html",
            "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status: list[str] = []
        headers: list[tuple[str, str]] = []

        def start_response(line, response_headers, exc_info=None):
            status.append(line)
            headers.extend(response_headers)

        result = self.application(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            result.close()  # request_finished: what gunicorn's close does (connections kept)
        for name, value in headers:
            if name.lower() == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
        return int(status[0].split()[0]), body


def _worker(prefix: str) -> None:
    # Run as a script: its own directory (settings.py, urls.py...) must not shadow anything.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
    import django
    from django.conf import settings

    # Each side its own cache keys: its fragments, versions and sessions are its own.
    settings.CACHES["default"]["KEY_PREFIX"] = prefix
    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    member = Member(get_wsgi_application())
    ran: list[str] = []

    def count(execute, sql, params, many, context):
        ran.append(sql)
        return execute(sql, params, many, context)

    connection.execute_wrappers.append(count)  # every query of the process, as it runs
    for page in PAGES.values():  # the CSRF cookie, the read positions, the fragments
        member.get(page)
        member.get(page)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        order = json.loads(line)
        url, views = PAGES[order["page"]], order["views"]
        if order.get("profile"):
            _profile(member, url, views)
            print(json.dumps({"done": True}), flush=True)
            continue
        cpu, wall, queries, codes = [], [], [], set()
        for _ in range(views):
            del ran[:]
            c0, w0 = time.process_time(), time.perf_counter()
            code, _ = member.get(url)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            queries.append(len(ran))
            codes.add(code)
        print(json.dumps({"cpu": cpu, "wall": wall, "queries": queries, "codes": sorted(codes)}))
        sys.stdout.flush()


def _profile(member: Member, url: str, views: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.process_time)  # CPU time: waits on PostgreSQL are not ours
    profiler.enable()
    for _ in range(views):
        member.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)


# --- the driver -------------------------------------------------------------------------------


class Side:
    def __init__(self, name: str, tree: Path, prefix: str):
        self.name = name
        # Production-like settings whatever this shell has; only the database and Redis from it.
        env = {**os.environ, **ENVIRONMENT, "PYTHONPATH": str(tree)}
        for name in ("DATABASE_URL", "REDIS_URL"):
            env[name] = os.environ.get(name, ENVIRONMENT[name])
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [sys.executable, str(Path(__file__).resolve()), "--worker", prefix],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._read()
        self.results: dict[str, dict[str, list]] = {}

    def _read(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"{self.name}: the worker stopped")
        return json.loads(line)

    def run(self, page: str, views: int, profile: bool = False) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"page": page, "views": views, "profile": profile}))
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        answer = self._read()
        if not profile:
            into = self.results.setdefault(
                page, {"cpu": [], "wall": [], "queries": [], "codes": []}
            )
            for key, values in answer.items():
                into[key].extend(values)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def _export(ref: str, into: Path) -> Path:
    """REF's tree in a directory of its own (git archive: no worktree, no checkout)."""
    archive = subprocess.run(  # noqa: S603
        ["git", "archive", "--format=tar", ref],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    shared = into.parent / "shared"  # tests and the seed read ../shared
    if not shared.exists():
        shared.symlink_to(ROOT.parent / "shared")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--views", type=int, default=50, help="views per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", default="index,category,thread,thread_last,search_rare")
    parser.add_argument("--against", metavar="REF", help="also measure this git revision")
    parser.add_argument("--profile", metavar="PAGE", help="cProfile N views of one page")
    parser.add_argument("--worker", metavar="PREFIX", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(args.worker)
    pages = args.pages.split(",")
    if args.profile:
        side = Side("this tree", ROOT, f"profile-{os.getpid()}")
        side.run(args.profile, args.views, profile=True)
        side.close()
        return
    with tempfile.TemporaryDirectory() as tmp:
        sides = [Side("this tree", ROOT, f"profile-a-{os.getpid()}")]
        if args.against:
            tree = _export(args.against, Path(tmp) / "tree")
            sides.append(Side(args.against, tree, f"profile-b-{os.getpid()}"))
        for _ in range(args.rounds):
            for page in pages:
                for side in sides:
                    side.run(page, args.views)
        for side in sides:
            side.close()
    print(f"{args.rounds} rounds of {args.views} views per page; CPU and wall: median ms of a view")
    header = f"{'page':<14}" + "".join(
        f"{side.name[:22]:>24}{'wall':>8}{'queries':>8}" for side in sides
    )
    print(header + ("   ratio" if len(sides) > 1 else ""))
    for page in pages:
        line = f"{page:<14}"
        cpus = []
        for side in sides:
            got = side.results[page]
            cpu = statistics.median(got["cpu"])
            cpus.append(cpu)
            bad = [code for code in got["codes"] if code != 200]
            line += f"{cpu:>24.2f}{statistics.median(got['wall']):>8.2f}"
            line += f"{statistics.median(got['queries']):>8.0f}" + (f" {bad}" if bad else "")
        if len(cpus) > 1:
            line += f"{cpus[1] / cpus[0]:>8.2f}"
        print(line)


if __name__ == "__main__":
    main()
