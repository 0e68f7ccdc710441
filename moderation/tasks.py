"""Background tasks of moderation: re-screening in resumable batches, telling reporters the
outcome of their reports, alerting moderators to urgent posts."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from forum import pagecache, policy
from forum.models import Notification
from integrations import jobs
from integrations.mail import queue_email
from integrations.queue import RELIABLE, enqueue
from moderation import rescans, selectors
from moderation.models import Report, RescanJob, Review, Severity


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


def urgent_alert_text(review: Review) -> str:
    post = review.post
    return (
        f"Urgent post waiting for review: #{post.number} in “{post.thread.title}” "
        f"(score {review.score:.2f})."
    )


@shared_task(**RELIABLE)
def urgent_alert(self, review_id: int) -> int:
    """Tell the moderators on duty that an urgent post waits (every moderator when the rota
    has nobody on duty now): a notification and an e-mail to each, and an e-mail to each
    address of STOA["MODERATION_ALERT_EMAILS"]. Once per post: the review is marked
    ``alerted`` in the same transaction, so a rerun or a later re-screen tells no one again. A
    post decided (or no longer urgent) before this runs alerts nobody."""
    with transaction.atomic():
        review = (
            Review.objects.select_for_update(of=("self",))
            .select_related("post__thread")
            .filter(pk=review_id)
            .first()
        )
        if (
            review is None
            or review.alerted is not None
            or review.status != Review.Status.PENDING
            or review.severity != Severity.URGENT
        ):
            return 0
        review.alerted = timezone.now()
        review.save(update_fields=["alerted"])
        text = urgent_alert_text(review)
        recipients = list(
            selectors.on_duty_moderators(at=review.alerted)
            .exclude(pk=review.post.author_id)
            .values_list("pk", "email")
        )
        moderators = [pk for pk, _ in recipients]
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=pk,
                    actor_id=review.post.author_id,
                    post=review.post,
                    kind=Notification.Kind.MODERATION,
                    message=text,
                    created=review.alerted,
                )
                for pk in moderators
            ],
            ignore_conflicts=True,
        )
        pagecache.readers_changed(moderators)  # bulk_create sends no signal
        addresses = [email for _, email in recipients if email]
        addresses += settings.STOA["MODERATION_ALERT_EMAILS"]
        for address in dict.fromkeys(addresses):
            queue_email(kind="urgent_review", to=address, params={"review": review.pk})
    return len(moderators)


# How far back the sweep looks: an urgent post older than this without an alert is history
# (a deploy that ran before alerting existed), not news.
ALERT_SWEEP_WINDOW = timedelta(hours=1)


@shared_task(**RELIABLE)
def urgent_alert_sweep(self) -> int:
    """Periodic (every minute): alert the urgent posts whose alert task never ran (the broker
    was down when they were screened, or the worker died with it). With the task queued at
    screening, a moderator on duty hears of an urgent post within a minute either way."""
    since = timezone.now() - ALERT_SWEEP_WINDOW
    due = list(
        Review.objects.filter(
            status=Review.Status.PENDING,
            severity=Severity.URGENT,
            alerted__isnull=True,
            queued__gte=since,
        ).values_list("pk", flat=True)
    )
    for review_id in due:
        enqueue(urgent_alert, review_id)
    return len(due)
