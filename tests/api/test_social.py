"""Blocks, bookmarks and followed threads through the API, from the attacker's side too."""

from __future__ import annotations

import pytest

from forum import services
from forum.models import Block, Bookmark, Notification
from tests.api.conftest import bearer, error_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(thread):
    return thread.posts.get(number=1)


def test_block_list_and_unblock(as_member, other_member, post):
    response = as_member.post("/api/v1/me/blocks/", {"username": other_member.username.upper()})
    assert response.status_code == 201
    assert response.json()["member"]["username"] == other_member.username
    assert (
        as_member.post("/api/v1/me/blocks/", {"username": other_member.username}).status_code == 200
    )
    listed = as_member.get("/api/v1/me/blocks/").json()
    assert [b["member"]["username"] for b in listed["results"]] == [other_member.username]
    assert as_member.delete(f"/api/v1/me/blocks/{other_member.username}/").status_code == 204
    assert as_member.delete(f"/api/v1/me/blocks/{other_member.username}/").status_code == 404
    assert not Block.objects.exists()


def test_blocked_authors_posts_are_flagged_for_the_blocker_only(
    as_member, as_other, member, other_member, thread
):
    reply = services.post_reply(author=other_member, thread=thread, body="Ignored words")
    services.member_block(user=member, member=other_member)
    mine = as_member.get(f"/api/v1/threads/{thread.pk}/posts/").json()["results"]
    assert {p["id"]: p["author_blocked"] for p in mine} == {
        thread.posts.get(number=1).pk: False,
        reply.pk: True,
    }
    theirs = as_other.get(f"/api/v1/posts/{reply.pk}/").json()
    assert theirs["author_blocked"] is False


@pytest.mark.parametrize("who", ["self", "moderator"])
def test_staff_and_oneself_cannot_be_blocked(as_member, member, moderator, who):
    target = member if who == "self" else moderator
    response = as_member.post("/api/v1/me/blocks/", {"username": target.username})
    assert response.status_code == 403
    assert ("yourself" if who == "self" else "Moderators") in error_of(response)["message"]
    assert not Block.objects.exists()


def test_blocking_nobody_or_garbage_is_a_400(as_member):
    for body in ({"username": "no-such-member"}, {"username": 7}, {}):
        response = as_member.post("/api/v1/me/blocks/", body, format="json")
        assert response.status_code == 400
        assert "username" in str(error_of(response))


def test_a_blocked_member_cannot_quote_the_blocker_through_the_api(
    as_other, member, other_member, post, thread
):
    markup = as_other.get(f"/api/v1/posts/{post.pk}/quote/").json()["markup"]
    services.member_block(user=member, member=other_member)
    refused = as_other.get(f"/api/v1/posts/{post.pk}/quote/")
    assert refused.status_code == 403
    assert "blocked you" in error_of(refused)["message"]
    listed = as_other.get(f"/api/v1/posts/{post.pk}/").json()
    assert listed["permissions"]["can_quote"] is False
    # Pasting the markup they kept from before is refused too, with a reason.
    response = as_other.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": markup + "\nHa."})
    assert response.status_code == 400
    assert "blocked you" in str(error_of(response))
    assert thread.posts.count() == 1


