from __future__ import annotations

import pytest

from forum import services
from forum.models import Post, PostRevision, Thread
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def posts_of(client, thread):
    response = client.get(f"/api/v1/threads/{thread.pk}/posts/")
    assert response.status_code == 200
    return response.json()["results"]


def test_reply_returns_the_post_with_what_the_viewer_may_do(as_member, member, thread):
    response = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "**Hello** there"})
    assert response.status_code == 201
    data = response.json()
    post = Post.objects.get(pk=data["id"])
    assert post.author == member
    assert data["number"] == 2
    assert data["thread"] == thread.pk
    assert data["body"] == "**Hello** there"
    assert "<strong>Hello</strong>" in data["html"]
    assert data["author"]["username"] == member.username
    assert data["author"]["avatar"] is None
    assert data["permissions"]["can_edit"] is True
    assert data["permissions"]["can_delete"] is True
    assert data["permissions"]["can_report"] is False
    assert data["permissions"]["can_hide"] is False
    thread.refresh_from_db()
    assert thread.post_count == 2


def test_reply_ignores_forged_author_number_state_and_timestamps(
    as_member, member, other_member, thread
):
    response = as_member.post(
        f"/api/v1/threads/{thread.pk}/posts/",
        {
            "body": "Mine",
            "author": other_member.pk,
            "number": 99,
            "state": "hidden",
            "created": "2001-01-01T00:00:00Z",
            "edit_count": 5,
            "is_staff": True,
        },
    )
    assert response.status_code == 201
    post = Post.objects.get(pk=response.json()["id"])
    assert (post.author, post.number, post.state, post.edit_count) == (member, 2, "visible", 0)
    assert post.created.year > 2001
    member.refresh_from_db()
    assert not member.is_staff


def test_posts_list_in_order_with_placeholders_for_hidden_and_deleted(
    as_member, as_other, as_moderator, member, other_member, moderator, thread
):
    hidden = services.post_reply(author=other_member, thread=thread, body="Secret spam text")
    deleted = services.post_reply(author=member, thread=thread, body="Regretted words")
    services.post_reply(author=other_member, thread=thread, body="Fine reply")
    services.post_hide(actor=moderator, post=hidden)
    services.post_delete(actor=member, post=deleted)

    for client in (as_member, as_other):
        posts = posts_of(client, thread)
        assert [p["number"] for p in posts] == [1, 2, 3, 4]
        for placeholder in (posts[1], posts[2]):
            assert placeholder["is_placeholder"] is True
            assert placeholder["body"] is None
            assert placeholder["html"] is None
            assert placeholder["quotes"] is None
            assert placeholder["author"] is None
        assert [posts[1]["state"], posts[2]["state"]] == ["hidden", "deleted"]
        text = str(posts)
        assert "Secret spam" not in text and "Regretted" not in text

    moderated = posts_of(as_moderator, thread)
    assert moderated[1]["body"] == "Secret spam text"
    assert moderated[2]["html"] is not None
    assert moderated[1]["permissions"]["can_restore"] is True


def test_hidden_post_is_404_for_members_even_its_author(
    as_member, as_other, moderator, other_member, thread
):
    hidden = services.post_reply(author=other_member, thread=thread, body="Hidden words")
    services.post_hide(actor=moderator, post=hidden)
    for client in (as_member, as_other):
        for url in (
            f"/api/v1/posts/{hidden.pk}/",
            f"/api/v1/posts/{hidden.pk}/revisions/",
            f"/api/v1/posts/{hidden.pk}/quote/",
        ):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "Hidden words" not in response.content.decode()
    missing = as_member.get("/api/v1/posts/999999/")
    assert missing.status_code == 404
    assert missing.json() == as_member.get(f"/api/v1/posts/{hidden.pk}/").json()


def test_body_source_goes_only_to_those_who_may_edit(as_member, as_other, thread):
    first = thread.posts.get(number=1)
    assert as_member.get(f"/api/v1/posts/{first.pk}/").json()["body"] == "First post."
    seen = as_other.get(f"/api/v1/posts/{first.pk}/").json()
    assert seen["body"] is None
    assert "First post." in seen["html"]


def test_author_edits_own_post_and_revision_is_kept(as_member, thread):
    first = thread.posts.get(number=1)
    response = as_member.patch(f"/api/v1/posts/{first.pk}/", {"body": "Better words"})
    assert response.status_code == 200
    assert response.json()["edit_count"] == 1
    assert response.json()["edited"] is not None
    first.refresh_from_db()
    assert first.source == "Better words"
    revisions = as_member.get(f"/api/v1/posts/{first.pk}/revisions/").json()["results"]
    assert [(r["number"], r["body"]) for r in revisions] == [(1, "First post.")]


