"""Periodic clean-up: each app registers what it keeps only for a while; `clean_up` (run
hourly by celery beat) calls them all and reports how many rows each removed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from integrations.models import OutgoingEmail, TaskFailure, WebhookDelivery

logger = logging.getLogger("stoa.cleanup")

_jobs: dict[str, Callable[[], int]] = {}


def job(name: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    """Register a clean-up function that deletes what has expired and returns a count.

    Stale API idempotency keys belong here too: the app that stores them registers a job.
    """

    def register(fn: Callable[[], int]) -> Callable[[], int]:
        _jobs[name] = fn
        return fn

    return register


def run_all() -> dict[str, int]:
    done = {}
    for name, fn in sorted(_jobs.items()):
        try:
            done[name] = fn()
        except Exception:
            # One broken job must not keep the others from running.
            logger.exception("clean-up job %s failed", name)
            done[name] = -1
    return done


@job("sent e-mails older than 30 days")
def _old_emails() -> int:
    cutoff = timezone.now() - timedelta(days=30)
    return OutgoingEmail.objects.filter(
        created__lt=cutoff, status__in=[OutgoingEmail.Status.SENT, OutgoingEmail.Status.SKIPPED]
    ).delete()[0]


@job("delivered webhooks older than 30 days")
def _old_deliveries() -> int:
    cutoff = timezone.now() - timedelta(days=30)
    return WebhookDelivery.objects.filter(
        created__lt=cutoff, status=WebhookDelivery.Status.DELIVERED
    ).delete()[0]


@job("resolved task failures older than 90 days")
def _old_failures() -> int:
    cutoff = timezone.now() - timedelta(days=90)
    return TaskFailure.objects.filter(resolved__lt=cutoff).delete()[0]
