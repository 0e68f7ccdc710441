"""Re-screening existing posts with the current detector, in resumable batches.

A RescanJob is a BatchJob (integrations.jobs): its steps run on any worker, one after the
other; a step that is redelivered after its worker died re-screens at most its own batch
again, which changes nothing (screening is deterministic and decided posts are left alone).
`rescan_posts` runs the same steps in one process. A new detector model starts a rescan by
itself (`rescan_for_new_model`, a periodic task).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from forum.models import Post
from integrations import jobs
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
        job = jobs.locked_running(RescanJob, job_id)
        if job is None:
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
        jobs.advance(job, batch=len(ids), last_post=ids[-1] if ids else None)
        if job.status == RescanJob.Status.FINISHED:
            job.flagged_after = Review.objects.filter(flagged=True).count()
        job.save()
        return job.status == RescanJob.Status.RUNNING


def job_fail(job_id: int, error: str) -> None:
    jobs.fail(RescanJob, job_id, error)


def job_pause(job: RescanJob) -> None:
    jobs.pause(job)


def job_resume(job: RescanJob) -> None:
    from moderation import tasks

    jobs.resume(job, tasks.rescan_step)


def rescan_for_new_model() -> RescanJob | None:
    """Start a rescan of every undecided post when the detector's model is newer than the one
    that screened them, unless a rescan with this model already ran or is running. Posts
    decided by a moderator keep their decision."""
    version = detector.get_model().model_version[:100]
    if RescanJob.objects.filter(status=RescanJob.Status.RUNNING).exists():
        return None  # one at a time (its version is known after its first batch)
    if RescanJob.objects.filter(detector_version=version).exists():
        return None
    outdated = Review.objects.exclude(status__in=services.DECIDED).exclude(
        model_version=version[:50]
    )
    if not outdated.exists():
        return None
    return job_start(since=None)
