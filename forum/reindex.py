"""Re-indexing search on the workers: a SearchReindexJob is a BatchJob (integrations.jobs)
whose steps run forum.search.reindex_batch one after the other, so a rebuild of a forum with a
million posts never holds a request, a transaction or one worker for long, and can be paused,
resumed and followed by administrators."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from forum import search
from forum.models import Post, SearchReindexJob
from integrations import jobs
from integrations.queue import enqueue


def job_create(*, batch_size: int = 2000, actor: Any = None) -> SearchReindexJob:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return SearchReindexJob.objects.create(
        batch_size=batch_size, created_by=actor, total=Post.objects.count()
    )


def job_start(*, batch_size: int = 2000, actor: Any = None) -> SearchReindexJob:
    """Create a job and hand its first step to the workers (after the commit)."""
    from forum import tasks

    job = job_create(batch_size=batch_size, actor=actor)
    enqueue(tasks.search_reindex_step, job.pk)
    return job


def job_step(job_id: int) -> bool:
    """Re-index the next batch of a running job; True while there is more to do."""
    with transaction.atomic():
        job = jobs.locked_running(SearchReindexJob, job_id)
        if job is None:
            return False  # paused, finished, or another worker holds this step
        read, last, written = search.reindex_batch(after=job.last_post, batch_size=job.batch_size)
        job.written += written
        jobs.advance(job, batch=read, last_post=last)
        job.save()
        running = job.status == SearchReindexJob.Status.RUNNING
    if not running:
        search.after_bulk_write()
    return running


def job_resume(job: SearchReindexJob) -> None:
    from forum import tasks

    jobs.resume(job, tasks.search_reindex_step)
