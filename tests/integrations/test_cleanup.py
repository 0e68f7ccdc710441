from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import IdempotencyRecord, User
from integrations.models import OutgoingEmail, WebhookDelivery, WebhookEndpoint
from integrations.tasks import clean_up
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def test_clean_up_removes_what_has_expired_and_keeps_the_rest(member, thread):
    expired, _ = AuthToken.objects.create(user=member, expiry=timedelta(days=1))
    AuthToken.objects.filter(pk=expired.pk).update(expiry=_ago(minutes=1))
    live, _ = AuthToken.objects.create(user=member, expiry=timedelta(days=1))

    stale = UserFactory(is_active=False, last_login=None)
    fresh = UserFactory(is_active=False, last_login=None)
    imported = UserFactory(is_active=False, last_login=None, imported_from="phpbb")
    banned = UserFactory(is_active=False)  # signed in once: an account someone disabled
    User.objects.filter(pk__in=[stale.pk, imported.pk, banned.pk]).update(date_joined=_ago(days=8))
    User.objects.filter(pk=banned.pk).update(last_login=_ago(days=8))

    old_sent = OutgoingEmail.objects.create(kind="activation", to="a@example.com", status="sent")
    OutgoingEmail.objects.filter(pk=old_sent.pk).update(created=_ago(days=31))
    old_failed = OutgoingEmail.objects.create(
        kind="activation", to="b@example.com", status="failed"
    )
    OutgoingEmail.objects.filter(pk=old_failed.pk).update(created=_ago(days=31))
    endpoint = WebhookEndpoint.objects.create(url="https://example.com/", events=[])
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="post.created",
        payload={},
        status="delivered",
        created=_ago(days=40),
    )

    old_key = IdempotencyRecord.objects.create(user=member, key="k1", fingerprint="f", status=201)
    IdempotencyRecord.objects.filter(pk=old_key.pk).update(created=_ago(hours=25))
    new_key = IdempotencyRecord.objects.create(user=member, key="k2", fingerprint="f", status=201)

    done = clean_up.apply().get()

    assert done["expired API tokens"] == 1
    assert done["accounts never activated"] == 1
    assert list(AuthToken.objects.values_list("pk", flat=True)) == [live.pk]
    remaining = set(User.objects.values_list("pk", flat=True))
    assert stale.pk not in remaining
    assert {fresh.pk, imported.pk, banned.pk, member.pk} <= remaining
    # Sent mail goes after 30 days; failed mail stays for an administrator to look at.
    assert list(OutgoingEmail.objects.values_list("pk", flat=True)) == [old_failed.pk]
    assert not WebhookDelivery.objects.exists()
    assert done["expired API idempotency keys"] == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [new_key.pk]
    # Running it again finds nothing more.
    assert set(clean_up.apply().get().values()) == {0}


def test_the_clean_up_runs_from_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "integrations.tasks.clean_up" in tasks
    assert "integrations.tasks.webhook_retry_due" in tasks
    from forum.celery import app

    app.loader.import_default_modules()
    assert tasks <= set(app.tasks)
