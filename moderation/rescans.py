"""Re-screening existing posts with the current detector, in resumable batches.

A RescanJob records how far it got (the last post id done, keyset order), so its steps can
run on any worker, one after the other: a step that is redelivered after its worker died
re-screens at most its own batch again, which changes nothing (screening is deterministic
and decided posts are left alone). `rescan_posts` runs the same steps in one process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from forum.models import Post
from integrations.queue import enqueue
from moderation import detector, services
from moderation.models import CategorySettings, RescanJob, Review


def _posts(job: RescanJob) -> QuerySet[Post]:
    posts = Post.objects.exclude(review__status__in=services.DECIDED)
    if job.since is not None:
        posts = posts.filter(Q(created__gte=job.since) | Q(edited__gte=job.since))
    return posts


def job_create(*, since: datetime | None, batch_size: int = 500, actor: Any = None) -> RescanJob:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    job = RescanJob(since=since, batch_size=batch_size, created_by=actor)
    job.total = _posts(job).count()
    job.flagged_before = Review.objects.filter(flagged=True).count()
    job.save()
    return job


def job_start(*, since: datetime | None, batch_size: int = 500, actor: Any = None) -> RescanJob:
    """Create a job and hand its first step to the workers (after the commit)."""
    from moderation import tasks

    job = job_create(since=since, batch_size=batch_size, actor=actor)
    enqueue(tasks.rescan_step, job.pk)
    return job


def job_step(job_id: int) -> bool:
    """Re-screen the next batch of a running job; True while there is more to do."""
    with transaction.atomic():
        job = RescanJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None or job.status != RescanJob.Status.RUNNING:
            return False  # paused, finished, or another worker holds this step
        ids = list(
            _posts(job)
            .filter(pk__gt=job.last_post)
            .order_by("pk")
            .values_list("pk", flat=True)[: job.batch_size]
        )
        if ids:
            batch = list(Post.objects.filter(pk__in=ids).select_related("thread").order_by("pk"))
            detections = detector.detect_many(services.screening_text(p) for p in batch)
            job.detector_version = detections[0].model_version[:100]
            settings_by_category = {s.category_id: s for s in CategorySettings.objects.all()}
            job.written += services.post_rescreen_batch(
                posts=batch, detections=detections, settings_by_category=settings_by_category
            )
            job.done += len(batch)
            job.last_post = ids[-1]
        job.updated = timezone.now()
        if len(ids) < job.batch_size:
            job.status = RescanJob.Status.FINISHED
            job.finished = job.updated
            job.flagged_after = Review.objects.filter(flagged=True).count()
        job.save()
        return job.status == RescanJob.Status.RUNNING


def job_fail(job_id: int, error: str) -> None:
    RescanJob.objects.filter(pk=job_id, status=RescanJob.Status.RUNNING).update(
        status=RescanJob.Status.FAILED, error=error[:2000], updated=timezone.now()
    )


def job_pause(job: RescanJob) -> None:
    RescanJob.objects.filter(pk=job.pk, status=RescanJob.Status.RUNNING).update(
        status=RescanJob.Status.PAUSED, updated=timezone.now()
    )


def job_resume(job: RescanJob) -> None:
    from moderation import tasks

    changed = RescanJob.objects.filter(
        pk=job.pk, status__in=[RescanJob.Status.PAUSED, RescanJob.Status.FAILED]
    ).update(status=RescanJob.Status.RUNNING, error="", updated=timezone.now())
    if changed:
        enqueue(tasks.rescan_step, job.pk)
