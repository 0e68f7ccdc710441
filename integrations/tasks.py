"""Background tasks of the delivery app. Each is keyed on the row it acts on, so running it
twice (a redelivery after a worker died) changes nothing the first run did not."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from integrations import cleanup, mail, webhooks
from integrations.models import OutgoingEmail, WebhookDelivery
from integrations.queue import RELIABLE, TRANSIENT_ERRORS, enqueue

logger = logging.getLogger("stoa.tasks")

# Webhook retries shorter than this are scheduled as a countdown on the broker; longer ones
# wait for the minutely sweep, since Redis would redeliver a message held past its visibility
# timeout.
INLINE_RETRY_MAX = timedelta(minutes=10)


@shared_task(**RELIABLE)
def email_send(self, email_id: int) -> str:
    email = OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.PENDING).first()
    if email is None:
        return "done already"
    email.attempts += 1
    try:
        sent = mail.send(email)
    except Exception as exc:
        final = not isinstance(exc, TRANSIENT_ERRORS) or self.request.retries >= self.max_retries
        status = OutgoingEmail.Status.FAILED if final else OutgoingEmail.Status.PENDING
        mail.mark(email, status=status, error=f"{type(exc).__name__}: {exc}")
        raise
    mail.mark(email, status=OutgoingEmail.Status.SENT if sent else OutgoingEmail.Status.SKIPPED)
    return "sent" if sent else "skipped"


@shared_task(**RELIABLE)
def webhook_fan_out(self, event: str, event_id: str, payload: dict, occurred: str) -> int:
    pending = webhooks.fan_out(event=event, event_id=event_id, payload=payload, occurred=occurred)
    for delivery_id in pending:
        enqueue(webhook_deliver, delivery_id)
    return len(pending)


@shared_task(**{**RELIABLE, "autoretry_for": ()})
def webhook_deliver(self, delivery_id: int) -> str:
    """One attempt at one delivery. The row stays locked during the POST, so a duplicate of
    this task (a redelivery, or the sweep) skips it instead of posting twice at once."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "endpoint__owner")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return "done already or in progress"
        if delivery.next_attempt > timezone.now() + timedelta(seconds=1):
            return "not due yet"
        outcome = webhooks.attempt(delivery)
        if outcome.retry_in is not None and outcome.retry_in <= INLINE_RETRY_MAX:
            enqueue(webhook_deliver, delivery.pk, countdown=outcome.retry_in.total_seconds())
    return "delivered" if outcome.delivered else delivery.status


@shared_task(**RELIABLE)
def webhook_retry_due(self) -> int:
    """Periodic: send again the deliveries whose retry time has passed (the long waits, and
    any whose queued retry was lost)."""
    # A minute of grace lets a queued countdown retry go first.
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING,
        next_attempt__lte=timezone.now() - timedelta(minutes=1),
    ).values_list("pk", flat=True)[:1000]
    ids = list(due)
    for delivery_id in ids:
        enqueue(webhook_deliver, delivery_id)
    return len(ids)


@shared_task(**RELIABLE)
def email_retry_pending(self) -> int:
    """Periodic: e-mails still pending an hour after they were queued (their task was lost,
    say the broker was down at the time) are queued again."""
    stale = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.PENDING,
        created__lte=timezone.now() - timedelta(hours=1),
        created__gte=timezone.now() - timedelta(days=2),
    ).values_list("pk", flat=True)[:1000]
    ids = list(stale)
    for email_id in ids:
        enqueue(email_send, email_id)
    return len(ids)


@shared_task(**RELIABLE)
def clean_up(self) -> dict[str, int]:
    done = cleanup.run_all()
    logger.info("clean-up: %s", done)
    return done
