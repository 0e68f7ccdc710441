"""Background tasks of moderation: re-screening in resumable batches."""

from __future__ import annotations

from celery import shared_task

from integrations.queue import RELIABLE, TRANSIENT_ERRORS, enqueue
from moderation import rescans


@shared_task(**RELIABLE)
def rescan_step(self, job_id: int) -> bool:
    """One batch of a rescan, then the next step is queued: many short tasks rather than
    one long one, so a deploy or a killed worker costs at most one batch."""
    try:
        more = rescans.job_step(job_id)
    except Exception as exc:
        if not isinstance(exc, TRANSIENT_ERRORS) or self.request.retries >= self.max_retries:
            # Shown on the job in the admin, which can resume it from where it stopped.
            rescans.job_fail(job_id, f"{type(exc).__name__}: {exc}")
        raise
    if more:
        enqueue(rescan_step, job_id)
    return more
