from __future__ import annotations

import pytest

from core import throttles
from core.api.pagination import cursor_of
from forum import selectors, services
from forum.models import Post, ReadMarker, Subscription, Thread
from tests.api.conftest import bearer, error_of
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_categories_are_listed_with_thread_counts(anon, thread, category):
    response = anon.get("/api/v1/categories/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": category.pk,
            "name": category.name,
            "slug": category.slug,
            "description": "",
            "position": 0,
            "thread_count": 1,
        }
    ]


def test_member_starts_a_thread_with_category_slug(as_member, member, category):
    response = as_member.post(
        "/api/v1/threads/",
        {"category": category.slug, "title": "Knee pain after runs", "body": "Any tips?"},
    )
    assert response.status_code == 201
    data = response.json()
    thread = Thread.objects.get(pk=data["id"])
    assert thread.author == member
    assert data["title"] == "Knee pain after runs"
    assert data["category"]["slug"] == category.slug
    assert data["post_count"] == 1
    # The author's own post is read by them.
    assert data["unread_count"] == 0
    assert data["is_subscribed"] is True
    assert thread.posts.get().source == "Any tips?"


def test_thread_create_ignores_forged_fields(as_member, member, other_member, category):
    response = as_member.post(
        "/api/v1/threads/",
        {
            "category": category.slug,
            "title": "Forged",
            "body": "Hello",
            "author": other_member.pk,
            "is_pinned": True,
            "is_locked": True,
            "post_count": 99,
            "created": "2001-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201
    thread = Thread.objects.get(pk=response.json()["id"])
    assert thread.author == member
    assert not thread.is_pinned
    assert not thread.is_locked
    assert thread.post_count == 1
    assert thread.created.year > 2001


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"title": "t", "body": "b"}, "category"),
        ({"category": "no-such-category", "title": "t", "body": "b"}, "category"),
        ({"category": "SLUG", "title": "   ", "body": "b"}, "title"),
        ({"category": "SLUG", "title": "t", "body": "   "}, "body"),
        ({"category": "SLUG", "title": ["t"], "body": "b"}, "title"),
        ({"category": "SLUG", "title": "t", "body": {"x": 1}}, "body"),
        ({"category": "SLUG", "title": "t" * 201, "body": "b"}, "title"),
        ({"category": "SLUG", "title": "t", "body": "b" * 60_001}, "body"),
    ],
)
def test_thread_create_rejects_bad_input_with_field_messages(as_member, category, payload, field):
    if payload.get("category") == "SLUG":
        payload = {**payload, "category": category.slug}
    response = as_member.post("/api/v1/threads/", payload)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert not Thread.objects.exists()


def test_anonymous_cannot_start_a_thread(anon, category):
    response = anon.post("/api/v1/threads/", {"category": category.slug, "title": "t", "body": "b"})
    assert response.status_code == 401
    assert not Thread.objects.exists()


def test_threads_are_filtered_by_category_author_pinned_and_updated_since(
    anon, member, other_member, make_thread, moderator
):
    elsewhere = CategoryFactory(slug="elsewhere")
    first = make_thread(member, title="First")
    second = make_thread(other_member, title="Second", in_category=elsewhere)
    services.thread_pin(actor=moderator, thread=second)

    def ids(query):
        response = anon.get(f"/api/v1/threads/?{query}")
        assert response.status_code == 200
        return [t["id"] for t in response.json()["results"]]

    assert ids("category=elsewhere") == [second.pk]
    assert ids(f"author={member.username}") == [first.pk]
    assert ids("pinned=true") == [second.pk]
    assert ids("pinned=false") == [first.pk]
    assert ids("updated_since=2999-01-01T00:00:00Z") == []
    assert set(ids("updated_since=2000-01-01T00:00:00Z")) == {first.pk, second.pk}
    assert anon.get("/api/v1/threads/?updated_since=yesterday").status_code == 400


def test_thread_list_pages_with_a_cursor(anon, member, make_thread):
    made = [make_thread(member, title=f"T{i}", body=f"Body {i}") for i in range(5)]
    first = anon.get("/api/v1/threads/?page_size=2").json()
    assert len(first["results"]) == 2
    second = anon.get(first["next"]).json()
    third = anon.get(second["next"]).json()
    seen = [t["id"] for page in (first, second, third) for t in page["results"]]
    assert sorted(seen) == sorted(t.pk for t in made)
    assert third["next"] is None


@pytest.mark.parametrize("size", ["1000000", "9" * 400])
def test_huge_page_sizes_are_capped(anon, member, make_thread, size):
    make_thread(member)
    response = anon.get(f"/api/v1/threads/?page_size={size}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize("size", ["-1", "0", "abc", "1e9", "null", ""])
def test_malformed_page_sizes_are_a_400_naming_the_parameter(anon, member, make_thread, size):
    make_thread(member)
    response = anon.get(f"/api/v1/threads/?page_size={size}")
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]


