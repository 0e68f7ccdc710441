"""A new urgent post tells the moderators, once, through the task queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forum import services as forum_services
from forum.models import Notification
from moderation import services, tasks
from moderation.models import DutyShift, Review
from tests.commit import committed
from tests.factories import UserFactory

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
    # Nobody is on the rota: every moderator hears, and the deployment's alert address.
    assert sorted(m.to[0] for m in mailoutbox) == sorted(["on-duty@example.com", moderator.email])
    mail = mailoutbox[0]
    assert f"https://forum.example.com/admin/moderation/review/{review.pk}/change/" in mail.body
    assert all("chest pain" not in m.body for m in mailoutbox)  # the words stay in the admin

    # An edit screened urgent again, and a rerun of the task, tell no one twice.
    committed(forum_services.post_edit)(
        editor=other_member, post=post, body="[urgent] chest pain, now worse"
    )
    assert tasks.urgent_alert.apply(args=[review.pk]).get() == 0
    assert _alerts_for(moderator).count() == 1
    assert len(mailoutbox) == 2


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


def _moderator(name):
    from django.contrib.auth.models import Group

    from accounts.models import MODERATORS_GROUP

    user = UserFactory(username=name)
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return user


def _shift(moderator, start_hours, end_hours):
    now = timezone.now()
    return DutyShift.objects.create(
        moderator=moderator,
        starts=now + timedelta(hours=start_hours),
        ends=now + timedelta(hours=end_hours),
    )


def _urgent_post(author, thread):
    return committed(forum_services.post_reply)(
        author=author, thread=thread, body="[urgent] I cannot feel my left arm"
    )


def test_only_the_moderators_on_duty_are_alerted(
    stub_detector, alerts, mailoutbox, member, other_member, make_thread
):
    on_duty, off_duty, yesterday = _moderator("alice"), _moderator("bob"), _moderator("carol")
    _shift(on_duty, -1, 7)
    _shift(off_duty, 8, 16)  # later today
    _shift(yesterday, -25, -17)
    thread = committed(make_thread)(member, body="Hello")
    post = _urgent_post(other_member, thread)

    assert [n.post for n in _alerts_for(on_duty)] == [post]
    assert not _alerts_for(off_duty).exists() and not _alerts_for(yesterday).exists()
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "on-duty@example.com"]


def test_when_nobody_is_on_duty_every_moderator_is_alerted(
    stub_detector, alerts, mailoutbox, member, other_member, make_thread
):
    first, second = _moderator("dora"), _moderator("eve")
    _shift(first, -9, -1)  # ended an hour ago
    # A shift still held by someone who is no longer a moderator does not count either.
    former = _moderator("frank")
    _shift(former, -1, 7)
    former.groups.clear()
    thread = committed(make_thread)(member, body="Hello")
    _urgent_post(other_member, thread)

    assert _alerts_for(first).count() == 1 and _alerts_for(second).count() == 1
    assert not _alerts_for(former).exists()
    assert "frank@example.com" not in [m.to[0] for m in mailoutbox]
    assert {"dora@example.com", "eve@example.com"} <= {m.to[0] for m in mailoutbox}


def test_the_sweep_alerts_an_urgent_post_whose_task_was_lost(
    stub_detector, alerts, mailoutbox, member, other_member, make_thread
):
    on_duty = _moderator("grace")
    _shift(on_duty, -1, 1)
    thread = committed(make_thread)(member, body="Hello")
    # Not committed: the alert task queued at screening never runs (as with a broker down).
    post = forum_services.post_reply(
        author=other_member, thread=thread, body="[urgent] crushing chest pain"
    )
    old = forum_services.post_reply(author=other_member, thread=thread, body="[urgent] old one")
    Review.objects.filter(post=old).update(queued=timezone.now() - timedelta(hours=2))
    assert not _alerts_for(on_duty).exists()

    # The minute's sweep finds it; the old one is history, not news.
    assert committed(tasks.urgent_alert_sweep.apply)().get() == 1
    assert [n.post for n in _alerts_for(on_duty)] == [post]
    assert Review.objects.get(post=post).alerted is not None
    # The next minute's sweep finds nothing left to tell.
    assert committed(tasks.urgent_alert_sweep.apply)().get() == 0
    assert _alerts_for(on_duty).count() == 1


def test_the_sweep_runs_every_minute(settings):
    (entry,) = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("alert_sweep")
    ]
    assert entry["task"] == "moderation.tasks.urgent_alert_sweep"
    assert entry["schedule"] <= timedelta(minutes=1)


def test_moderators_keep_the_rota_in_the_admin_and_every_change_is_audited(
    client, moderator, member
):
    from django.urls import reverse

    from moderation.models import AuditLog

    client.force_login(moderator)
    url = reverse("admin:moderation_dutyshift_add")
    form = {
        "moderator": moderator.pk,
        "starts_0": "2030-01-06",
        "starts_1": "08:00:00",
        "ends_0": "2030-01-06",
        "ends_1": "16:00:00",
        "note": "Monday early",
    }
    assert client.post(url, form).status_code == 302
    shift = DutyShift.objects.get()
    assert shift.moderator == moderator and shift.ends - shift.starts == timedelta(hours=8)
    entry = AuditLog.objects.get(action="dutyshift.add")
    assert entry.actor == moderator and entry.after["note"] == "Monday early"

    # Only moderators go on the rota, and a shift ends after it starts: field errors, no row.
    page = client.post(url, {**form, "moderator": member.pk, "ends_1": "07:00:00"})
    assert page.status_code == 200
    errors = page.context["adminform"].form.errors
    assert "moderator" in errors and "ends" in errors
    assert DutyShift.objects.count() == 1

    change = reverse("admin:moderation_dutyshift_change", args=[shift.pk])
    assert client.post(change, {**form, "ends_1": "18:00:00"}).status_code == 302
    entry = AuditLog.objects.get(action="dutyshift.change")
    assert entry.before["ends"].endswith("16:00:00+00:00")
    assert entry.after["ends"].endswith("18:00:00+00:00")
    delete = reverse("admin:moderation_dutyshift_delete", args=[shift.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not DutyShift.objects.exists()
    assert AuditLog.objects.filter(action="dutyshift.delete").count() == 1


def test_members_cannot_see_or_change_the_rota(client, member):
    from django.urls import reverse

    client.force_login(member)
    page = client.get(reverse("admin:moderation_dutyshift_changelist"))
    assert page.status_code == 302 and "/login/" in page["Location"]
