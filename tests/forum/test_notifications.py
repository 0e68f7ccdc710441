from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from forum import quotes, services
from forum.models import Notification, Post
from tests.commit import committed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def established(**kwargs):
    """A member past the new-account limits."""
    user = UserFactory(**kwargs)
    User.objects.filter(pk=user.pk).update(
        date_joined=timezone.now() - timedelta(days=30), post_count=50
    )
    user.refresh_from_db()
    return user


def kinds(post):
    return dict(Notification.objects.filter(post=post).values_list("recipient__username", "kind"))


def test_reply_notifies_thread_followers_but_not_the_author(member, other_member, thread):
    reply = committed(services.post_reply)(author=other_member, thread=thread, body="Hello")
    assert kinds(reply) == {member.username: "reply"}
    own = committed(services.post_reply)(author=member, thread=thread, body="Thanks")
    assert kinds(own) == {other_member.username: "reply"}


def test_quote_and_mention_notify_once_per_member_per_post(member, thread):
    author = established()
    source = Post.objects.get(thread=thread, number=1)
    body = (
        quotes.quote_markup(post=source, user=author) + f"\n@{member.username} @{author.username}"
    )
    reply = committed(services.post_reply)(author=author, thread=thread, body=body)
    # The thread starter is followed, quoted and mentioned: one notification, the quote.
    assert kinds(reply) == {member.username: "quote"}
    assert Notification.objects.filter(recipient=author).count() == 0


def test_mentions_notify_mentioned_members(member, thread):
    author, bystander = established(), UserFactory()
    reply = committed(services.post_reply)(
        author=author, thread=thread, body=f"@{bystander.username.upper()} look"
    )
    assert kinds(reply) == {member.username: "reply", bystander.username: "mention"}


def test_more_than_ten_members_are_refused_and_nothing_is_written(member, thread):
    author = established()
    names = [UserFactory().username for _ in range(11)]
    body = " ".join(f"@{n}" for n in names)
    with pytest.raises(ValidationError) as exc:
        committed(services.post_reply)(author=author, thread=thread, body=body)
    assert "at most 10 members" in str(exc.value.message_dict["body"])
    thread.refresh_from_db()
    assert thread.post_count == 1
    assert Notification.objects.count() == 0
    reply = committed(services.post_reply)(
        author=author, thread=thread, body=" ".join(f"@{n}" for n in names[:10])
    )
    assert len(kinds(reply)) == 11  # ten mentions and the thread starter


def test_fifty_mentions_of_the_same_member_are_one_callout(member, thread):
    author, target = established(), UserFactory()
    reply = committed(services.post_reply)(
        author=author, thread=thread, body=f"@{target.username} " * 50
    )
    assert kinds(reply)[target.username] == "mention"
    assert Notification.objects.filter(recipient=target).count() == 1


def test_new_accounts_may_call_out_two_members(member, thread):
    newcomer = UserFactory()
    others = [UserFactory().username for _ in range(3)]
    with pytest.raises(ValidationError) as exc:
        committed(services.post_reply)(
            author=newcomer, thread=thread, body=" ".join(f"@{n}" for n in others)
        )
    assert "at most 2 members" in str(exc.value)
    assert not Post.objects.filter(author=newcomer).exists()
    committed(services.post_reply)(
        author=newcomer, thread=thread, body=" ".join(f"@{n}" for n in others[:2])
    )


def test_quotes_count_against_the_cap(thread):
    newcomer = UserFactory()
    sources = [
        committed(services.post_reply)(author=established(), thread=thread, body=f"Point {i}.")
        for i in range(3)
    ]
    body = "".join(quotes.quote_markup(post=s, user=newcomer) for s in sources)
    with pytest.raises(ValidationError):
        committed(services.post_reply)(author=newcomer, thread=thread, body=body)


def test_edits_do_not_notify_again_and_new_mentions_notify_only_the_newcomer(member, thread):
    author, first, second = established(), UserFactory(), UserFactory()
    reply = committed(services.post_reply)(
        author=author, thread=thread, body=f"Hi @{first.username}"
    )
    before = set(Notification.objects.values_list("pk", flat=True))
    committed(services.post_edit)(editor=author, post=reply, body=f"Hello @{first.username}!")
    assert set(Notification.objects.values_list("pk", flat=True)) == before
    committed(services.post_edit)(
        editor=author, post=reply, body=f"Hello @{first.username} and @{second.username}"
    )
    new = Notification.objects.exclude(pk__in=before)
    assert list(new.values_list("recipient__username", "kind")) == [(second.username, "mention")]


def test_edits_are_held_to_the_same_cap(member, thread):
    author = established()
    reply = committed(services.post_reply)(author=author, thread=thread, body="Plain")
    names = " ".join(f"@{UserFactory().username}" for _ in range(11))
    with pytest.raises(ValidationError):
        committed(services.post_edit)(editor=author, post=reply, body=names)
    reply.refresh_from_db()
    assert reply.source == "Plain"
    assert Notification.objects.filter(post=reply).exclude(kind="reply").count() == 0


def test_mentions_inside_quotes_or_code_notify_nobody(member, thread):
    author, target = established(), UserFactory()
    body = f'[quote="x" post=1]@{target.username}[/quote]\n\n`@{target.username}`'
    reply = committed(services.post_reply)(author=author, thread=thread, body=body)
    assert target.username not in kinds(reply)
