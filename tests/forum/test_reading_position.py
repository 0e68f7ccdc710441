"""Reading position: unread markers on the lists, /t/<id>/unread/, own posts never unread."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum import selectors, services
from forum.models import ReadMarker

pytestmark = pytest.mark.django_db


def read_number(user, thread):
    return (
        ReadMarker.objects.filter(user=user, thread=thread)
        .values_list("last_read_number", flat=True)
        .first()
    )


def test_reading_a_page_moves_the_read_position_to_its_last_post(
    client, settings, member, other_member, make_thread
):
    settings.STOA = {**settings.STOA, "POSTS_PER_PAGE": 5}
    thread = make_thread(other_member, replies=11)  # 12 posts, 3 pages
    client.force_login(member)
    client.get(thread.get_absolute_url())
    assert read_number(member, thread) == 5
    client.get(thread.get_absolute_url() + "?page=3")
    assert read_number(member, thread) == 12
    # An earlier page never moves it back.
    client.get(thread.get_absolute_url())
    assert read_number(member, thread) == 12


def test_unread_opens_the_first_unread_post_on_its_page(
    client, settings, member, other_member, make_thread
):
    settings.STOA = {**settings.STOA, "POSTS_PER_PAGE": 5}
    thread = make_thread(other_member, replies=11)
    client.force_login(member)
    url = reverse("forum:thread_unread", args=[thread.pk])
    # Never opened: the first post.
    assert client.get(url)["Location"] == f"{thread.get_absolute_url()}#post-1"
    client.get(thread.get_absolute_url())  # read 1-5
    assert client.get(url)["Location"] == f"{thread.get_absolute_url()}?page=2#post-6"
    client.get(thread.get_absolute_url() + "?page=3")  # read all
    # Everything read: the last post.
    assert client.get(url)["Location"] == f"{thread.get_absolute_url()}?page=3#post-12"


def test_unread_for_visitors_is_the_first_post(client, thread):
    response = client.get(reverse("forum:thread_unread", args=[thread.pk]))
    assert response["Location"] == f"{thread.get_absolute_url()}#post-1"


def test_own_posts_never_make_a_thread_unread(member, other_member, make_thread):
    thread = make_thread(member)
    assert read_number(member, thread) == 1
    services.post_reply(author=other_member, thread=thread, body="A reply")
    services.thread_read_through(user=member, thread=thread, number=2)
    services.post_reply(author=member, thread=thread, body="My answer")
    row = selectors.thread_list(user=member).get(pk=thread.pk)
    assert row.unread_count == 0
    other = selectors.thread_list(user=other_member).get(pk=thread.pk)
    assert other.unread_count == 1


def test_index_and_category_mark_new_and_unread_threads(
    client, member, other_member, make_thread, category
):
    seen = make_thread(other_member, title="Seen thread")
    fresh = make_thread(other_member, title="Fresh thread")
    client.force_login(member)
    client.get(seen.get_absolute_url())
    services.post_reply(author=other_member, thread=seen, body="Something new")
    services.post_reply(author=other_member, thread=seen, body="Something newer")
    for url in (reverse("forum:index"), category.get_absolute_url()):
        html = client.get(url).content.decode()
        seen_row = html.split("Seen thread</a>")[1].split("</li>")[0]
        fresh_row = html.split("Fresh thread</a>")[1].split("</li>")[0]
        assert reverse("forum:thread_unread", args=[seen.pk]) in seen_row
        assert "2 unread" in seen_row
        assert "New" in fresh_row
    assert fresh.pk  # both rows rendered


def test_visitors_see_no_unread_markers(client, thread):
    html = client.get(reverse("forum:index")).content.decode()
    assert "badge-new" not in html


def test_the_index_costs_the_same_queries_with_read_markers(
    client, member, other_member, make_thread, django_assert_num_queries
):
    for i in range(3):
        make_thread(other_member, title=f"Thread {i}")
    client.force_login(member)
    client.get(reverse("forum:index"))
    # user with whether they moderate (the session from the cache), categories, threads with
    # their read position, the header's unread count
    with django_assert_num_queries(4):
        client.get(reverse("forum:index"))
    for i in range(5):
        make_thread(other_member, title=f"More {i}")
        client.get(selectors.thread_list().first().get_absolute_url())
    with django_assert_num_queries(4):
        client.get(reverse("forum:index"))


def test_short_url_keeps_the_page(client, thread):
    response = client.get(f"/t/{thread.pk}/?page=2")
    assert response.status_code == 301
    assert response["Location"] == f"{thread.get_absolute_url()}?page=2"
