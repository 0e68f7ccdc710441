"""Background tasks of moderation: re-screening in resumable batches."""

from __future__ import annotations

from celery import shared_task

from integrations import jobs
from integrations.queue import RELIABLE
from moderation import rescans
from moderation.models import RescanJob


@shared_task(**RELIABLE)
def rescan_step(self, job_id: int) -> bool:
    """One batch of a rescan, then the next step is queued: many short tasks rather than
    one long one, so a deploy or a killed worker costs at most one batch."""
    return jobs.run_step(self, rescans.job_step, RescanJob, job_id)


@shared_task(**RELIABLE)
def rescan_for_new_model(self) -> int | None:
    """Periodic: after a deploy with a new detector model, re-screen the undecided posts."""
    job = rescans.rescan_for_new_model()
    return job.pk if job else None