def test_other_member_cannot_edit_delete_or_read_revisions(as_other, thread):
    first = thread.posts.get(number=1)
    assert as_other.patch(f"/api/v1/posts/{first.pk}/", {"body": "Defaced"}).status_code == 403
    assert as_other.delete(f"/api/v1/posts/{first.pk}/").status_code == 403
    assert as_other.get(f"/api/v1/posts/{first.pk}/revisions/").status_code == 403
    assert as_other.post(f"/api/v1/posts/{first.pk}/hide/").status_code == 403
    first.refresh_from_db()
    assert first.source == "First post."
    assert first.state == Post.State.VISIBLE
    assert not PostRevision.objects.exists()


def test_anonymous_cannot_write_anything(anon, thread):
    first = thread.posts.get(number=1)
    assert anon.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "x"}).status_code == 401
    assert anon.patch(f"/api/v1/posts/{first.pk}/", {"body": "x"}).status_code == 401
    assert anon.delete(f"/api/v1/posts/{first.pk}/").status_code == 401
    first.refresh_from_db()
    assert first.source == "First post."


def test_author_deletes_own_post_and_then_sees_a_placeholder(as_member, thread, member):
    reply = services.post_reply(author=member, thread=thread, body="Oops")
    response = as_member.delete(f"/api/v1/posts/{reply.pk}/")
    assert response.status_code == 200
    assert response.json()["is_placeholder"] is True
    assert response.json()["state"] == "deleted"
    reply.refresh_from_db()
    assert reply.state == Post.State.DELETED
    thread.refresh_from_db()
    assert thread.post_count == 1
    assert as_member.get(f"/api/v1/posts/{reply.pk}/").status_code == 404


def test_quote_markup_for_a_post_or_an_excerpt(as_other, thread, member):
    reply = services.post_reply(author=member, thread=thread, body="Ice then heat. Rest a week.")
    whole = as_other.get(f"/api/v1/posts/{reply.pk}/quote/")
    assert whole.status_code == 200
    assert f"post={reply.pk}" in whole.json()["markup"]
    assert "Ice then heat. Rest a week." in whole.json()["markup"]
    part = as_other.get(f"/api/v1/posts/{reply.pk}/quote/", {"excerpt": "Rest a week."})
    assert part.status_code == 200
    assert "Ice" not in part.json()["markup"]
    forged = as_other.get(f"/api/v1/posts/{reply.pk}/quote/", {"excerpt": "Take these pills"})
    assert forged.status_code == 400
    assert "excerpt" in error_of(forged)["fields"]


def test_quote_of_a_post_hidden_later_shows_as_removed(
    as_other, member, other_member, moderator, thread
):
    source = services.post_reply(author=member, thread=thread, body="Original advice here")
    markup = (
        f'[quote="{member.username}" post={source.pk}]\nOriginal advice here\n[/quote]\n\nAgreed'
    )
    quoting = services.post_reply(author=other_member, thread=thread, body=markup)
    before = as_other.get(f"/api/v1/posts/{quoting.pk}/").json()
    assert before["quotes"] == [
        {"source_post": source.pk, "author": member.username, "state": "live"}
    ]
    services.post_hide(actor=moderator, post=source)
    after = as_other.get(f"/api/v1/posts/{quoting.pk}/").json()
    assert after["quotes"][0]["state"] == "removed"
    assert after["quotes"][0]["source_post"] is None
    assert "Original advice" not in after["html"]
    # The quoting author edits their own post, so they get the source; the other way round
    # nobody else gets it.
    assert as_other.get(f"/api/v1/posts/{quoting.pk}/").json()["body"] is not None


def test_search_never_returns_hidden_or_deleted_posts(
    as_member, as_moderator, member, other_member, moderator, thread
):
    hidden = services.post_reply(author=other_member, thread=thread, body="zebra hidden")
    visible = services.post_reply(author=other_member, thread=thread, body="zebra visible")
    deleted = services.post_reply(author=other_member, thread=thread, body="zebra deleted")
    services.post_hide(actor=moderator, post=hidden)
    services.post_delete(actor=other_member, post=deleted)
    found = as_member.get("/api/v1/search/", {"q": "zebra"}).json()["results"]
    assert [p["html"] for p in found] == ["<p>zebra visible</p>\n"]
    # Moderators find hidden posts through the review queue, not search.
    moderator_found = as_moderator.get("/api/v1/search/", {"q": "zebra"}).json()["results"]
    assert [p["id"] for p in moderator_found] == [visible.pk]
    assert as_member.get("/api/v1/search/").status_code == 400
    assert as_member.get("/api/v1/search/", {"q": "x" * 201}).status_code == 400


