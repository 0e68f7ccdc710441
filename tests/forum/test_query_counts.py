"""Every page and list endpoint costs a fixed number of queries, whatever its page size: the
counts are pinned at two page sizes, for an anonymous and a signed-in reader, on the web pages
and through the API (the page cache off: these are the costs of a rendered answer)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from forum import services
from tests.api.conftest import bearer
from tests.commit import committed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIZES = (3, 10)  # page sizes; every list below holds more than the larger one


@pytest.fixture
def forum(member, other_member, category, settings):
    """12 threads, one of 12 posts quoting each other, 12 notifications and profile posts for
    `member`, all matching the search word "kohlrabi"."""
    threads = [
        committed(services.thread_create)(
            author=other_member, category=category, title=f"Kohlrabi {i}", body=f"Kohlrabi {i}"
        )
        for i in range(12)
    ]
    big = threads[0]
    committed(services.thread_subscribe)(user=member, thread=big)
    first = big.posts.get(number=1)
    for i in range(11):
        author = other_member if i % 2 else UserFactory()
        body = f'[quote="{other_member.username}" post={first.pk}]\nKohlrabi 0\n[/quote]\n\n'
        committed(services.post_reply)(author=author, thread=big, body=f"{body}kohlrabi {i}")
    big.refresh_from_db()
    return {"thread": big, "category": category, "author": other_member}


def web_urls(forum) -> dict[str, str]:
    return {
        "index": "/",
        "category": forum["category"].get_absolute_url(),
        "thread": forum["thread"].get_absolute_url(),
        "search": "/search/?q=kohlrabi",
        "profile": f"/accounts/u/{forum['author'].username}/",
        "notifications": "/notifications/",
    }


def api_urls(forum, size: int) -> dict[str, str]:
    thread = forum["thread"]
    return {
        "categories": f"/api/v1/categories/?page_size={size}",
        "threads": f"/api/v1/threads/?page_size={size}",
        "thread_posts": f"/api/v1/threads/{thread.pk}/posts/?page_size={size}",
        "search": f"/api/v1/search/?q=kohlrabi&page_size={size}",
        "notifications": f"/api/v1/notifications/?page_size={size}",
        "changes": f"/api/v1/changes/?page_size={size}",
    }


def queries(client, url: str) -> int:
    client.get(url)  # the first view of a page may move a read position
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code in (200, 302), (url, response.status_code)
    return len(ctx)


# name: (anonymous, signed in); None where the page is for members only.
WEB = {
    "index": (2, 4),
    "category": (3, 5),
    "thread": (6, 9),
    "search": (7, 9),
    "profile": (7, 11),
    "notifications": (None, 4),
}
# Signed in through a token: one query for the token, its user and whether they moderate
# (accounts.auth.TokenAuthentication).
API = {
    "categories": (1, 2),
    "threads": (1, 2),
    "thread_posts": (7, 8),
    "search": (9, 10),
    "notifications": (None, 2),
    "changes": (5, 6),
}


def expected(table: dict, name: str) -> tuple:
    counts = table[name]
    if name == "search" and connection.vendor != "postgresql":
        # SQLite: no statement timeout to set and parse with, headlines written in Python,
        # and one look for the FTS5 table (forum.search): one query fewer.
        return tuple(None if n is None else n - 1 for n in counts)
    return counts


@pytest.mark.parametrize("name", WEB)
def test_every_page_costs_the_same_queries_at_two_page_sizes(name, forum, member, settings):
    counts = {}
    for size in SIZES:
        settings.STOA = {**settings.STOA, "POSTS_PER_PAGE": size, "THREADS_PER_PAGE": size}
        url = web_urls(forum)[name]
        anonymous, signed_in = Client(), Client()
        signed_in.force_login(member)
        counts[size] = (
            queries(anonymous, url) if WEB[name][0] is not None else None,
            queries(signed_in, url),
        )
    assert counts == {size: expected(WEB, name) for size in SIZES}


@pytest.mark.parametrize("name", API)
def test_every_api_list_costs_the_same_queries_at_two_page_sizes(name, forum, member):
    counts = {}
    for size in SIZES:
        url = api_urls(forum, size)[name]
        counts[size] = (
            queries(Client(), url) if API[name][0] is not None else None,
            queries(bearer(member), url),
        )
    assert counts == {size: expected(API, name) for size in SIZES}
