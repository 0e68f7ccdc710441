"""Posts and thread rows cached for signed-in readers (forum.fragments): reused while nothing
changes, never stale after any kind of write (web and API), never shown to a reader whom
forum.policy answers differently, each reader's own CSRF token in the forms; and a signed-in
thread page that writes nothing when the read position and the notifications do not move."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from forum import fragments, services
from forum.models import Post
from tests.api.conftest import bearer
from tests.commit import committed
from tests.factories import UserFactory

# page_cache: the cache on, as with REDIS_URL, and empty (an autouse fixture).
from tests.forum.test_pagecache import WRITES, page_cache  # noqa: F401

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, thread) -> str:
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_a_stored_fragment_is_served_until_a_write_moves_the_version(thread, other_member):
    reader = signed_in(other_member)
    assert "First post." in page(reader, thread)
    # Behind the services' back (no signal, no version bump): the stored fragment still shows.
    Post.objects.filter(thread=thread, number=1).update(html="<p>Changed behind the back</p>")
    assert "First post." in page(reader, thread)
    post = thread.posts.get(number=1)
    services.post_edit(editor=post.author, post=post, body="Edited through the service")
    html = page(reader, thread)
    assert "Edited through the service" in html and "First post." not in html


def test_a_moderators_fragment_never_reaches_a_member(thread, member, other_member, moderator):
    reply = services.post_reply(author=other_member, thread=thread, body="Hidden pineapple talk")
    services.post_hide(actor=moderator, post=reply)
    assert "Hidden pineapple talk" in page(signed_in(moderator), thread)  # stored for moderators
    as_member = page(signed_in(member), thread)
    assert "Hidden pineapple talk" not in as_member
    assert "This post was hidden by a moderator." in as_member
    assert other_member.username not in as_member  # a placeholder never names its author
    assert "Hidden pineapple talk" in page(signed_in(moderator), thread)


def test_a_quote_of_a_hidden_post_is_cut_out_for_a_member_after_a_moderator_viewed_it(
    thread, member, other_member, moderator
):
    source = services.post_reply(author=other_member, thread=thread, body="Secret beetroot plan")
    quote = f'[quote="{other_member.username}" post={source.pk}]\nSecret beetroot plan\n[/quote]'
    body = f"{quote}\n\nNo"
    services.post_reply(author=member, thread=thread, body=body)
    services.post_hide(actor=moderator, post=source)
    assert page(signed_in(moderator), thread).count("Secret beetroot plan") == 2
    assert "Secret beetroot plan" not in page(signed_in(member), thread)


def test_actions_and_ages_are_per_request(thread, member, other_member):
    author_page = page(signed_in(member), thread)  # the author's view stores the fragment
    assert "action-edit" in author_page
    other_page = page(signed_in(other_member), thread)
    assert "action-edit" not in other_page and "action-quote" in other_page
    assert "action-bookmark" in other_page and "reactions" in other_page
    for html in (author_page, other_page):
        assert "stoa-post-time" not in html
        assert re.search(r"<time datetime=\"[^\"]+\">now</time>", html)


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_kind_of_write_is_seen_by_the_next_signed_in_read(
    write, thread, moderator, member, other_member
):
    web, api = signed_in(other_member), bearer(other_member)
    posts_url, thread_url = f"/api/v1/threads/{thread.pk}/posts/", f"/api/v1/threads/{thread.pk}/"
    page(web, thread)
    assert api.get(posts_url).status_code == 200
    expected = write(thread, moderator, member)
    thread.refresh_from_db()
    thread_page = page(web, thread)
    api_posts = api.get(posts_url).content.decode()
    api_thread = api.get(thread_url).content.decode()
    if expected.startswith("!"):
        assert expected[1:] not in thread_page and expected[1:] not in api_posts
    elif expected == "locked":
        assert "This thread is locked." in thread_page and '"is_locked":true' in api_thread
    elif expected in ("Rowing corner", "Renamed: rowing drills"):
        assert expected in thread_page and expected in api_thread
    else:
        assert expected in thread_page and expected in api_posts


WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|BEGIN|SAVEPOINT)\b", re.IGNORECASE)


@pytest.mark.parametrize("per_page", [5, 20])
def test_a_signed_in_thread_page_costs_three_queries_and_writes_nothing_when_nothing_moves(
    per_page, settings, member, other_member, make_thread
):
    settings.STOA = {**settings.STOA, "POSTS_PER_PAGE": per_page}
    thread = make_thread(member, replies=24)
    reader = signed_in(other_member)
    page(reader, thread)  # the first view moves the read position
    with CaptureQueriesContext(connection) as ctx:
        html = page(reader, thread)
    # The user with whether they moderate (the session from the cache), the thread (with the
    # read position and subscription), its posts. Their articles are stored, so nothing only
    # an article shows is read (notices, quotes' authors), and the header's count is kept.
    assert len(ctx) == 3, [q["sql"] for q in ctx.captured_queries]
    assert not [q["sql"] for q in ctx.captured_queries if WRITE_SQL.match(q["sql"])]
    assert html.count('class="post ') == per_page


def test_a_stored_page_of_quoting_posts_reads_their_quotes_and_sources_only(
    thread, member, other_member
):
    first = thread.posts.get(number=1)
    body = f'[quote="{first.author.username}" post={first.pk}]\nFirst post.\n[/quote]\n\nAgreed.'
    services.post_reply(author=other_member, thread=thread, body=body)
    reader = signed_in(member)
    page(reader, thread)
    with CaptureQueriesContext(connection) as ctx:
        html = page(reader, thread)
    # The three above, and the quotes with their sources, whose states the key holds.
    assert len(ctx) == 5, [q["sql"] for q in ctx.captured_queries]
    assert f"{first.author.username} wrote:" in html


def test_a_page_that_moves_the_read_position_or_settles_notifications_writes_them(
    member, other_member, make_thread
):
    thread = make_thread(member, replies=2)
    committed(services.thread_subscribe)(user=other_member, thread=thread)
    reader = signed_in(other_member)
    page(reader, thread)
    committed(services.post_reply)(author=member, thread=thread, body="A fresh reply for you")
    assert other_member.notifications.filter(read__isnull=True).count() == 1
    html = page(reader, thread)
    assert other_member.read_markers.get(thread=thread).last_read_number == 4
    assert other_member.notifications.filter(read__isnull=True).count() == 0
    # The header counts after the page settled its notifications.
    assert 'class="count"' not in html


def test_a_post_by_a_blocked_member_is_collapsed_only_for_who_blocked_them(
    thread, member, other_member, moderator
):
    services.post_reply(author=other_member, thread=thread, body="Loud opinions on kale")
    services.member_block(user=member, member=other_member)
    assert "blocked-post" not in page(signed_in(moderator), thread)  # stored, not collapsed
    assert '<details class="blocked-post">' in page(signed_in(member), thread)
    assert "blocked-post" not in page(signed_in(moderator), thread)


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_a_shared_article_carries_each_readers_own_csrf_token(thread, member, other_member):
    page(signed_in(member), thread)  # stores the articles an ordinary member is shown
    reader = Client(enforce_csrf_checks=True)
    reader.force_login(other_member)
    html = page(reader, thread)
    assert fragments.CSRF_SLOT not in html and "stoa-csrf-slot" not in html
    post = thread.posts.get(number=1)
    form = re.search(
        rf'action="/p/{post.pk}/bookmark/">.*?name="csrfmiddlewaretoken" value="([^"]+)"', html
    )
    assert form, "the article offers its bookmark form"
    response = reader.post(
        f"/p/{post.pk}/bookmark/", {"csrfmiddlewaretoken": form.group(1), "on": "1"}
    )
    assert response.status_code in (200, 302), response.status_code
    assert other_member.bookmarks.filter(post=post).exists()
    # Every form of the page carries a token, and none is the stand-in.
    assert set(CSRF_INPUT.findall(html)) and "stoa-csrf-slot" not in CSRF_INPUT.findall(html)


def test_an_anonymous_thread_page_sets_no_cookie_so_the_page_cache_keeps_it(thread):
    response = Client().get(thread.get_absolute_url())
    assert response.status_code == 200 and not response.cookies


def test_reaction_counts_and_ones_own_reaction_are_never_stale(thread, member, other_member):
    post = thread.posts.get(number=1)
    reader = signed_in(other_member)
    page(reader, thread)
    # A reaction moves the counts on the post's row, not the content version.
    services.post_react(user=UserFactory(), post=post, kind="like")
    html = page(reader, thread)
    assert re.search(r'data-kind="like">Like.*?<span class="reaction-count">1</span>', html)
    services.post_react(user=other_member, post=post, kind="like")
    html = page(reader, thread)
    assert 'class="reaction reacted" aria-pressed="true" data-kind="like"' in html
    assert 'aria-pressed="true"' not in page(signed_in(UserFactory()), thread)


def row(html: str, thread) -> str:
    found = re.search(
        rf'<li class="thread-row[^"]*">(?:(?!</li>).)*?/t/{thread.pk}/.*?</li>', html, re.S
    )
    assert found, "the thread is listed"
    return found.group(0)


def test_thread_rows_show_each_reader_what_they_have_read(thread, member, other_member):
    services.post_reply(author=member, thread=thread, body="Second post")
    fresh, regular = signed_in(UserFactory()), signed_in(other_member)
    page(regular, thread)  # read to the end
    for url in ("/", thread.category.get_absolute_url()):
        anonymous = row(Client().get(url).content.decode(), thread)
        assert "badge-new" not in anonymous
        assert "New" in row(fresh.get(url).content.decode(), thread)
        assert "badge-new" not in row(regular.get(url).content.decode(), thread)
        assert "stoa-post-time" not in row(regular.get(url).content.decode(), thread)
    services.post_reply(author=member, thread=thread, body="Third post")
    services.post_reply(author=member, thread=thread, body="Fourth post")
    for url in ("/", thread.category.get_absolute_url()):
        assert "2 unread" in row(regular.get(url).content.decode(), thread)
        assert "New" in row(fresh.get(url).content.decode(), thread)


def test_no_template_comment_leaks_into_a_page(thread, member):
    for client in (Client(), signed_in(member)):
        for url in ("/", thread.get_absolute_url(), thread.category.get_absolute_url()):
            html = client.get(url).content.decode()
            assert "{#" not in html and "#}" not in html and "{%" not in html, url


def test_a_keys_answers_are_the_capabilities_in_field_order():
    from dataclasses import astuple

    from forum import policy

    fields = policy.PostCapabilities.__dataclass_fields__
    for i in range(len(fields)):
        caps = policy.PostCapabilities(*(j == i for j in range(len(fields))))
        assert fragments._answers(caps) == "".join("1" if v else "0" for v in astuple(caps))


def test_an_age_is_reused_within_its_minute_and_moves_on_with_the_clock(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone, translation

    created = timezone.now() - timedelta(hours=3, minutes=5)
    worked_out = []
    real = fragments.naturaltime

    def counting(value):
        worked_out.append(value)
        return real(value)

    monkeypatch.setattr(fragments, "naturaltime", counting)
    fragments._age_this_minute.cache_clear()
    assert fragments.age(created) == fragments.age(created) == "3\xa0hours ago"
    assert len(worked_out) == 1  # the second view of the page reused it
    with translation.override("de"):
        assert fragments.age(created) != "3\xa0hours ago"  # each language its own
    # Under a minute old the seconds count, and nothing is reused.
    fresh = timezone.now() - timedelta(seconds=20)
    assert fragments.age(fresh) == fragments.age(fresh)
    assert len(worked_out) == 4
    clock = fragments.time.time
    monkeypatch.setattr(fragments.time, "time", lambda: clock() + 60)
    fragments.age(created)
    assert len(worked_out) == 5  # the next minute works it out again
