"""Sustained mixed load on a running Stoa: members reading pages and the API, some replying.

Run it with tests/load/run.sh, which starts a server with demo data and load accounts, then
checks for server errors and that the counters still reconcile.
"""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path

from locust import HttpUser, between, task

# One API token per line, made by run.sh before the run.
TOKENS = Path(os.environ["LOAD_TOKENS"]).read_text().split()
_numbers = itertools.count()


class Member(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        token = TOKENS[next(_numbers) % len(TOKENS)]
        self.client.headers["Authorization"] = f"Bearer {token}"
        threads = self.client.get("/api/v1/threads/?page_size=50", name="/api/v1/threads/")
        self.thread_ids = [t["id"] for t in threads.json()["results"]] or [1]
        self.replies = 0

    def _thread(self) -> int:
        return random.choice(self.thread_ids)

    @task(5)
    def list_threads(self) -> None:
        self.client.get("/api/v1/threads/", name="/api/v1/threads/")

    @task(5)
    def read_posts(self) -> None:
        self.client.get(
            f"/api/v1/threads/{self._thread()}/posts/", name="/api/v1/threads/{id}/posts/"
        )

    @task(3)
    def index_page(self) -> None:
        self.client.get("/", name="/ (page)")

    @task(3)
    def thread_page(self) -> None:
        self.client.get(f"/t/{self._thread()}/", name="/t/{id}/ (page)", allow_redirects=True)

    @task(1)
    def notifications(self) -> None:
        self.client.get("/api/v1/notifications/", name="/api/v1/notifications/")

    @task(2)
    def reply(self) -> None:
        self.replies += 1
        self.client.post(
            f"/api/v1/threads/{self._thread()}/posts/",
            json={"body": f"Load reply {self.replies} from {id(self)}: how did your long run go?"},
            name="/api/v1/threads/{id}/posts/ (reply)",
        )
