"""Attacks through posting: notifying more members than allowed, re-linking someone's quoted
words, edit floods and racing double submits."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from forum import services
from forum.models import Notification, Post, PostRevision
from forum.quotes import quote_markup, render_post_html
from tests.api.conftest import bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_editing_in_new_names_cannot_notify_more_members_than_one_post_may(thread, make_thread):
    spammer = UserFactory()  # a new account: two callouts per post
    targets = [UserFactory(username=f"target{i}") for i in range(12)]
    post = services.post_reply(
        author=spammer, thread=thread, body=f"Hi @{targets[0].username} @{targets[1].username}"
    )
    refused = 0
    for round_ in range(1, 6):
        a, b = targets[2 * round_], targets[2 * round_ + 1]
        try:
            post = services.post_edit(
                editor=spammer, post=post, body=f"Edit {round_}: @{a.username} @{b.username}"
            )
        except ValidationError as exc:
            assert "across all its versions" in str(exc)
            refused += 1
    assert refused == 5
    post.refresh_from_db()
    assert sorted(post.called_out) == sorted([targets[0].pk, targets[1].pk])
    notified = set(
        Notification.objects.filter(
            post=post, kind__in=[Notification.Kind.MENTION, Notification.Kind.QUOTE]
        ).values_list("recipient_id", flat=True)
    )
    assert notified <= {targets[0].pk, targets[1].pk}
    # Editing the same members back in is fine: they were already called out.
    services.post_edit(
        editor=spammer, post=post, body=f"Sorry @{targets[1].username} @{targets[0].username}"
    )


def test_reference_definitions_outside_a_quote_cannot_turn_quoted_words_into_links(thread):
    alice = UserFactory(username="alice")
    source = services.post_reply(
        author=alice, thread=thread, body="Start with [the official guide] before lifting."
    )
    attacker = UserFactory(username="mallory")
    body = (
        "[the official guide]: https://evil.example/phish\n\n"
        + quote_markup(post=source, user=attacker)
        + "\nAgreed."
    )
    reply = services.post_reply(author=attacker, thread=thread, body=body)
    reply = Post.objects.prefetch_related("quotes__source__author").get(pk=reply.pk)
    html = str(render_post_html(reply, alice))
    assert "alice wrote:" in html  # a live, verified quote
    assert "evil.example" not in html
    assert "[the official guide]" in html


def test_definitions_inside_a_quote_stay_inside_it(thread):
    body = (
        '[quote="someone"]\nsee [docs]\n\n[docs]: https://inside.example/\n[/quote]\n\n'
        "and my own [docs] too"
    )
    post = services.post_reply(author=UserFactory(), thread=thread, body=body)
    assert post.html.count("https://inside.example/") == 1
    assert "my own [docs] too" in post.html


def test_an_edit_flood_is_throttled_and_stores_no_extra_revisions(member, thread):
    client = bearer(member)
    post = thread.posts.get()
    statuses = [
        client.patch(
            f"/api/v1/posts/{post.pk}/", {"body": f"Version {i} " + "x" * 50_000}
        ).status_code
        for i in range(14)
    ]
    assert statuses[:10] == [200] * 10
    assert set(statuses[10:]) == {429}
    assert PostRevision.objects.filter(post=post).count() == 10


def test_edits_through_the_page_share_the_limit(client, member, thread):
    from django.urls import reverse

    client.force_login(member)
    post = thread.posts.get()
    bearer_client = bearer(member)
    for i in range(10):
        bearer_client.patch(f"/api/v1/posts/{post.pk}/", {"body": f"v{i}"})
    response = client.post(reverse("forum:post_edit", args=[post.pk]), {"body": "one more"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"editing too fast" in response.content


@pytest.mark.django_db(transaction=True)
def test_eight_identical_posts_sent_at_once_to_eight_threads_store_one(category):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL")
    owner = UserFactory()
    threads = [
        services.thread_create(author=owner, category=category, title=f"T{i}", body=f"Open {i}")
        for i in range(8)
    ]
    author = UserFactory(date_joined=timezone.now() - timedelta(days=30))
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def send(thread):
        try:
            start.wait()
            services.post_reply(author=author, thread=thread, body="Same text, sent eight times")
            outcomes.append("stored")
        except ValidationError:
            outcomes.append("refused")
        except BaseException as exc:  # reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=send, args=(t,)) for t in threads]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["stored"]
    assert Post.objects.filter(author=author).count() == 1
    author.refresh_from_db()
    assert author.post_count == 1
