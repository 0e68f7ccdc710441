"""Reactions: one per member per post per kind, counts on the post, a batched notification."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from forum import changes, selectors, services
from forum.models import Notification, Post, Reaction
from moderation import sanctions
from tests.commit import committed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(thread):
    return thread.posts.get(number=1)


def react(user, post, kind="like", active=True):
    return committed(services.post_react)(user=user, post=post, kind=kind, active=active)


def test_a_reaction_counts_once_per_member_and_kind(post, other_member):
    _, added = react(other_member, post)
    _, again = react(other_member, post)
    assert (added, again) == (True, False)
    react(other_member, post, "thanks")
    post.refresh_from_db()
    assert post.reaction_counts == {"like": 1, "thanks": 1}
    assert Reaction.objects.filter(post=post, user=other_member).count() == 2


def test_taking_a_reaction_back_is_idempotent(post, other_member):
    react(other_member, post)
    _, removed = react(other_member, post, active=False)
    _, again = react(other_member, post, active=False)
    assert (removed, again) == (True, False)
    post.refresh_from_db()
    assert post.reaction_counts == {}


def test_a_second_row_of_the_same_kind_is_refused_by_the_database(post, other_member):
    from django.db import IntegrityError, transaction

    Reaction.objects.create(post=post, user=other_member, kind="like")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reaction.objects.create(post=post, user=other_member, kind="like")


def test_an_unknown_kind_is_a_validation_error(post, other_member):
    with pytest.raises(ValidationError) as error:
        services.post_react(user=other_member, post=post, kind="love")
    assert "kind" in error.value.message_dict


def test_no_reacting_to_ones_own_post(post, member):
    with pytest.raises(PermissionDenied, match="your own post"):
        services.post_react(user=member, post=post, kind="like")


def test_a_suspended_member_reads_but_does_not_react(post, other_member, moderator):
    sanctions.member_suspend(moderator=moderator, member=other_member, reason="Spam.", until=None)
    other_member.refresh_from_db()
    with pytest.raises(PermissionDenied, match="suspended"):
        services.post_react(user=other_member, post=post, kind="like")
    assert not Reaction.objects.exists()


def test_no_reacting_to_a_hidden_post_even_for_moderators(post, other_member, moderator):
    services.post_hide(actor=moderator, post=post)
    for user in (other_member, moderator):
        with pytest.raises(PermissionDenied):
            services.post_react(user=user, post=post, kind="like")


def test_a_reaction_moves_the_change_key_and_the_page_cache_version(post, other_member):
    from forum import pagecache

    before_version = pagecache.version()
    before = Post.objects.get(pk=post.pk).changed
    react(other_member, post)
    assert Post.objects.get(pk=post.pk).changed > before
    assert pagecache.version() > before_version
    # What changed reaches the feed after the last key a client saw.
    assert changes.touch() > Post.objects.get(pk=post.pk).changed


def test_the_author_gets_one_notification_that_counts_the_members(post, member):
    reactors = [UserFactory(display_name=f"Fan {i}") for i in range(3)]
    for user in reactors:
        react(user, post)
        react(user, post, "thanks")
    notes = Notification.objects.filter(recipient=member, post=post)
    assert notes.count() == 1
    note = notes.get()
    assert note.kind == "reaction"
    assert note.actor == reactors[-1]
    assert note.message == "Fan 2 and 2 other members reacted to your post."


def test_a_read_reaction_notification_comes_back_at_most_once_an_hour(post, member):
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    react(first, post)
    note = Notification.objects.get(recipient=member, post=post)
    services.notifications_mark_read(user=member)
    react(second, post)
    note.refresh_from_db()
    assert note.read is not None, "read a moment ago: no new buzz"
    Notification.objects.filter(pk=note.pk).update(created=timezone.now() - timedelta(hours=2))
    react(third, post)
    note.refresh_from_db()
    assert note.read is None
    assert "2 other members" in note.message


def test_reactions_from_a_blocked_member_never_notify(post, member, other_member):
    services.member_block(user=member, member=other_member)
    react(other_member, post)
    assert not Notification.objects.filter(recipient=member).exists()
    fan = UserFactory(display_name="Fan")
    react(fan, post)
    assert Notification.objects.get(recipient=member).message == "Fan reacted to your post."


def test_reactions_in_a_muted_thread_notify_nobody(post, member, other_member, thread):
    services.thread_mute(user=member, thread=thread)
    react(other_member, post)
    assert not Notification.objects.filter(recipient=member).exists()


def test_reacted_flags_come_with_the_posts_without_a_query_per_post(
    make_thread, member, other_member, django_assert_num_queries
):
    thread = make_thread(member, replies=4)
    for post in thread.posts.all()[:3]:
        react(other_member, post, "helpful")
    # The posts (with the flags), their notices, their quotes: as many for 5 posts as for 50.
    with django_assert_num_queries(3):
        posts = list(selectors.thread_posts(thread=thread, user=other_member))
        flags = [[r.reacted for r in selectors.post_reactions(p)] for p in posts]
    assert flags[:3] == [[False, False, True]] * 3
    assert flags[3:] == [[False, False, False]] * 2


# The thread page: buttons that are forms, counts, per-viewer state never cached.


def test_the_react_button_works_without_javascript(client, post, other_member):
    client.force_login(other_member)
    url = reverse("forum:post_react", args=[post.pk])
    response = client.post(url, {"kind": "thanks", "on": "1"})
    assert response.status_code == 302
    assert response["Location"] == post.get_absolute_url()  # the permalink, to the post
    # Sent twice (a double click): still one.
    client.post(url, {"kind": "thanks", "on": "1"})
    post.refresh_from_db()
    assert post.reaction_counts == {"thanks": 1}
    page = client.get(post.thread.get_absolute_url()).content.decode()
    assert 'aria-pressed="true" data-kind="thanks"' in page
    client.post(url, {"kind": "thanks", "on": "0"})
    post.refresh_from_db()
    assert post.reaction_counts == {}


def test_the_react_form_answers_json_for_the_script(client, post, other_member):
    client.force_login(other_member)
    response = client.post(
        reverse("forum:post_react", args=[post.pk]),
        {"kind": "like", "on": "1"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert response.json()["reactions"][0] == {"kind": "like", "count": 1, "reacted": True}


@pytest.mark.parametrize(
    ("data", "status"), [({"kind": "love", "on": "1"}, 400), ({"kind": "like"}, 400)]
)
def test_a_forged_react_form_is_a_400_not_a_500(client, post, other_member, data, status):
    client.force_login(other_member)
    assert client.post(reverse("forum:post_react", args=[post.pk]), data).status_code == status


def test_visitors_and_authors_get_counts_but_no_buttons(client, post, member, other_member):
    react(other_member, post)
    page = client.get(post.thread.get_absolute_url()).content.decode()
    assert "action-react" not in page
    assert 'class="reaction-count">1<' in page
    response = client.post(reverse("forum:post_react", args=[post.pk]), {"kind": "like", "on": "1"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(member)
    assert "action-react" not in client.get(post.thread.get_absolute_url()).content.decode()
    response = client.post(reverse("forum:post_react", args=[post.pk]), {"kind": "like", "on": "1"})
    assert response.status_code == 403


def test_a_hidden_post_cannot_be_reacted_to_by_url(client, post, other_member, moderator):
    services.post_hide(actor=moderator, post=post)
    client.force_login(other_member)
    response = client.post(reverse("forum:post_react", args=[post.pk]), {"kind": "like", "on": "1"})
    assert response.status_code == 404
    assert not Reaction.objects.exists()


def test_a_members_reacted_state_never_comes_from_the_anonymous_page_cache(
    client, post, other_member, settings
):
    settings.STOA = {**settings.STOA, "PAGE_CACHE_SECONDS": 60}
    url = post.thread.get_absolute_url()
    react(other_member, post)
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"
    client.force_login(other_member)
    response = client.get(url)
    assert "X-Page-Cache" not in response
    assert 'aria-pressed="true" data-kind="like"' in response.content.decode()


def test_toggling_a_reaction_in_a_loop_is_throttled(client, post, other_member, monkeypatch):
    from core import throttles

    rates = {**throttles.ReactUserThrottle.THROTTLE_RATES, "react_user": "4/min"}
    monkeypatch.setattr(throttles.ReactUserThrottle, "THROTTLE_RATES", rates)
    client.force_login(other_member)
    url = reverse("forum:post_react", args=[post.pk])
    statuses = [
        client.post(url, {"kind": "like", "on": "1" if i % 2 == 0 else "0"}).status_code
        for i in range(6)
    ]
    assert statuses == [302] * 4 + [429] * 2
    response = client.post(url, {"kind": "like", "on": "1"})
    assert int(response["Retry-After"]) > 0
    assert "reacting too fast" in response.content.decode()
    post.refresh_from_db()
    assert post.reaction_counts == {}, "the refused ones did nothing"
