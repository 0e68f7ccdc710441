"""What lists show of a post without loading it: a plain-text excerpt (no HTML, no quoted
posts, capped) on thread lists, notifications and search results, and whether a post
carries a notice (`has_notice`, `notice_severity`) on thread lists and notifications."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forum import quotes, selectors, services
from moderation import services as moderation_services
from tests.commit import committed

pytestmark = pytest.mark.django_db


def listed(client, thread) -> dict:
    response = client.get("/api/v1/threads/")
    assert response.status_code == 200
    return next(t for t in response.json()["results"] if t["id"] == thread.pk)


def test_a_thread_list_excerpt_is_the_first_posts_plain_text(anon, member, make_thread):
    source = make_thread(member, title="Source", body="Words of the **quoted** post.")
    quoting = make_thread(
        member,
        title="Quoting",
        body=quotes.quote_markup(post=source.posts.get(), user=member)
        + "My *own* words & <b>tags</b>, [a link](https://example.com).",
    )
    assert listed(anon, source)["excerpt"] == "Words of the quoted post."
    # The quote is someone else's words: left out, and no markup or escaped HTML remains.
    assert listed(anon, quoting)["excerpt"] == "My own words & <b>tags</b>, a link."


def test_a_long_excerpt_is_capped_with_an_ellipsis(anon, member, make_thread):
    thread = make_thread(member, body=" ".join(f"word{i}" for i in range(200)))
    excerpt = listed(anon, thread)["excerpt"]
    assert len(excerpt) == selectors.EXCERPT_LENGTH
    assert excerpt.endswith("…")
    assert excerpt.startswith("word0 word1 ")


def test_a_hidden_first_post_has_no_excerpt_except_for_moderators(
    anon, as_member, as_moderator, moderator, thread
):
    services.post_hide(actor=moderator, post=thread.posts.get(number=1))
    assert listed(anon, thread)["excerpt"] is None
    assert listed(as_member, thread)["excerpt"] is None
    assert listed(as_moderator, thread)["excerpt"] == "First post."


def test_an_edit_of_the_first_post_changes_the_excerpt_and_the_threads_change_key(
    as_member, member, thread
):
    before = listed(as_member, thread)
    services.post_edit(editor=member, post=thread.posts.get(number=1), body="New opening.")
    after = listed(as_member, thread)
    assert after["excerpt"] == "New opening."
    assert after["changed"] > before["changed"]


def test_threads_say_whether_a_readable_post_carries_a_notice(
    anon, as_moderator, member, moderator, make_thread
):
    thread = make_thread(member, replies=2)
    quiet = make_thread(member, title="Quiet")
    assert listed(anon, thread)["has_notice"] is False
    assert listed(anon, thread)["notice_severity"] is None
    reply = thread.posts.get(number=2)
    moderation_services.notice_add(moderator=moderator, post=reply, severity="advice")
    assert (listed(anon, thread)["has_notice"], listed(anon, thread)["notice_severity"]) == (
        True,
        "advice",
    )
    moderation_services.notice_add(
        moderator=moderator, post=thread.posts.get(number=3), severity="urgent"
    )
    assert listed(anon, thread)["notice_severity"] == "urgent"
    assert listed(anon, quiet)["has_notice"] is False
    # The thread's own payload says the same.
    detail = anon.get(f"/api/v1/threads/{thread.pk}/").json()
    assert detail["has_notice"] is True and detail["notice_severity"] == "urgent"
    # Hidden posts are not the reader's: their notices do not show on the list.
    services.post_hide(actor=moderator, post=thread.posts.get(number=3))
    assert listed(anon, thread)["notice_severity"] == "advice"
    assert listed(as_moderator, thread)["notice_severity"] == "urgent"


def test_a_removed_notice_no_longer_shows(anon, member, moderator, thread):
    notice = moderation_services.notice_add(
        moderator=moderator, post=thread.posts.get(), severity="advice"
    )
    assert listed(anon, thread)["has_notice"] is True
    moderation_services.notice_remove(moderator=moderator, notice=notice)
    assert listed(anon, thread)["has_notice"] is False


def test_a_thread_list_costs_the_same_queries_however_many_threads(
    anon, member, make_thread, django_assert_num_queries
):
    make_thread(member)
    anon.get("/api/v1/threads/")
    with CaptureQueriesContext(connection) as few:
        anon.get("/api/v1/threads/")
    for i in range(4):
        make_thread(member, title=f"More {i}")
    with django_assert_num_queries(len(few)):
        anon.get("/api/v1/threads/")


def test_notifications_carry_the_posts_excerpt_and_notice(
    as_member, member, other_member, moderator, thread
):
    reply = committed(services.post_reply)(
        author=other_member, thread=thread, body="A **reply** you should read."
    )
    [item] = as_member.get("/api/v1/notifications/").json()["results"]
    assert item["post"] == reply.pk
    assert item["excerpt"] == "A reply you should read."
    assert (item["has_notice"], item["notice_severity"]) == (False, None)
    moderation_services.notice_add(moderator=moderator, post=reply, severity="urgent")
    [item] = as_member.get("/api/v1/notifications/").json()["results"]
    assert (item["has_notice"], item["notice_severity"]) == (True, "urgent")


def test_a_notification_of_a_post_hidden_since_shows_no_excerpt(
    as_member, member, other_member, moderator, thread
):
    reply = committed(services.post_reply)(author=other_member, thread=thread, body="Soon hidden")
    moderation_services.notice_add(moderator=moderator, post=reply, severity="advice")
    services.post_hide(actor=moderator, post=reply)
    for item in as_member.get("/api/v1/notifications/").json()["results"]:
        assert item["excerpt"] is None
        assert item["has_notice"] is False


def test_search_results_carry_a_plain_excerpt(anon, member, thread):
    services.post_reply(author=member, thread=thread, body="The *zebra* crossing <i>here</i>.")
    [found] = anon.get("/api/v1/search/", {"q": "zebra"}).json()["results"]
    assert found["excerpt"] == "The zebra crossing <i>here</i>."
    assert "<mark>" in found["snippet"]