def test_mentions_from_a_blocked_member_do_not_notify(
    as_other, member, other_member, thread, django_capture_on_commit_callbacks
):
    services.member_block(user=member, member=other_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_other.post(
            f"/api/v1/threads/{thread.pk}/posts/", {"body": f"Hello @{member.username}"}
        )
    assert response.status_code == 201
    assert not Notification.objects.filter(recipient=member).exists()
    assert as_other.get("/api/v1/me/blocks/").json()["results"] == [], "blocks are private"


def test_anonymous_requests_get_401(anon, member):
    for path in ("/api/v1/me/blocks/", "/api/v1/me/bookmarks/", "/api/v1/me/following/"):
        assert anon.get(path).status_code == 401
    assert anon.post("/api/v1/me/blocks/", {"username": member.username}).status_code == 401


def test_bookmarks_add_list_and_remove(as_member, member, other_member, thread, make_thread):
    reply = services.post_reply(author=other_member, thread=thread, body="Worth keeping")
    first = as_member.post("/api/v1/me/bookmarks/", {"post": reply.pk})
    assert first.status_code == 201
    assert (
        first.json()["number"] == 2 and first.json()["author"]["username"] == other_member.username
    )
    assert as_member.post("/api/v1/me/bookmarks/", {"post": reply.pk}).status_code == 200
    whole = as_member.post("/api/v1/me/bookmarks/", {"thread": thread.pk})
    assert whole.status_code == 201 and whole.json()["post"] is None
    listed = as_member.get("/api/v1/me/bookmarks/").json()
    assert [b["id"] for b in listed["results"]] == [whole.json()["id"], first.json()["id"]]
    assert as_member.delete(f"/api/v1/me/bookmarks/{first.json()['id']}/").status_code == 204
    assert Bookmark.objects.count() == 1


def test_bookmarks_page_by_cursor(as_member, member, make_thread, other_member):
    threads = [make_thread(other_member, title=f"T{i}") for i in range(5)]
    for thread in threads:
        services.bookmark_add(user=member, thread=thread)
    page = as_member.get("/api/v1/me/bookmarks/", {"page_size": 2}).json()
    seen = [b["thread"] for b in page["results"]]
    while page["next_cursor"]:
        page = as_member.get(
            "/api/v1/me/bookmarks/", {"page_size": 2, "cursor": page["next_cursor"]}
        ).json()
        seen += [b["thread"] for b in page["results"]]
    assert seen == [t.pk for t in reversed(threads)]


def test_an_attacker_cannot_bookmark_hidden_posts_or_touch_others_bookmarks(
    as_other, member, thread, moderator, post
):
    services.post_hide(actor=moderator, post=post)
    assert as_other.post("/api/v1/me/bookmarks/", {"post": post.pk}).status_code == 404
    services.post_restore(actor=moderator, post=post)
    theirs, _ = services.bookmark_add(user=member, thread=thread, post=post)
    assert as_other.delete(f"/api/v1/me/bookmarks/{theirs.pk}/").status_code == 404
    assert Bookmark.objects.filter(pk=theirs.pk).exists()
    for body in ({}, {"post": post.pk, "thread": thread.pk}, {"post": "x"}):
        assert as_other.post("/api/v1/me/bookmarks/", body, format="json").status_code == 400


def test_a_bookmark_of_a_post_hidden_since_is_not_listed(as_member, member, thread, moderator):
    reply = services.post_reply(author=UserFactory(), thread=thread, body="Soon gone")
    services.bookmark_add(user=member, thread=thread, post=reply)
    services.post_hide(actor=moderator, post=reply)
    assert as_member.get("/api/v1/me/bookmarks/").json()["results"] == []
    assert bearer(moderator).get("/api/v1/me/bookmarks/").json()["results"] == []


def test_following_lists_watched_threads_with_unread_counts(
    as_member, member, other_member, make_thread
):
    watched = make_thread(other_member, title="Watched")
    make_thread(other_member, title="Not watched")
    services.thread_subscribe(user=member, thread=watched)
    services.post_reply(author=other_member, thread=watched, body="Something new")
    results = as_member.get("/api/v1/me/following/").json()["results"]
    assert [(t["title"], t["unread_count"], t["is_subscribed"]) for t in results] == [
        ("Watched", 2, True)
    ]


def test_following_is_ordered_by_activity_not_pins(
    as_member, member, other_member, make_thread, moderator
):
    pinned = make_thread(other_member, title="Pinned")
    services.thread_pin(actor=moderator, thread=pinned)
    busy = make_thread(other_member, title="Busy")
    for thread in (pinned, busy):
        services.thread_subscribe(user=member, thread=thread)
    services.post_reply(author=other_member, thread=busy, body="Activity")
    titles = [t["title"] for t in as_member.get("/api/v1/me/following/").json()["results"]]
    assert titles == ["Busy", "Pinned"]


@pytest.mark.parametrize("count", [1, 6])
def test_the_lists_run_a_fixed_number_of_queries(
    count, member, other_member, make_thread, django_assert_num_queries
):
    for i in range(count):
        thread = make_thread(other_member, title=f"Kept {i}")
        services.bookmark_add(user=member, thread=thread, post=thread.posts.get())
        services.thread_subscribe(user=member, thread=thread)
    api = bearer(member)
    api.get("/api/v1/me/")
    # The token with its user and whether they moderate (what the viewer may read), then the
    # page: bookmarks with their threads, posts and authors.
    with django_assert_num_queries(2):
        assert len(api.get("/api/v1/me/bookmarks/").json()["results"]) == count
    # The same, then the page of threads with unread counts and subscriptions.
    with django_assert_num_queries(2):
        assert len(api.get("/api/v1/me/following/").json()["results"]) == count
