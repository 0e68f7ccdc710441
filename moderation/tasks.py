"""Background tasks of moderation: re-screening in resumable batches, telling reporters the
outcome of their reports."""

from __future__ import annotations

from celery import shared_task

from forum import policy
from forum.models import Notification
from integrations import jobs
from integrations.queue import RELIABLE
from moderation import rescans
from moderation.models import Report, RescanJob


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


@shared_task(**RELIABLE)
def report_outcome_notify(self, report_id: int) -> bool:
    """Tell the reporter what became of their report, as a forum notification about the post.
    Keyed on (reporter, post): a second run writes the same row, and a later outcome of the
    same report (after an undo) replaces the earlier word. The notification carries the
    outcome's text only, never the post's, which may be hidden by then."""
    from moderation.services import OUTCOME_TEXT

    report = Report.objects.select_related("reporter", "post").filter(pk=report_id).first()
    if report is None or report.resolved is None or not report.outcome:
        return False  # Reopened (undone) or deleted since: nothing to tell.
    if not policy.can_follow(report.reporter) or report.resolved_by_id is None:
        return False
    word = {
        "actor_id": report.resolved_by_id,
        "message": OUTCOME_TEXT[report.outcome],
        "created": report.resolved,
        "read": None,
    }
    row, made = Notification.objects.get_or_create(
        recipient=report.reporter,
        post=report.post,
        kind=Notification.Kind.MODERATION,
        defaults=word,
    )
    if not made and row.created != report.resolved:
        # A newer outcome: it replaces the old word and is unread again. A rerun of the same
        # outcome leaves the row (and whether it was read) alone.
        for field, value in word.items():
            setattr(row, field, value)
        row.save(update_fields=["actor", "message", "created", "read"])
    return True
