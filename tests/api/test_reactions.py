"""Reactions through the API: counts and "you reacted" in post payloads, safe retries."""

from __future__ import annotations

import pytest

from forum import services
from forum.models import Reaction
from moderation import sanctions
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

KEY = "8d1c2f1e-5a7e-4b51-9d59-0c5d1f7f2a12"


@pytest.fixture
def post(thread):
    return thread.posts.get(number=1)


def react(client, post, kind="like", **headers):
    return client.post(f"/api/v1/posts/{post.pk}/reactions/", {"kind": kind}, **headers)


def by_kind(payload) -> dict:
    return {r["kind"]: (r["count"], r["reacted"]) for r in payload["reactions"]}


def test_react_then_read_the_counts_and_the_viewers_flag(as_other, as_member, anon, post):
    response = react(as_other, post)
    assert response.status_code == 201
    assert by_kind(response.json())["like"] == (1, True)
    assert react(as_other, post).status_code == 200, "reacting again changes nothing"
    mine = as_other.get(f"/api/v1/posts/{post.pk}/").json()
    assert by_kind(mine) == {"like": (1, True), "thanks": (0, False), "helpful": (0, False)}
    assert mine["permissions"]["can_react"] is True
    theirs = as_member.get(f"/api/v1/threads/{post.thread_id}/posts/").json()["results"][0]
    assert by_kind(theirs)["like"] == (1, False)
    assert theirs["permissions"]["can_react"] is False, "not on one's own post"
    public = anon.get(f"/api/v1/posts/{post.pk}/").json()
    assert by_kind(public)["like"] == (1, False)


def test_delete_takes_a_reaction_back_idempotently(as_other, post):
    react(as_other, post, "helpful")
    for _ in range(2):
        response = as_other.delete(f"/api/v1/posts/{post.pk}/reactions/helpful/")
        assert response.status_code == 200
        assert by_kind(response.json())["helpful"] == (0, False)
    assert as_other.delete(f"/api/v1/posts/{post.pk}/reactions/love/").status_code == 404


def test_a_reaction_retried_with_its_idempotency_key_is_replayed(
    as_other, post, other_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = react(as_other, post, HTTP_IDEMPOTENCY_KEY=KEY)
    services.post_react(user=other_member, post=post, kind="like", active=False)
    retry = react(as_other, post, HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status_code == retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert not Reaction.objects.exists(), "the replay did not react again"
    other = react(as_other, post, "thanks", HTTP_IDEMPOTENCY_KEY=KEY)
    assert other.status_code == 422


@pytest.mark.parametrize("body", [{}, {"kind": "love"}, {"kind": 1}, {"kind": None}])
def test_bad_reaction_input_is_a_400_with_the_field(as_other, post, body):
    response = as_other.post(f"/api/v1/posts/{post.pk}/reactions/", body, format="json")
    assert response.status_code == 400
    assert "kind" in str(error_of(response))


def test_what_an_attacker_cannot_react_to(as_member, as_other, anon, post, moderator, other_member):
    assert react(anon, post).status_code == 401
    own = react(as_member, post)
    assert own.status_code == 403
    assert "own post" in error_of(own)["message"]
    services.post_hide(actor=moderator, post=post)
    assert react(as_other, post).status_code == 404, "a hidden post is not there for them"
    services.post_restore(actor=moderator, post=post)
    sanctions.member_suspend(moderator=moderator, member=other_member, reason="Spam.", until=None)
    suspended = react(as_other, post)
    assert suspended.status_code == 403
    assert "suspended" in error_of(suspended)["message"]
    assert not Reaction.objects.exists()


def test_placeholders_carry_no_reactions(as_other, post, moderator, other_member):
    services.post_react(user=other_member, post=post, kind="like")
    services.post_hide(actor=moderator, post=post)
    listed = as_other.get(f"/api/v1/threads/{post.thread_id}/posts/").json()["results"][0]
    assert listed["is_placeholder"] is True
    assert listed["reactions"] is None and listed["author_blocked"] is None


def test_a_reaction_shows_in_the_change_feed(as_other, post):
    cursor = as_other.get("/api/v1/changes/").json()["next_cursor"]
    react(as_other, post)
    changed = as_other.get("/api/v1/changes/", {"after": cursor}).json()["results"]
    assert [(c["kind"], c["id"]) for c in changed] == [("post", post.pk)]
    assert by_kind(changed[0]["post"])["like"] == (1, True)


def test_the_api_throttles_reaction_loops_with_budget_headers(as_other, post, monkeypatch):
    from core import throttles

    rates = {**throttles.ReactUserThrottle.THROTTLE_RATES, "react_user": "3/min"}
    monkeypatch.setattr(throttles.ReactUserThrottle, "THROTTLE_RATES", rates)
    first = react(as_other, post)
    assert first["RateLimit-Limit"] == "3" and first["RateLimit-Remaining"] == "2"
    as_other.delete(f"/api/v1/posts/{post.pk}/reactions/like/")
    react(as_other, post)
    refused = react(as_other, post, "thanks")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert not Reaction.objects.filter(kind="thanks").exists()