def test_page_size_is_capped_at_100(anon, member, category):
    thread = services.thread_create(author=member, category=category, title="t", body="b0")
    for i in range(105):
        Post.objects.create(
            thread=thread, number=i + 2, author=member, source=f"r{i}", html=f"<p>r{i}</p>"
        )
    response = anon.get(f"/api/v1/threads/{thread.pk}/posts/?page_size=1000000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "cD1hYmM%3D",  # p=abc: a position that is not a date
        "bz05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",  # o=huge offset
        "cj0xJm89LTE%3D",  # r=1&o=-1
    ],
)
def test_forged_cursors_are_clean_client_errors(anon, thread, cursor):
    for url in ("/api/v1/threads/", f"/api/v1/threads/{thread.pk}/posts/"):
        response = anon.get(f"{url}?cursor={cursor}")
        assert response.status_code in (200, 404)
        if response.status_code == 404:
            assert error_of(response)["code"] == "not_found"


def test_cursor_position_of_the_wrong_type_is_404_not_a_server_error(anon, thread):
    for url in ("/api/v1/threads/", f"/api/v1/threads/{thread.pk}/posts/"):
        response = anon.get(f"{url}?cursor=cD1hYmM%3D")
        assert response.status_code == 404
        assert error_of(response)["message"] == "Invalid cursor"


def test_author_renames_own_thread_but_not_anothers(as_member, as_other, thread):
    response = as_other.patch(f"/api/v1/threads/{thread.pk}/", {"title": "Hijacked"})
    assert response.status_code == 403
    thread.refresh_from_db()
    assert thread.title == "A thread"

    response = as_member.patch(f"/api/v1/threads/{thread.pk}/", {"title": "Renamed"})
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    thread.refresh_from_db()
    assert thread.title == "Renamed"


@pytest.mark.parametrize(
    "action,payload",
    [("lock", {"locked": True}), ("pin", {"pinned": True}), ("move", {"category": "other"})],
)
def test_members_cannot_lock_pin_or_move(as_member, thread, action, payload):
    CategoryFactory(slug="other")
    response = as_member.post(f"/api/v1/threads/{thread.pk}/{action}/", payload)
    assert response.status_code == 403
    thread.refresh_from_db()
    assert not thread.is_locked
    assert not thread.is_pinned
    assert thread.category.slug != "other"


def test_moderator_locks_pins_and_moves(as_moderator, as_member, thread):
    CategoryFactory(slug="other")
    assert (
        as_moderator.post(f"/api/v1/threads/{thread.pk}/lock/", {"locked": True}).status_code == 200
    )
    assert (
        as_moderator.post(f"/api/v1/threads/{thread.pk}/pin/", {"pinned": True}).status_code == 200
    )
    response = as_moderator.post(f"/api/v1/threads/{thread.pk}/move/", {"category": "other"})
    assert response.status_code == 200
    assert response.json()["category"]["slug"] == "other"
    thread.refresh_from_db()
    assert thread.is_locked and thread.is_pinned and thread.category.slug == "other"

    # A locked thread refuses the member's reply.
    reply = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "Still here?"})
    assert reply.status_code == 403
    assert "locked" in error_of(reply)["message"]
    thread.refresh_from_db()
    assert thread.post_count == 1


def test_threads_carry_unread_counts_and_read_position(
    as_member, as_other, member, other_member, thread
):
    services.post_reply(author=other_member, thread=thread, body="Reply one")
    services.post_reply(author=other_member, thread=thread, body="Reply two")
    listed = as_member.get("/api/v1/threads/").json()["results"][0]
    # The member wrote post 1, so only the two replies are unread for them.
    assert listed["unread_count"] == 2
    assert listed["last_read_number"] == 1

    response = as_member.post(f"/api/v1/threads/{thread.pk}/read/", {"number": 2})
    assert response.status_code == 200
    assert response.json() == {"thread": thread.pk, "last_read_number": 2, "unread_count": 1}
    assert ReadMarker.objects.get(user=member, thread=thread).last_read_number == 2
    detail = as_member.get(f"/api/v1/threads/{thread.pk}/").json()
    assert detail["unread_count"] == 1
    assert detail["last_read_number"] == 2
    # Another member's position is their own: through their own last reply.
    other = as_other.get(f"/api/v1/threads/{thread.pk}/").json()
    assert (other["unread_count"], other["last_read_number"]) == (0, 3)


def test_read_position_is_clamped_and_validated(as_member, member, thread):
    response = as_member.post(f"/api/v1/threads/{thread.pk}/read/", {"number": 10**12})
    assert response.status_code == 400
    response = as_member.post(f"/api/v1/threads/{thread.pk}/read/", {"number": 500})
    assert response.json()["last_read_number"] == 1
    assert as_member.post(f"/api/v1/threads/{thread.pk}/read/", {"number": -1}).status_code == 400
    assert ReadMarker.objects.get(user=member, thread=thread).last_read_number == 1


