"""Bookmarks and the list of followed threads, on the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forum import selectors, services
from forum.models import Bookmark, Thread
from tests.commit import committed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_bookmark_a_post_and_a_thread_from_the_thread_page(client, member, other_member, thread):
    post = thread.posts.get(number=1)
    client.force_login(other_member)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "action-bookmark" in page and "Bookmark this thread" in page
    for _ in range(2):  # sent twice: one bookmark
        client.post(reverse("forum:post_bookmark", args=[post.pk]), {"on": "1"})
    client.post(reverse("forum:thread_bookmark", args=[thread.pk]), {"on": "1"})
    assert Bookmark.objects.filter(user=other_member).count() == 2
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Remove bookmark" in page and "Remove the thread from bookmarks" in page
    listing = client.get(reverse("forum:bookmarks")).content.decode()
    assert f"“{thread.title}” #1" in listing and "the whole thread" in listing
    response = client.post(
        reverse("forum:post_bookmark", args=[post.pk]), {"on": "0", "next": "bookmarks"}
    )
    assert response["Location"] == reverse("forum:bookmarks")
    assert list(Bookmark.objects.values_list("post_id", flat=True)) == [None]


def test_a_bookmarked_post_hidden_since_leaves_the_list_without_a_trace(
    client, member, other_member, thread, moderator
):
    post = committed(services.post_reply)(author=member, thread=thread, body="Soon hidden: xyzzy")
    services.bookmark_add(user=other_member, thread=thread, post=post)
    services.post_hide(actor=moderator, post=post)
    assert not selectors.bookmark_list(user=other_member).exists()
    client.force_login(other_member)
    listing = client.get(reverse("forum:bookmarks")).content.decode()
    assert "xyzzy" not in listing and f"#{post.number}" not in listing
    # The moderator still reads it, so keeps their bookmark of it.
    services.bookmark_add(user=moderator, thread=thread, post=post)
    assert selectors.bookmark_list(user=moderator).count() == 1


def test_no_bookmarking_what_one_may_not_read(client, other_member, thread, moderator):
    post = thread.posts.get(number=1)
    services.post_hide(actor=moderator, post=post)
    client.force_login(other_member)
    response = client.post(reverse("forum:post_bookmark", args=[post.pk]), {"on": "1"})
    assert response.status_code == 404
    assert not Bookmark.objects.exists()


def test_visitors_have_no_bookmarks(client, thread):
    assert "action-bookmark" not in client.get(thread.get_absolute_url()).content.decode()
    response = client.get(reverse("forum:bookmarks"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    post = thread.posts.get(number=1)
    client.post(reverse("forum:post_bookmark", args=[post.pk]), {"on": "1"})
    assert not Bookmark.objects.exists()


def test_bookmarks_are_private(client, member, other_member, thread):
    services.bookmark_add(user=member, thread=thread)
    client.force_login(other_member)
    assert "the whole thread" not in client.get(reverse("forum:bookmarks")).content.decode()


def test_followed_threads_by_latest_activity_with_unread_counts(
    client, member, other_member, make_thread
):
    old = make_thread(other_member, title="Old news")
    new = make_thread(other_member, title="Fresh news")
    unwatched = make_thread(other_member, title="Not followed")
    for thread in (old, new):
        services.thread_subscribe(user=member, thread=thread)
    Thread.objects.filter(pk=new.pk).update(last_activity=timezone.now() - timedelta(days=2))
    committed(services.post_reply)(author=other_member, thread=old, body="News on the old one")
    services.thread_mark_read(user=member, thread=old, number=1)
    client.force_login(member)
    page = client.get(reverse("forum:following")).content.decode()
    assert page.index("Old news") < page.index("Fresh news")
    assert unwatched.title not in page
    assert "1 unread" in page
    services.thread_mute(user=member, thread=old)
    assert "Old news" not in client.get(reverse("forum:following")).content.decode()


def test_the_followed_list_costs_the_same_queries_however_long(
    client, member, other_member, make_thread
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(member)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("forum:following")).status_code == 200
        return len(ctx)

    services.thread_subscribe(user=member, thread=make_thread(other_member, title="One"))
    client.get(reverse("forum:following"))
    one = count()
    for i in range(6):
        services.thread_subscribe(user=member, thread=make_thread(other_member, title=f"T{i}"))
    assert count() == one


def test_the_account_pages_link_the_lists(client, member):
    client.force_login(member)
    profile = client.get(member.get_absolute_url()).content.decode()
    for name in ("forum:bookmarks", "forum:following", "forum:blocked"):
        assert reverse(name) in profile
    assert UserFactory().pk
