"""Signed-in readers' pages kept in the cache (forum.pagecache.ReaderPageCacheMiddleware):
served again while nothing of the content or of the reader changed, a 304 for an unchanged
page, never another member's page, never stale after a write to the content or to what is
the reader's own (notifications, read positions, subscriptions, bookmarks, blocks, reactions,
their account and roles), with forms whose CSRF token works."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from forum import services
from moderation import sanctions as moderation_sanctions
from tests.commit import committed
from tests.factories import UserFactory

# page_cache: the cache on, as with REDIS_URL, and empty (an autouse fixture).
from tests.forum.test_pagecache import WRITES, page_cache  # noqa: F401

pytestmark = pytest.mark.django_db


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def get(client: Client, url: str, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code in (200, 304), (url, response.status_code)
    return response


def settled(client: Client, url: str):
    """Read `url` until it comes from the cache: a first view may write (a read position),
    so what it stored is never served; the next one is kept."""
    for _ in range(4):
        response = get(client, url)
        if response.get("X-Page-Cache") == "hit":
            return response
    raise AssertionError(f"{url} is never served from the cache")


def test_a_signed_in_page_is_served_again_until_something_changes(thread, other_member):
    reader = signed_in(other_member)
    url = thread.get_absolute_url()
    stored = settled(reader, url)
    again = get(reader, url)
    assert again["X-Page-Cache"] == "hit" and again.content == stored.content
    first = get(signed_in(UserFactory()), url)  # another member's first view: rendered
    assert first.get("X-Page-Cache") != "hit"
    assert "private" in again["Cache-Control"]
    services.post_reply(author=thread.author, thread=thread, body="News for the reader")
    fresh = get(reader, url)
    assert fresh.get("X-Page-Cache") != "hit" and b"News for the reader" in fresh.content


def test_an_unchanged_signed_in_page_is_a_304_before_the_view(
    thread, other_member, django_assert_max_num_queries
):
    reader = signed_in(other_member)
    etag = settled(reader, "/")["ETag"]
    # The session and the user only: no view runs.
    with django_assert_max_num_queries(2):
        response = reader.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    committed(services.thread_subscribe)(user=other_member, thread=thread)
    assert reader.get("/", headers={"If-None-Match": etag}).status_code == 200


def test_a_members_page_never_reaches_another_member(thread, member, other_member):
    for url in ("/", thread.get_absolute_url(), thread.category.get_absolute_url()):
        mine = settled(signed_in(member), url).content.decode()
        theirs = get(signed_in(other_member), url).content.decode()
        assert f">{member.name}<" in mine and f">{other_member.name}<" in theirs
        assert f">{member.name}<" not in theirs.split("</header>")[0]


def test_the_csrf_token_of_a_stored_page_is_the_readers_own(thread, other_member):
    reader = signed_in(other_member, enforce_csrf_checks=True)
    url = thread.get_absolute_url()
    settled(reader, url)
    html = get(reader, url).content.decode()
    post = thread.posts.get(number=1)
    token = re.search(
        rf'action="/p/{post.pk}/bookmark/">.*?name="csrfmiddlewaretoken" value="([^"]+)"',
        html,
    ).group(1)
    response = reader.post(f"/p/{post.pk}/bookmark/", {"csrfmiddlewaretoken": token, "on": "1"})
    assert response.status_code in (200, 302)
    assert other_member.bookmarks.filter(post=post).exists()


def test_a_page_with_a_message_to_show_is_not_taken_from_the_cache(thread, other_member):
    reader = signed_in(other_member)
    url = thread.get_absolute_url()
    settled(reader, url)
    response = reader.post(f"/t/{thread.pk}/subscription/", {"level": "watching"})
    assert response.status_code == 302
    page = reader.get(url)
    assert page.get("X-Page-Cache") != "hit"


# Writes to what is the reader's own, none of which moves the content version:
# write(thread, reader, other, client) -> (url, text expected after; "!text": not expected).
def _warned(thread, reader, other, client):
    moderation_sanctions.member_warn(
        moderator=other, member=reader, reason="Mind the tone", post=thread.posts.get(number=1)
    )
    return "/", 'class="count"'


def _read_through(thread, reader, other, client):
    services.thread_mark_read(user=reader, thread=thread, number=0)  # "mark unread"
    assert "1 unread" in settled(client, "/").content.decode()
    get(client, thread.get_absolute_url())  # reading the thread moves the position
    return "/", "!1 unread"


def _subscribed(thread, reader, other, client):
    services.thread_subscribe(user=reader, thread=thread)
    return thread.get_absolute_url(), "You are watching this thread"


def _bookmarked(thread, reader, other, client):
    services.bookmark_add(user=reader, thread=thread)
    return thread.get_absolute_url(), "Remove the thread from bookmarks"


def _blocked(thread, reader, other, client):
    services.member_block(user=reader, member=thread.author)
    return thread.get_absolute_url(), '<details class="blocked-post">'


def _blocked_by(thread, reader, other, client):
    services.member_block(user=thread.author, member=reader)  # they may not quote them now
    return thread.get_absolute_url(), "!action-quote"


def _reacted(thread, reader, other, client):
    services.post_react(user=reader, post=thread.posts.get(number=1), kind="like")
    return thread.get_absolute_url(), 'aria-pressed="true"'


def _made_moderator(thread, reader, other, client):
    reader.groups.add(Group.objects.get_or_create(name="Moderators")[0])
    return thread.get_absolute_url(), "action-hide"


def _suspended(thread, reader, other, client):
    moderation_sanctions.member_suspend(
        moderator=other, member=reader, reason="Cooling off", until=None
    )
    return thread.get_absolute_url(), "Cooling off"


def _notifications_read(thread, reader, other, client):
    _warned(thread, reader, other, client)
    assert 'class="count"' in settled(client, "/").content.decode()
    services.notifications_mark_read(user=reader)
    return "/", '!class="count"'


READER_WRITES: dict[str, Callable] = {
    "notification": _warned,
    "read position": _read_through,
    "subscription": _subscribed,
    "bookmark": _bookmarked,
    "block": _blocked,
    "blocked by the author": _blocked_by,
    "reaction": _reacted,
    "moderator role": _made_moderator,
    "suspension": _suspended,
    "notifications read": _notifications_read,
}


@pytest.mark.parametrize("write", READER_WRITES.values(), ids=READER_WRITES.keys())
def test_every_write_to_what_is_the_readers_own_is_seen_by_their_next_read(
    write, thread, other_member, moderator
):
    reader = signed_in(other_member)
    for url in ("/", thread.get_absolute_url(), thread.category.get_absolute_url()):
        settled(reader, url)
    url, expected = write(thread, other_member, moderator, reader)
    html = get(reader, url).content.decode()
    if expected.startswith("!"):
        assert expected[1:] not in html
    else:
        assert expected in html


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_kind_of_content_write_is_seen_by_a_signed_in_reader_with_a_stored_page(
    write, thread, moderator, member, other_member
):
    reader = signed_in(other_member)
    for url in ("/", thread.get_absolute_url(), thread.category.get_absolute_url()):
        settled(reader, url)
    expected = write(thread, moderator, member)
    thread.refresh_from_db()
    html = get(reader, thread.get_absolute_url()).content.decode()
    if expected.startswith("!"):
        assert expected[1:] not in html
    elif expected == "locked":
        assert "This thread is locked." in html
    else:
        assert expected in html


def test_the_headers_unread_count_is_kept_per_reader_and_never_stale(
    settings, thread, other_member, moderator
):
    settings.STOA = {**settings.STOA, "READER_PAGE_CACHE": False}  # every page rendered
    reader = signed_in(other_member)
    get(reader, "/search/")
    with CaptureQueriesContext(connection) as ctx:
        assert 'class="count"' not in get(reader, "/search/").content.decode()
    assert not [q for q in ctx.captured_queries if "forum_notification" in q["sql"]]
    _warned(thread, other_member, moderator, reader)
    assert 'class="count">1<' in get(reader, "/search/").content.decode()
    services.notifications_mark_read(user=other_member)
    assert 'class="count"' not in get(reader, "/search/").content.decode()
