"""A thread's posts opened at a post (`around=N`) or at the viewer's first unread post
(`first_unread=true`): the page that holds it, as the web's pages cut the thread."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forum import services
from forum.models import Post
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_thread(member, make_thread):
    return make_thread(member, replies=11)  # posts 1..12


def numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [p["number"] for p in response.json()["results"]]


def url_of(thread, query: str) -> str:
    return f"/api/v1/threads/{thread.pk}/posts/?{query}"


@pytest.mark.parametrize(
    ("around", "page"),
    [(1, [1, 2, 3, 4, 5]), (5, [1, 2, 3, 4, 5]), (6, [6, 7, 8, 9, 10]), (12, [11, 12])],
)
def test_around_opens_the_page_that_holds_the_post(anon, long_thread, around, page):
    response = anon.get(url_of(long_thread, f"around={around}&page_size=5"))
    assert numbers(response) == page
    assert response.json()["target_number"] == around


def test_around_pages_link_back_and_continue_forward(anon, long_thread):
    body = anon.get(url_of(long_thread, "around=7&page_size=5")).json()
    assert "around=5" in body["previous"]
    assert numbers(anon.get(body["previous"])) == [1, 2, 3, 4, 5]
    assert "around" not in body["next"]
    after = anon.get(body["next"])
    assert numbers(after) == [11, 12]
    assert after.json()["target_number"] is None
    first = anon.get(url_of(long_thread, "around=2&page_size=5")).json()
    assert first["previous"] is None


def test_around_past_the_end_is_the_last_page(anon, long_thread):
    response = anon.get(url_of(long_thread, "around=999&page_size=5"))
    assert numbers(response) == [11, 12]
    assert response.json()["target_number"] == 12


def test_placeholders_keep_their_place_on_an_opened_page(anon, moderator, long_thread):
    hidden = long_thread.posts.get(number=7)
    services.post_hide(actor=moderator, post=hidden)
    results = anon.get(url_of(long_thread, "around=7&page_size=5")).json()["results"]
    assert [p["number"] for p in results] == [6, 7, 8, 9, 10]
    assert results[1]["is_placeholder"] and results[1]["html"] is None


def test_first_unread_opens_at_the_readers_first_unread_post(as_other, other_member, long_thread):
    # Never opened: the first page.
    response = as_other.get(url_of(long_thread, "first_unread=true&page_size=5"))
    assert numbers(response) == [1, 2, 3, 4, 5]
    assert response.json()["target_number"] == 1
    services.thread_mark_read(user=other_member, thread=long_thread, number=8)
    response = as_other.get(url_of(long_thread, "first_unread=true&page_size=5"))
    assert numbers(response) == [6, 7, 8, 9, 10]
    assert response.json()["target_number"] == 9
    # Everything read: the last post's page.
    services.thread_mark_read(user=other_member, thread=long_thread, number=12)
    response = as_other.get(url_of(long_thread, "first_unread=true&page_size=5"))
    assert response.json()["target_number"] == 12
    assert numbers(response) == [11, 12]


def test_first_unread_for_an_anonymous_reader_is_the_first_post(anon, long_thread):
    response = anon.get(url_of(long_thread, "first_unread=true&page_size=5"))
    assert response.json()["target_number"] == 1
    assert numbers(response) == [1, 2, 3, 4, 5]


def test_a_plain_page_has_no_target(anon, long_thread):
    assert anon.get(url_of(long_thread, "page_size=5")).json()["target_number"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("around=", "around"),
        ("around=0", "around"),
        ("around=abc", "around"),
        ("around=99999999999", "around"),
        ("first_unread=maybe", "first_unread"),
        ("around=3&first_unread=true", "around"),
        ("around=3&cursor=cD0z", "cursor"),
    ],
)
def test_bad_positions_are_a_400_naming_the_parameter(anon, long_thread, query, field):
    response = anon.get(url_of(long_thread, query))
    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_an_opened_page_costs_no_more_queries_than_a_plain_one(
    as_other, other_member, long_thread, django_assert_max_num_queries
):
    services.thread_mark_read(user=other_member, thread=long_thread, number=8)
    url = url_of(long_thread, "page_size=5")
    as_other.get(url)
    with CaptureQueriesContext(connection) as plain:
        as_other.get(url)
    # One more: the read position.
    with django_assert_max_num_queries(len(plain) + 1):
        as_other.get(url_of(long_thread, "first_unread=true&page_size=5"))
    assert Post.objects.filter(thread=long_thread).count() == 12
