"""Blocking (ignoring) a member: their posts collapsed, none of their words notify, no quoting
the blocker; never staff, never oneself."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forum import quotes, selectors, services
from forum.models import Block, Notification
from tests.commit import committed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pest(db):
    return UserFactory(username="pest", display_name="Pest")


def reply(author, thread, body):
    return committed(services.post_reply)(author=author, thread=thread, body=body)


def test_blocking_is_idempotent_and_undone_by_unblocking(member, pest):
    first = services.member_block(user=member, member=pest)
    again = services.member_block(user=member, member=pest)
    assert first.pk == again.pk and Block.objects.count() == 1
    assert services.member_unblock(user=member, member=pest) is True
    assert services.member_unblock(user=member, member=pest) is False


@pytest.mark.parametrize("target", ["self", "moderator", "staff", "superuser"])
def test_no_blocking_oneself_or_staff(member, moderator, target):
    others = {
        "self": member,
        "moderator": moderator,
        "staff": UserFactory(is_staff=True),
        "superuser": UserFactory(is_superuser=True),
    }
    with pytest.raises(PermissionDenied):
        services.member_block(user=member, member=others[target])
    assert not Block.objects.exists()


def test_nothing_a_blocked_member_writes_notifies_the_blocker(member, pest, thread):
    services.member_block(user=member, member=pest)
    source = thread.posts.get(number=1)
    reply(pest, thread, "A reply in a thread the blocker watches.")
    reply(pest, thread, f"Hey @{member.username}, look.")
    assert not Notification.objects.filter(recipient=member).exists()
    # Unblocked, the next words reach them again.
    services.member_unblock(user=member, member=pest)
    reply(pest, thread, "Another reply.")
    assert Notification.objects.filter(recipient=member, actor=pest).count() == 1
    assert source.pk


def test_a_blocked_member_cannot_quote_the_blocker(member, pest, thread):
    source = selectors.post_queryset().get(thread=thread, number=1)
    markup = quotes.quote_markup(post=source, user=pest)
    services.member_block(user=member, member=pest)
    with pytest.raises(ValidationError) as error:
        services.post_reply(author=pest, thread=thread, body=markup + "\nGotcha.")
    assert "blocked you" in str(error.value)
    assert thread.posts.count() == 1
    source = selectors.post_queryset(pest).get(pk=source.pk)
    with pytest.raises(PermissionDenied, match="blocked you"):
        from forum import policy

        policy.check_quote_post(pest, source)


def test_the_blocker_may_still_quote_the_blocked(member, pest, make_thread):
    thread = make_thread(pest)
    services.member_block(user=member, member=pest)
    source = selectors.post_queryset(member).get(thread=thread, number=1)
    body = quotes.quote_markup(post=source, user=member) + "\nI disagree."
    assert services.post_reply(author=member, thread=thread, body=body).pk


# Pages.


def test_block_from_the_profile_collapses_their_posts(client, member, pest, thread):
    reply(pest, thread, "Something the blocker would rather not read.")
    client.force_login(member)
    profile = client.get(pest.get_absolute_url()).content.decode()
    assert "Block Pest" in profile
    response = client.post(reverse("forum:member_block", args=[pest.username]), {"on": "1"})
    assert response.status_code == 302
    assert "Unblock Pest" in client.get(pest.get_absolute_url()).content.decode()
    page = client.get(thread.get_absolute_url()).content.decode()
    assert page.count("Post by a member you blocked") == 1
    assert '<details class="blocked-post">' in page
    # Others read it as usual.
    client.force_login(UserFactory())
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Post by a member you blocked" not in page


def test_no_block_button_for_staff_oneself_or_visitors(client, member, moderator):
    assert "member-block" not in client.get(member.get_absolute_url()).content.decode()
    client.force_login(member)
    assert "member-block" not in client.get(moderator.get_absolute_url()).content.decode()
    assert "member-block" not in client.get(member.get_absolute_url()).content.decode()
    response = client.post(reverse("forum:member_block", args=[moderator.username]), {"on": "1"})
    assert response.status_code == 403
    assert not Block.objects.exists()


def test_the_blocked_list_in_the_account_unblocks(client, member, pest):
    services.member_block(user=member, member=pest)
    client.force_login(member)
    assert reverse("forum:blocked") in client.get(reverse("accounts:profile_edit")).content.decode()
    page = client.get(reverse("forum:blocked")).content.decode()
    assert "Pest" in page and "Unblock" in page
    response = client.post(
        reverse("forum:member_block", args=[pest.username]), {"on": "0", "next": "blocked"}
    )
    assert response["Location"] == reverse("forum:blocked")
    assert not Block.objects.exists()


def test_blocking_needs_a_post_with_a_clear_intent(client, member, pest):
    client.force_login(member)
    url = reverse("forum:member_block", args=[pest.username])
    assert client.get(url).status_code == 405
    assert client.post(url, {"on": "maybe"}).status_code == 400
    client.logout()
    assert reverse("login") in client.post(url, {"on": "1"})["Location"]
    assert not Block.objects.exists()


def test_the_thread_page_costs_no_more_queries_with_blocked_authors(
    client, member, pest, make_thread
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    thread = make_thread(member, replies=2)
    client.force_login(member)
    client.get(thread.get_absolute_url())

    def count():
        client.get(thread.get_absolute_url())  # the read position is where the page ends
        with CaptureQueriesContext(connection) as ctx:
            client.get(thread.get_absolute_url())
        return len(ctx)

    before = count()
    for i in range(5):
        reply(pest, thread, f"Pest reply {i}")
    services.member_block(user=member, member=pest)
    assert count() == before
