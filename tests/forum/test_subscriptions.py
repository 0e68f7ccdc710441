"""Watching and muting a thread: watched threads notify on every reply, muted never (not even
for a quote or a mention), and the thread page offers both."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum import quotes, selectors, services
from forum.models import Notification, Subscription
from tests.commit import committed

pytestmark = pytest.mark.django_db

reply = committed(services.post_reply)


def notified(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def subscribe_url(thread) -> str:
    return reverse("forum:thread_subscription", args=[thread.pk])


def test_watching_a_thread_notifies_every_reply(member, other_member, thread):
    services.thread_subscribe(user=other_member, thread=thread)
    reply(author=member, thread=thread, body="Reply one.")
    reply(author=member, thread=thread, body="Reply two.")
    assert notified(other_member) == ["reply", "reply"]


def test_without_watching_only_quotes_and_mentions_notify(member, other_member, thread):
    reply(author=member, thread=thread, body="Nobody is told of this one.")
    reply(author=member, thread=thread, body=f"What do you think, @{other_member.username}?")
    assert notified(other_member) == ["mention"]


def test_muting_silences_replies_quotes_and_mentions(member, other_member, thread):
    own = reply(author=other_member, thread=thread, body="I watch this thread now.")
    services.thread_mute(user=other_member, thread=thread)
    reply(author=member, thread=thread, body="A reply they do not hear of.")
    reply(author=member, thread=thread, body=f"Hey @{other_member.username}, still here?")
    quoted = quotes.quote_markup(post=own, user=member)
    reply(author=member, thread=thread, body=f"{quoted}\n\nGood point.")
    assert notified(other_member) == []


def test_posting_in_a_muted_thread_keeps_it_muted(member, other_member, thread):
    services.thread_mute(user=other_member, thread=thread)
    reply(author=other_member, thread=thread, body="One more word from me.")
    reply(author=member, thread=thread, body="And a reply to it.")
    assert Subscription.objects.get(user=other_member, thread=thread).level == "muted"
    assert notified(other_member) == []


def test_muting_one_thread_leaves_others_alone(member, other_member, make_thread):
    muted = make_thread(member)
    other = make_thread(member)
    services.thread_mute(user=other_member, thread=muted)
    reply(author=member, thread=other, body=f"@{other_member.username} look here.")
    assert notified(other_member) == ["mention"]


def test_watching_again_lifts_the_mute(member, other_member, thread):
    services.thread_mute(user=other_member, thread=thread)
    services.thread_subscribe(user=other_member, thread=thread)
    reply(author=member, thread=thread, body="Heard again.")
    assert notified(other_member) == ["reply"]
    assert Subscription.objects.filter(user=other_member, thread=thread).count() == 1


def test_thread_page_shows_the_choice_and_changes_it(client, member, other_member, thread):
    client.force_login(other_member)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "only when quoted or mentioned" in page
    assert 'name="level" value="watching"' in page and 'name="level" value="muted"' in page

    response = client.post(subscribe_url(thread), {"level": "watching"})
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    assert selectors.subscription_level(thread=thread, user=other_member) == "watching"
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "You are watching this thread" in page and 'value="normal"' in page

    client.post(subscribe_url(thread), {"level": "muted"})
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "You muted this thread" in page and ">Unmute</button>" in page

    client.post(subscribe_url(thread), {"level": "normal"})
    assert not Subscription.objects.filter(user=other_member, thread=thread).exists()


def test_author_watches_their_thread_from_the_start(client, member, thread):
    client.force_login(member)
    assert "You are watching this thread" in client.get(thread.get_absolute_url()).content.decode()


def test_subscription_form_keeps_the_page(client, member, other_member, thread):
    client.force_login(other_member)
    response = client.post(subscribe_url(thread), {"level": "muted", "page": "3"})
    assert response["Location"] == f"{thread.get_absolute_url()}?page=3"


def test_bad_subscription_choice_is_a_400_in_the_layout(client, other_member, thread):
    client.force_login(other_member)
    response = client.post(subscribe_url(thread), {"level": "everything"})
    assert response.status_code == 400
    assert b'class="skip-link"' in response.content
    assert not Subscription.objects.filter(user=other_member, thread=thread).exists()


def test_visitors_see_no_subscription_form_and_cannot_post_it(client, thread):
    assert subscribe_url(thread) not in client.get(thread.get_absolute_url()).content.decode()
    response = client.post(subscribe_url(thread), {"level": "watching"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Subscription.objects.exclude(user=thread.author).exists()


def test_api_reports_a_muted_thread_as_not_followed(member, other_member, thread):
    from tests.api.conftest import bearer

    services.thread_mute(user=other_member, thread=thread)
    listing = bearer(other_member).get("/api/v1/threads/").json()["results"]
    assert [t["is_subscribed"] for t in listing if t["id"] == thread.pk] == [False]
