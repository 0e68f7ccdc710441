"""A new urgent post tells the moderators, once, through the task queue."""

from __future__ import annotations

import pytest

from forum import services as forum_services
from forum.models import Notification
from moderation import services, tasks
from moderation.models import Review
from tests.commit import committed

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(settings):
    settings.STOA = {
        **settings.STOA,
        "MODERATION_ALERT_EMAILS": ["on-duty@example.com"],
        "SITE_URL": "https://forum.example.com",
    }


def _alerts_for(user):
    return Notification.objects.filter(recipient=user, kind=Notification.Kind.MODERATION)


def test_an_urgent_post_notifies_moderators_and_emails_the_rota_once(
    stub_detector, alerts, mailoutbox, moderator, member, other_member, make_thread
):
    thread = committed(make_thread)(member, body="Hello")
    post = committed(forum_services.post_reply)(
        author=other_member, thread=thread, body="[urgent] chest pain since this morning"
    )
    review = Review.objects.get(post=post)
    assert review.status == Review.Status.PENDING and review.alerted is not None
    (note,) = _alerts_for(moderator)
    assert note.post == post and "Urgent post waiting for review" in note.message
    assert not _alerts_for(member).exists() and not _alerts_for(other_member).exists()
    (mail,) = mailoutbox
    assert mail.to == ["on-duty@example.com"]
    assert f"https://forum.example.com/admin/moderation/review/{review.pk}/change/" in mail.body
    assert "chest pain" not in mail.body  # the post's words stay in the admin

    # An edit screened urgent again, and a rerun of the task, tell no one twice.
    committed(forum_services.post_edit)(
        editor=other_member, post=post, body="[urgent] chest pain, now worse"
    )
    assert tasks.urgent_alert.apply(args=[review.pk]).get() == 0
    assert _alerts_for(moderator).count() == 1
    assert len(mailoutbox) == 1


def test_advice_posts_and_posts_decided_before_the_task_alert_nobody(
    stub_detector, alerts, mailoutbox, moderator, member, other_member, make_post
):
    thread = make_post("[advice] should I see a physio about my knee?").thread
    assert not _alerts_for(moderator).exists() and mailoutbox == []

    # Not committed: the task has not run when the moderator dismisses the post.
    post = forum_services.post_reply(
        author=other_member, thread=thread, body="[urgent] numbness in both legs"
    )
    services.review_dismiss(moderator=moderator, review=Review.objects.get(post=post))
    assert tasks.urgent_alert.apply(args=[post.review.pk]).get() == 0
    assert not _alerts_for(moderator).exists()