def test_subscribe_and_unsubscribe(as_other, other_member, thread):
    url = f"/api/v1/threads/{thread.pk}/subscription/"
    watching = {"thread": thread.pk, "is_subscribed": True, "level": "watching"}
    assert as_other.post(url).json() == watching
    assert Subscription.objects.filter(user=other_member, thread=thread).exists()
    assert as_other.get(f"/api/v1/threads/{thread.pk}/").json()["is_subscribed"] is True
    neither = {"thread": thread.pk, "is_subscribed": False, "level": "normal"}
    assert as_other.delete(url).json() == neither
    assert not Subscription.objects.filter(user=other_member, thread=thread).exists()


def test_mute_through_the_api_and_a_bad_level_is_a_400(as_other, other_member, thread):
    url = f"/api/v1/threads/{thread.pk}/subscription/"
    response = as_other.post(url, {"level": "muted"})
    assert response.json() == {"thread": thread.pk, "is_subscribed": False, "level": "muted"}
    assert Subscription.objects.get(user=other_member, thread=thread).level == "muted"
    assert as_other.get(f"/api/v1/threads/{thread.pk}/").json()["is_subscribed"] is False
    response = as_other.post(url, {"level": "everything"})
    assert response.status_code == 400
    assert "level" in response.json()["error"]["fields"]
    assert Subscription.objects.get(user=other_member, thread=thread).level == "muted"


def test_unchanged_thread_list_answers_304_and_etag_depends_on_viewer(as_member, as_other, thread):
    first = as_member.get("/api/v1/threads/")
    etag = first["ETag"]
    assert as_member.get("/api/v1/threads/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Another viewer never matches someone else's tag.
    other = as_other.get("/api/v1/threads/", HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200
    assert other["ETag"] != etag
    # A new reply changes the list.
    as_other.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "New reply"})
    assert as_member.get("/api/v1/threads/", HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize("count", [2, 25])
def test_thread_list_runs_a_fixed_number_of_queries(
    count, member, category, django_assert_num_queries, client
):
    for i in range(count):
        services.thread_create(author=member, category=category, title=f"T{i}", body=f"B{i}")
    client.force_login(member)
    # User with whether they moderate (the session from the cache), the page of threads with
    # unread counts and subscriptions.
    with django_assert_num_queries(2):
        response = client.get("/api/v1/threads/?page_size=50")
    assert len(response.json()["results"]) == count


def test_unread_counts_agree_with_the_web_and_own_posts_are_read(
    member, other_member, moderator, make_thread
):
    thread = make_thread(member)
    as_author = bearer(member)
    # A new thread shows nothing unread to its author.
    assert as_author.get(f"/api/v1/threads/{thread.pk}/").json()["unread_count"] == 0
    services.post_reply(author=other_member, thread=thread, body="Another member's reply")
    hidden = services.post_reply(author=other_member, thread=thread, body="Soon hidden")
    services.post_hide(actor=moderator, post=hidden)
    services.post_reply(author=member, thread=thread, body="The author's own reply")
    api = as_author.get(f"/api/v1/threads/{thread.pk}/").json()
    web = selectors.thread_list(user=member).get(pk=thread.pk)
    # Read up to the own reply (4): nothing unread, on both surfaces.
    assert api["unread_count"] == web.unread_count == 0
    services.thread_mark_read(user=member, thread=thread, number=1)
    api = as_author.get(f"/api/v1/threads/{thread.pk}/").json()
    web = selectors.thread_list(user=member).get(pk=thread.pk)
    # Posts 2 and 4 are readable, the hidden 3 is not counted.
    assert api["unread_count"] == web.unread_count == 2
    as_moderator = bearer(moderator)
    assert as_moderator.get(f"/api/v1/threads/{thread.pk}/").json()["unread_count"] == 4


def test_throttled_endpoints_send_their_budget_and_429_sends_retry_after(
    monkeypatch, as_member, thread
):
    rates = {**throttles.PostUserThrottle.THROTTLE_RATES, "post_user": "2/min"}
    monkeypatch.setattr(throttles.PostUserThrottle, "THROTTLE_RATES", rates)
    url = f"/api/v1/threads/{thread.pk}/posts/"
    first = as_member.post(url, {"body": "Budget one"}, format="json")
    assert first.status_code == 201
    assert first["RateLimit-Limit"] == "2"
    assert first["RateLimit-Remaining"] == "1"
    assert 0 < int(first["RateLimit-Reset"]) <= 60
    assert as_member.post(url, {"body": "Budget two"}, format="json")["RateLimit-Remaining"] == "0"
    refused = as_member.post(url, {"body": "Budget three"}, format="json")
    assert refused.status_code == 429
    assert refused["RateLimit-Remaining"] == "0"
    assert int(refused["Retry-After"]) >= 1


def test_pages_carry_the_next_cursor_beside_the_next_url(anon, member, make_thread):
    for _ in range(3):
        make_thread(member)
    first = anon.get("/api/v1/threads/?page_size=2").json()
    # The URL's `cursor` parameter, decoded (a token may end in "=", %3D in the URL).
    assert first["next_cursor"] and first["next_cursor"] == cursor_of(first["next"])
    second = anon.get("/api/v1/threads/", {"page_size": 2, "cursor": first["next_cursor"]}).json()
    assert len(second["results"]) == 1
    assert second["next_cursor"] is None