def test_posts_filtered_by_author_do_not_reveal_hidden_authorship(
    as_member, other_member, moderator, thread
):
    hidden = services.post_reply(author=other_member, thread=thread, body="hidden one")
    shown = services.post_reply(author=other_member, thread=thread, body="shown one")
    services.post_hide(actor=moderator, post=hidden)
    response = as_member.get(
        f"/api/v1/threads/{thread.pk}/posts/", {"author": other_member.username}
    )
    assert [p["id"] for p in response.json()["results"]] == [shown.pk]


def test_reply_flood_is_throttled_and_accepted_posts_are_stored_once(as_member, member, thread):
    statuses = [
        as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": f"Flood {i}"}).status_code
        for i in range(50)
    ]
    assert statuses.count(201) == 10
    assert set(statuses[10:]) == {429}
    thread.refresh_from_db()
    assert thread.post_count == 11 == thread.posts.count()
    assert thread.posts.filter(source="Flood 0").count() == 1
    member.refresh_from_db()
    assert member.post_count == 11
    throttled = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "more"})
    assert int(throttled["Retry-After"]) > 0


def test_duplicate_body_from_the_same_author_is_rejected(
    as_member, other_member, thread, make_thread
):
    other_thread = make_thread(other_member, title="Other", body="Other first")
    url = f"/api/v1/threads/{thread.pk}/posts/"
    assert as_member.post(url, {"body": "Buy cheap pills"}).status_code == 201
    again = as_member.post(url, {"body": "Buy cheap pills"})
    assert again.status_code == 400
    assert "body" in error_of(again)["fields"]
    elsewhere = as_member.post(
        f"/api/v1/threads/{other_thread.pk}/posts/", {"body": "Buy cheap pills\r\n"}
    )
    assert elsewhere.status_code == 400
    assert Post.objects.filter(source__startswith="Buy cheap pills").count() == 1


def test_reply_to_a_missing_thread_is_404(as_member):
    response = as_member.post("/api/v1/threads/999999/posts/", {"body": "Hello"})
    assert response.status_code == 404
    assert not Thread.objects.exists()


@pytest.mark.parametrize("count", [2, 25])
def test_post_list_runs_a_fixed_number_of_queries(
    count, member, other_member, category, django_assert_num_queries, client
):
    thread = services.thread_create(author=member, category=category, title="t", body="start")
    source = thread.posts.get()
    for i in range(count - 1):
        body = f'[quote="{member.username}" post={source.pk}]\nstart\n[/quote]\n\nReply {i}'
        services.post_reply(author=other_member, thread=thread, body=body)
    client.force_login(member)
    # User with whether they moderate (the session from the cache), thread, posts, notices,
    # quotes, quoted posts, their authors, their threads.
    with django_assert_num_queries(8):
        response = client.get(f"/api/v1/threads/{thread.pk}/posts/?page_size=50")
    assert len(response.json()["results"]) == count


@pytest.mark.django_db(transaction=True)
def test_parallel_reply_flood_still_stops_at_the_limit_with_gapless_numbers(category):
    import threading

    from django.db import connection, connections

    from tests.api.conftest import bearer
    from tests.factories import UserFactory

    if connection.vendor != "postgresql":
        pytest.skip("parallel writes are tested on PostgreSQL")
    author = UserFactory()
    thread = services.thread_create(author=author, category=category, title="t", body="start")
    clients = [bearer(author) for _ in range(25)]
    statuses: list[int] = []
    start = threading.Barrier(len(clients))

    def send(i, client):
        try:
            start.wait()
            statuses.append(
                client.post(
                    f"/api/v1/threads/{thread.pk}/posts/", {"body": f"Flood {i}"}
                ).status_code
            )
        finally:
            connections.close_all()

    workers = [threading.Thread(target=send, args=(i, c)) for i, c in enumerate(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(statuses) == [201] * 10 + [429] * 15
    thread.refresh_from_db()
    numbers = list(thread.posts.values_list("number", flat=True))
    assert numbers == list(range(1, 12))
    assert thread.post_count == 11 == thread.last_number
