"""API thread lists in the web's order (pinned first, then latest activity), paged by a
composite cursor that stays right across the pinned/unpinned boundary; categories by position."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forum import selectors
from forum.models import Thread
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(member, make_thread):
    """Seven threads, three pinned, with distinct activity times and two sharing one."""
    made = [make_thread(member, title=f"Thread {i}") for i in range(7)]
    base = timezone.now() - timedelta(days=1)
    for i, thread in enumerate(made):
        Thread.objects.filter(pk=thread.pk).update(
            is_pinned=i in (1, 4, 6),
            # Threads 2 and 3 share a time: the id breaks the tie.
            last_activity=base + timedelta(minutes=min(i, 2) if i < 4 else i),
        )
    return made


def walk(client, url: str) -> list[int]:
    seen: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [t["id"] for t in body["results"]]
        assert body["previous"] is None
        url = body["next"]
        if url:
            assert body["next_cursor"]
    return seen


@pytest.mark.parametrize("size", [1, 2, 3, 7, 20])
def test_pages_list_pinned_threads_first_like_the_web(anon, threads, size):
    web_order = list(selectors.thread_list().values_list("pk", flat=True))
    seen = walk(anon, f"/api/v1/threads/?page_size={size}")
    assert seen == web_order
    pinned = {threads[i].pk for i in (1, 4, 6)}
    assert set(seen[:3]) == pinned
    # Newest activity first among the unpinned, the id breaking ties.
    assert seen[3:] == [threads[5].pk, threads[3].pk, threads[2].pk, threads[0].pk]


def test_the_cursor_is_right_across_the_pinned_boundary_while_threads_move(anon, threads):
    first = anon.get("/api/v1/threads/?page_size=3").json()
    assert [t["is_pinned"] for t in first["results"]] == [True, True, True]
    # Activity on a thread already seen moves it to the top of the unpinned ones: the next
    # page neither repeats it nor skips any other.
    Thread.objects.filter(pk=threads[6].pk).update(last_activity=timezone.now())
    Thread.objects.filter(pk=threads[2].pk).update(last_activity=timezone.now())
    rest = walk(anon, first["next"])
    assert rest == [threads[2].pk, threads[5].pk, threads[3].pk, threads[0].pk]


def test_a_forged_composite_cursor_is_a_404(anon, threads):
    import base64

    for position in (
        "1|nonsense|3",
        "1|2026-01-01T00:00:00|3",
        "1|2",
        "2|x",
        "1|2026-01-01T00:00:00+00:00|99999999999999999999",
    ):
        token = base64.b64encode(f"p={position}".encode()).decode()
        response = anon.get("/api/v1/threads/", {"cursor": token})
        assert response.status_code == 404, position
    reverse = base64.b64encode(b"r=1&p=1|2026-01-01T00:00:00+00:00|3").decode()
    assert anon.get("/api/v1/threads/", {"cursor": reverse}).status_code == 404


def test_filters_keep_the_order_and_the_cursor(anon, threads):
    seen = walk(anon, "/api/v1/threads/?page_size=1&pinned=true")
    assert seen == [threads[6].pk, threads[4].pk, threads[1].pk]


def test_a_page_of_threads_costs_the_same_queries_with_a_cursor(
    anon, threads, django_assert_max_num_queries
):
    first = anon.get("/api/v1/threads/?page_size=2").json()
    with django_assert_max_num_queries(2):
        assert anon.get(first["next"]).status_code == 200


def test_categories_are_listed_by_position_then_name(anon):
    last = CategoryFactory(name="Aardvarks", position=5)
    first = CategoryFactory(name="Zebras", position=1)
    middle = CategoryFactory(name="Bees", position=3)
    tied = CategoryFactory(name="Ants", position=3)
    ids = [c["id"] for c in anon.get("/api/v1/categories/").json()]
    assert ids == [first.pk, tied.pk, middle.pk, last.pk]
