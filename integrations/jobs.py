"""Long work in short, resumable steps on the workers (BatchJob rows).

A step reads the job under a row lock (skip_locked: a redelivered copy of a step that another
worker is running does nothing), does one batch after `last_post` in keyset order, records how
far it got and queues the next step. A worker killed mid-step loses at most that batch, which
the redelivered step does again; so a step must be safe to run twice. Failures are recorded on
the job, which administrators resume from where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from celery import Task
from django.db import transaction
from django.utils import timezone

from integrations.models import BatchJob
from integrations.queue import TRANSIENT_ERRORS, enqueue

J = TypeVar("J", bound=BatchJob)


def locked_running(model: type[J], job_id: int) -> J | None:
    """The job under its row lock if it is running and no other worker holds it; call inside
    a transaction."""
    job = model._default_manager.select_for_update(skip_locked=True).filter(pk=job_id).first()
    if job is None or job.status != BatchJob.Status.RUNNING:
        return None
    return job


def advance(job: BatchJob, *, batch: int, last_post: int | None) -> None:
    """Record a step of `batch` items ending at `last_post`; a short batch ends the job."""
    job.done += batch
    if last_post is not None:
        job.last_post = last_post
    job.updated = timezone.now()
    if batch < job.batch_size:
        job.status = BatchJob.Status.FINISHED
        job.finished = job.updated


def run_step(task: Task, step: Callable[[int], bool], model: type[BatchJob], job_id: int) -> bool:
    """The body of a step task: one batch, then the next step is queued. A permanent error,
    or a transient one out of retries, marks the job failed (shown in the admin)."""
    try:
        more = step(job_id)
    except Exception as exc:
        if not isinstance(exc, TRANSIENT_ERRORS) or task.request.retries >= task.max_retries:
            fail(model, job_id, f"{type(exc).__name__}: {exc}")
        raise
    if more:
        enqueue(task, job_id)
    return more


def fail(model: type[BatchJob], job_id: int, error: str) -> None:
    model._default_manager.filter(pk=job_id, status=BatchJob.Status.RUNNING).update(
        status=BatchJob.Status.FAILED, error=error[:2000], updated=timezone.now()
    )


def pause(job: BatchJob) -> None:
    type(job)._default_manager.filter(pk=job.pk, status=BatchJob.Status.RUNNING).update(
        status=BatchJob.Status.PAUSED, updated=timezone.now()
    )


@transaction.atomic
def resume(job: BatchJob, step_task: Task) -> None:
    changed = (
        type(job)
        ._default_manager.filter(
            pk=job.pk, status__in=[BatchJob.Status.PAUSED, BatchJob.Status.FAILED]
        )
        .update(status=BatchJob.Status.RUNNING, error="", updated=timezone.now())
    )
    if changed:
        enqueue(step_task, job.pk)
