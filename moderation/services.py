"""Write operations of the moderation app.

Who decides what:

- the detector (``post_screen``, ``rescan_posts``) flags posts, puts them in the review queue
  and adds or withdraws its own notice;
- members report posts (``report_create``); a report puts the post in the queue;
- moderators decide (``review_confirm``, ``review_dismiss``, ``notice_add``,
  ``notice_remove``, and the forum's hide/restore/lock/pin/move). A decision stands: the
  detector never removes a confirmed notice, and a dismissed post comes back to the queue only
  when an edit of its text is flagged again.

Every change goes to the append-only ``AuditLog`` through :func:`audit`, with a snapshot of the
object before and after. Changes made by the detector are logged with no actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from core import snapshots
from forum import policy
from forum.events import post_payload
from forum.models import Post, Thread
from forum.services import AUDITED_FIELDS
from integrations.queue import enqueue
from integrations.webhooks import emit
from moderation.models import (
    AuditLog,
    CategorySettings,
    Notice,
    NoticeTemplate,
    Report,
    Review,
    Severity,
)

DEFAULT_NOTICE_TEXT = {
    Severity.ADVICE: (
        "It looks like this post asks for medical advice. Members here are happy to share "
        "experience, but a forum cannot examine you or know your history: please talk to a "
        "doctor, physiotherapist or other qualified professional about it."
    ),
    Severity.URGENT: (
        "This post describes signs that can need prompt medical attention. Please don't wait "
        "for replies here: contact a doctor, an urgent care service or emergency services now."
    ),
}
NOTICE_SEVERITIES = (Severity.ADVICE, Severity.URGENT)
NOTICE_TEXT_MAX_LENGTH = 2000
DECIDED = (Review.Status.CONFIRMED, Review.Status.DISMISSED)


def notice_text(severity: str, *, category_settings: CategorySettings | None = None) -> str:
    """The wording of a new notice: the category's own line for the severity when its
    administrators wrote one, else the administrators' template, else the built-in default."""
    if category_settings is not None:
        own = category_settings.notice_text(severity)
        if own:
            return own
    template = NoticeTemplate.objects.filter(severity=severity).first()
    return template.text if template else DEFAULT_NOTICE_TEXT[Severity(severity)]


def _wordings(severity: str, category_settings: CategorySettings | None) -> set[str]:
    """Every automatic wording of a severity: a notice worded so was not reworded by hand."""
    return {notice_text(severity), notice_text(severity, category_settings=category_settings)}


# --- Audit ---------------------------------------------------------------------------------


def snapshot(obj: Model | None, fields: tuple[str, ...] | None = None) -> dict:
    """A JSON-ready picture of an object's moderation-relevant fields (``{}`` for None)."""
    if obj is None:
        return {}
    return snapshots.snapshot(obj, fields or SNAPSHOT_FIELDS[type(obj)])


SNAPSHOT_FIELDS: dict[type, tuple[str, ...]] = {
    Review: (
        "status",
        "flagged",
        "score",
        "severity",
        "cues",
        "model_version",
        "queued",
        "decided_by",
        "decided",
    ),
    Notice: ("id", "kind", "severity", "text", "origin", "confirmed", "removed", "removed_by"),
    Report: ("id", "reason", "comment", "reporter", "resolved", "resolved_by", "outcome"),
    **AUDITED_FIELDS,
}


def audit(
    *,
    actor: User | None,
    action: str,
    post: Post | None = None,
    target: Model | None = None,
    before: Mapping | None = None,
    after: Mapping | None = None,
) -> AuditLog:
    """Append one row to the audit log. Call it inside the action's transaction, so that an
    action is never recorded without happening nor happens without being recorded."""
    return AuditLog.objects.create(
        actor=actor,
        action=action,
        post=post,
        target=f"{target._meta.label_lower}:{target.pk}" if target is not None else "",
        before=dict(before or {}),
        after=dict(after or {}),
    )


def _check_moderator(user: User) -> None:
    policy.check_moderator(user)


def _lock_post(post_id: int) -> Post:
    """Lock order for every moderation write: the post, then its review, then its notices.

    Writes of a post's text (forum.services) lock the post before the screener locks the review;
    taking them in the same order here means the two never deadlock. ``of=("self",)``: the
    joined thread is read, not locked.
    """
    return Post.objects.select_for_update(of=("self",)).select_related("thread").get(pk=post_id)


# --- Screening -----------------------------------------------------------------------------


def _live_notice(post: Post) -> Notice | None:
    return (
        Notice.objects.select_for_update()
        .filter(post=post, kind=Notice.Kind.REFER, removed__isnull=True)
        .first()
    )


def _has_open_reports(post: Post) -> bool:
    """Open reports that keep a post in the queue (down-weighted ones do not, see
    :func:`report_create`)."""
    return Report.objects.filter(post=post, resolved__isnull=True, down_weighted=False).exists()


def _effective_flag(detection, category_settings: CategorySettings | None) -> tuple[bool, bool]:
    """(flagged, notices_on) for a detection in a category.

    A category's threshold can only make the detector stricter: a post is flagged when the
    detector flags it *and* its score reaches the category's threshold. A category with notices
    turned off (a physiotherapists' corner) gets neither automatic notices nor automatic queue
    entries; members can still report its posts and moderators can still add notices.
    """
    flagged = detection.flagged
    if category_settings is not None and category_settings.threshold is not None:
        flagged = flagged and detection.score >= category_settings.threshold
    notices_on = category_settings is None or category_settings.notices_enabled
    return flagged and notices_on, notices_on


def _apply_detection(
    *,
    post: Post,
    detection,
    category_settings: CategorySettings | None,
    rescan: bool = False,
    action: str = "screen",
    fresh: bool = False,
) -> Review:
    """Bring a post's review and detector notice in line with a detection. Caller holds a
    transaction. With ``rescan`` (a new model over old posts, not a new text), posts a moderator
    decided are left exactly as they are. ``fresh``: the post was inserted in this
    transaction, so it has no review, notice or report yet: the review is inserted as it
    ends up, with nothing read first."""
    if fresh:
        review, live = Review(post=post), None
    else:
        review, _ = Review.objects.select_for_update().get_or_create(post=post)
        if rescan and review.status in DECIDED:
            return review
        live = _live_notice(post)
    before = {"review": snapshot(review), "notice": snapshot(live)}
    flagged, notices_on = _effective_flag(detection, category_settings)
    # A post the detector could not read (a language it does not know), or scored just below
    # the threshold, is neither flagged nor cleared: a moderator decides, without a notice,
    # unless the category wants no automatic queue entries.
    if not notices_on or flagged:
        reason = Review.Reason.NONE
    elif not detection.screened:
        reason = Review.Reason.LANGUAGE
    elif detection.unsure:
        reason = Review.Reason.UNSURE
    else:
        reason = Review.Reason.NONE
    undecided = reason != Review.Reason.NONE

    review.flagged = flagged
    review.reason = reason
    review.language = detection.language
    review.score = detection.score
    review.severity = detection.severity if flagged else Severity.NONE
    review.cues = list(detection.cues)
    review.model_version = detection.model_version
    review.screened = timezone.now()
    was_pending = review.status == Review.Status.PENDING
    if review.status == Review.Status.CONFIRMED:
        pass  # The moderator's decision stands.
    elif review.status == Review.Status.DISMISSED:
        # Only a new text gets here (rescans skip decided posts): flagged again, it goes back.
        if flagged or undecided:
            review.status = Review.Status.PENDING
            review.decided_by = None
            review.decided = None
    elif flagged or undecided or (not fresh and _has_open_reports(post)):
        # Members' open reports keep a post in the queue whatever the detector thinks.
        review.status = Review.Status.PENDING
    else:
        review.status = Review.Status.CLEAR
    if review.status == Review.Status.PENDING and not was_pending:
        review.queued = review.screened
    review.save()
    if (
        review.status == Review.Status.PENDING
        and review.severity == Severity.URGENT
        and review.alerted is None
    ):
        # Moderators are told after the commit; the task marks the review, so once per post.
        from moderation import tasks

        enqueue(tasks.urgent_alert, review.pk)

    if flagged and review.status != Review.Status.DISMISSED:
        if live is None:
            live = Notice.objects.create(
                post=post,
                severity=review.severity,
                text=notice_text(review.severity, category_settings=category_settings),
                origin=Notice.Origin.DETECTOR,
                # An edit of a confirmed post keeps the decision for the new notice too.
                confirmed=review.status == Review.Status.CONFIRMED,
            )
        elif live.severity != review.severity and not live.confirmed:
            live.severity = review.severity
            live.text = notice_text(review.severity, category_settings=category_settings)
            live.save(update_fields=["severity", "text"])
        elif live.severity == Severity.ADVICE and review.severity == Severity.URGENT:
            # A confirmed notice is never withdrawn or softened, but red-flag signs added by an
            # edit raise it to urgent; a moderator's own wording is kept.
            if live.text in _wordings(Severity.ADVICE, category_settings):
                live.text = notice_text(Severity.URGENT, category_settings=category_settings)
            live.severity = Severity.URGENT
            live.save(update_fields=["severity", "text"])
    elif live is not None and not live.confirmed and live.origin == Notice.Origin.DETECTOR:
        live.removed = timezone.now()
        live.save(update_fields=["removed"])

    if fresh:
        # What the write's answer shows with the new post (the API's notices), so that it need
        # not read them back: the attribute moderation.selectors.live_notices reads.
        post.live_notices = [live] if live is not None else []  # type: ignore[attr-defined]
    after = {"review": snapshot(review), "notice": snapshot(live)}
    changed = (
        before["review"].get("status") != after["review"]["status"]
        or before["notice"] != after["notice"]
    )
    if changed:
        audit(actor=None, action=action, post=post, target=review, before=before, after=after)
    return review


def _category_settings_for(post: Post) -> CategorySettings | None:
    return CategorySettings.objects.filter(category__threads=post.thread_id).first()


def screening_text(post: Post) -> str:
    """What a reader reads: a thread's first post is read under its title, and a red-flag
    question put in the title above a bland body ("see title, thanks") is still an ask. The
    detector was trained on reddit posts as "title\nbody", the same framing."""
    if post.number == 1:
        return f"{post.thread.title}\n{post.source}"
    return post.source


@transaction.atomic
def thread_title_screen(*, thread: Thread) -> Review | None:
    """Screen a thread's first post again after its title changed. The caller holds the
    thread's row lock and passes the thread with its new title; the post is locked next (thread,
    then post: the order of every post write)."""
    first = (
        Post.objects.select_for_update(of=("self",)).filter(thread_id=thread.pk, number=1).first()
    )
    if first is None:
        return None
    first.thread = thread
    return post_screen(post=first)


def detect(post: Post):
    """The detector's verdict on what a reader of the post reads (pure, no query)."""
    # Looked up at call time so tests and rescans can swap the detector.
    from moderation import detector

    return detector.detect(screening_text(post))


class PostScreener:
    """The forum's post screener (forum.hooks.post_screeners): the detector runs, and the
    category's settings are read, before the write locks the thread; the verdict is written
    in the write's transaction (no savepoint of its own: the write's transaction is one)."""

    def prepare(self, *, post: Post):
        # post.thread is the caller's (a new thread has no id yet): its category says which
        # settings apply, read once per write.
        settings_row = CategorySettings.objects.filter(category_id=post.thread.category_id).first()
        return detect(post), settings_row

    def apply(self, *, post: Post, prepared, created: bool) -> None:
        detection, category_settings = prepared
        _apply_detection(
            post=post, detection=detection, category_settings=category_settings, fresh=created
        )


# One instance, so registering it twice (ready() in tests) screens once.
post_screener = PostScreener()


@transaction.atomic
def post_screen(*, post: Post, detection=None) -> Review:
    """Run the detector on a post's current text and bring its review and notice up to date.

    For a post whose text did not just change through the forum's services: a title change
    (thread_title_screen) and the like. Writes of a post's text go through
    :class:`PostScreener`, which applies the same rules to what it prepared before the write's
    locks. A moderator's decision stands: a confirmed notice is never removed by a re-screen
    (it may be raised to urgent), and a dismissed post returns to the queue only when its new
    text is flagged again.
    """
    if detection is None:
        detection = detect(post)
    return _apply_detection(
        post=post, detection=detection, category_settings=_category_settings_for(post)
    )


def post_rescreen_batch(
    *, posts: list[Post], detections: list, settings_by_category: dict[int, CategorySettings]
) -> int:
    """Apply a new model's detections to existing posts (see ``rescan_posts``); posts a
    moderator decided are skipped. Returns how many reviews were written."""
    written = 0
    with transaction.atomic():
        for post, detection in zip(posts, detections, strict=True):
            locked = _lock_post(post.pk)
            if screening_text(locked) != screening_text(post):
                continue  # Edited since it was read: that edit screened the new text already.
            review = _apply_detection(
                post=locked,
                detection=detection,
                category_settings=settings_by_category.get(locked.thread.category_id),
                rescan=True,
                action="rescan",
            )
            written += review.status not in DECIDED
    return written


# --- Reports -------------------------------------------------------------------------------


def _already_reported() -> ValidationError:
    # "duplicate" in the API's field codes: an app can say "already reported" in its own words.
    message = "You have already reported this post."
    return ValidationError({"post": [ValidationError(message, code="duplicate")]})


@transaction.atomic
def report_create(*, reporter: User, post: Post, reason: str, comment: str = "") -> Report:
    """A member reports a post; the post joins the review queue.

    One report per member per post (ValidationError on the second). forum.policy decides who
    may report what (PermissionDenied); one's own post is a ValidationError. An
    undecided post becomes PENDING; a post a moderator already decided keeps its decision but
    shows in the queue while it has open (unresolved) reports, so the moderator sees the new
    report and can confirm or dismiss again, which resolves it.
    """
    # The caller's copy may be stale: visibility is checked on the row as it is now.
    post = _lock_post(post.pk)
    if policy.is_member(reporter) and post.author_id == reporter.pk:
        raise ValidationError({"post": ["You cannot report your own post."]})
    policy.check_report_post(reporter, post)
    comment = (comment or "").replace("\x00", "").strip()
    # A TextField's max_length is not checked by full_clean(): check it here.
    limit = Report.COMMENT_MAX
    if len(comment) > limit:
        raise ValidationError({"comment": [f"A comment can hold at most {limit} characters."]})
    report = Report(post=post, reporter=reporter, reason=reason, comment=comment)
    report.full_clean(exclude=["post", "reporter"], validate_unique=False)
    if Report.objects.filter(post=post, reporter=reporter).exists():
        raise _already_reported()
    report.down_weighted = _check_false_reporter(reporter)
    try:
        # A savepoint: a concurrent duplicate must not break the caller's transaction.
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise _already_reported() from None

    review, _ = Review.objects.select_for_update().get_or_create(post=post)
    before = snapshot(review)
    if review.status == Review.Status.CLEAR and not report.down_weighted:
        review.status = Review.Status.PENDING
        review.queued = report.created
        review.save(update_fields=["status", "queued"])
    audit(
        actor=reporter,
        action="report.create",
        post=post,
        target=report,
        before={"review": before},
        after={"review": snapshot(review), "report": snapshot(report)},
    )
    emit(
        "report.filed",
        {
            "report": {"id": report.pk, "reason": report.reason, "review": review.status},
            "post": post_payload(post, with_text=False),
        },
    )
    return report


def false_report_count(reporter: User | int) -> int:
    """Reports by the member that moderators resolved as false in the last
    ``FALSE_REPORT_DAYS`` (an index on (reporter, resolved) of false reports answers it)."""
    since = timezone.now() - timedelta(days=settings.STOA["FALSE_REPORT_DAYS"])
    return Report.objects.filter(
        reporter=reporter, outcome=Report.Outcome.FALSE, resolved__gte=since
    ).count()


def _check_false_reporter(reporter: User) -> bool:
    """Whether the member's new report is down-weighted, refusing it (PermissionDenied) when a
    repeat false reporter has used up a day's reports. A member whose reports moderators
    found false ``FALSE_REPORT_LIMIT`` times lately still reports, but their report no longer
    puts a post in the queue by itself (moderators still see it, and it is resolved with the
    post's other reports), and they get ``FALSE_REPORTER_DAILY`` reports a day."""
    limits = settings.STOA
    if false_report_count(reporter) < limits["FALSE_REPORT_LIMIT"]:
        return False
    today = Report.objects.filter(
        reporter=reporter, created__gte=timezone.now() - timedelta(days=1)
    ).count()
    if today >= limits["FALSE_REPORTER_DAILY"]:
        raise PermissionDenied(
            "Moderators found several of your recent reports unfounded, so you can report "
            f"{limits['FALSE_REPORTER_DAILY']} posts a day for now. Try again tomorrow."
        )
    return True


# What the reporter is told of each outcome. It names what happened to the post, never the
# sanction of its author beyond "acted on it".
OUTCOME_TEXT: dict[str, str] = {
    Report.Outcome.NOTICE: (
        "Thank you: a moderator agreed and added a note to the post asking its author to see "
        "a professional."
    ),
    Report.Outcome.HIDDEN: "Thank you: a moderator agreed and hid the post you reported.",
    Report.Outcome.WARNED: "Thank you: a moderator agreed with your report and acted on it.",
    Report.Outcome.NO_ACTION: (
        "A moderator read the post you reported and found that it needs no action."
    ),
    Report.Outcome.FALSE: (
        "A moderator read the post you reported and found the report unfounded. Please report "
        "only posts that break the forum's rules."
    ),
}
# The outcomes a moderator chooses for a post's reports (a notice comes with a confirmation).
REPORT_OUTCOMES = (
    Report.Outcome.HIDDEN,
    Report.Outcome.WARNED,
    Report.Outcome.NO_ACTION,
    Report.Outcome.FALSE,
)


def _resolve_reports(*, post: Post, moderator: User, now, outcome: str) -> list[int]:
    reports = list(
        Report.objects.select_for_update().filter(post=post, resolved__isnull=True).order_by("pk")
    )
    ids = [r.pk for r in reports]
    if ids:
        Report.objects.filter(pk__in=ids).update(
            resolved=now, resolved_by=moderator, outcome=outcome
        )
        # Imported here: the tasks module imports the rescans, which import this module.
        from moderation import tasks

        for report_id in ids:
            enqueue(tasks.report_outcome_notify, report_id)
    return ids


@transaction.atomic
def reports_resolve(
    *, moderator: User, post: Post, outcome: str, warning: str = ""
) -> list[Report]:
    """Close the post's open reports with an outcome, and do what it says: ``hidden`` hides
    the post, ``warned`` warns its author with ``warning`` (the text the author is shown).
    Each reporter is notified of the outcome after the commit. The review's decision is left
    as it is. Raises :class:`NothingToDo` when the post has no open report."""
    _check_moderator(moderator)
    if outcome not in REPORT_OUTCOMES:
        raise ValidationError({"outcome": [f"Choose one of {', '.join(REPORT_OUTCOMES)}."]})
    # Imported here: forum.services and moderation.sanctions import this module at load time.
    from forum import services as forum_services
    from moderation import sanctions

    if outcome == Report.Outcome.WARNED:
        sanctions.check_can_sanction(moderator, post.author)
    state_before = Post.objects.values_list("state", flat=True).get(pk=post.pk)
    if outcome == Report.Outcome.HIDDEN:
        # Hiding locks the thread, then the post: take them in that order before the reports.
        post = forum_services.post_hide(actor=moderator, post=post)
    post = _lock_post(post.pk)
    reports = list(
        Report.objects.select_for_update().filter(post=post, resolved__isnull=True).order_by("pk")
    )
    if not reports:
        raise NothingToDo("Nothing to change: the post has no open report.")
    warned = None
    if outcome == Report.Outcome.WARNED:
        warned = sanctions.member_warn(
            moderator=moderator, member=post.author, reason=warning, post=post
        )
    before = [snapshot(r) for r in reports]
    now = timezone.now()
    resolved = _resolve_reports(post=post, moderator=moderator, now=now, outcome=outcome)
    reports = list(Report.objects.filter(pk__in=resolved).order_by("pk"))
    audit(
        actor=moderator,
        action="report.resolve",
        post=post,
        target=post,
        before={"reports": before, "post": {"state": state_before}},
        after={
            "reports": [snapshot(r) for r in reports],
            "outcome": outcome,
            "post": {"state": post.state},
            "warning": warned.pk if warned else None,
        },
    )
    return reports


# --- Moderators' decisions -----------------------------------------------------------------
#
# Each decision is described before it is made (``decision_effects``: the admin shows it as a
# preview), a decision that would change nothing is refused with ``NothingToDo`` and recorded
# nowhere, and the latest decision on a post can be undone (``decision_undo``), which puts the
# review, the notice and the reports back exactly as the audit row's "before" says.


class NothingToDo(ValidationError):
    """The decision would change nothing: nothing was written and nothing was recorded."""


class Decision:
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    SEVERITY = "severity"
    HIDE = "hide"
    RESTORE = "restore"
    RESOLVE = "resolve"  # close the open reports with an outcome (reports_resolve)


# Notices that a dismissal takes off: the detector's, and the one a confirmation added. A
# notice a moderator wrote by hand (notice_add) stays until it is removed by hand.
_DISMISSABLE_ORIGINS = (Notice.Origin.DETECTOR, Notice.Origin.REVIEW)


def _announce_decision(*, review: Review, post: Post, moderator: User, resolved: list[int]) -> None:
    emit(
        "review.decided",
        {
            "review": {"id": review.pk, "status": review.status, "severity": review.severity},
            "post": post_payload(post, with_text=False),
            "moderator": {"id": moderator.pk, "username": moderator.username},
            "resolved_reports": resolved,
        },
    )


def _lock_review(review: Review) -> Review:
    post = _lock_post(review.post_id)
    review = Review.objects.select_for_update().get(pk=review.pk)
    review.post = post
    return review


def _open_report_count(post: Post) -> int:
    return Report.objects.filter(post=post, resolved__isnull=True).count()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def decision_effects(
    *,
    review: Review,
    decision: str,
    severity: str | None = None,
    live: Notice | None = None,
    outcome: str | None = None,
) -> list[str]:
    """What ``decision`` would do to the review's post, in words, as a moderator reads them
    before confirming; an empty list means it would change nothing. ``live`` is the post's live
    notice when the caller already holds it (services pass the locked row)."""
    post = review.post
    if live is None:
        live = (
            Notice.objects.filter(post=post, kind=Notice.Kind.REFER, removed__isnull=True)
            .order_by()
            .first()
        )
    effects: list[str] = []
    reports = _open_report_count(post) if decision in (Decision.CONFIRM, Decision.DISMISS) else 0
    if decision == Decision.CONFIRM:
        if review.status != Review.Status.CONFIRMED:
            effects.append("mark the post as asking for medical advice (confirmed)")
        if live is None:
            level = review.severity if review.severity in NOTICE_SEVERITIES else Severity.ADVICE
            effects.append(f"add a confirmed {level} notice that no edit removes")
        elif not live.confirmed:
            effects.append(
                f"keep its {live.severity} notice, now confirmed: it no longer says it was "
                "added automatically, and no edit removes it"
            )
    elif decision == Decision.DISMISS:
        if review.status != Review.Status.DISMISSED:
            effects.append("mark the post as not needing a notice (dismissed)")
        if live is not None and live.origin in _DISMISSABLE_ORIGINS:
            effects.append(f"remove its {live.severity} notice")
    elif decision == Decision.SEVERITY:
        if severity not in NOTICE_SEVERITIES:
            raise ValidationError({"severity": ["Choose advice or urgent."]})
        if review.severity != severity:
            effects.append(f"change the severity from {review.severity} to {severity}")
        if live is not None and live.severity != severity:
            effects.append(f"show its notice with the {severity} wording")
    elif decision == Decision.HIDE:
        if post.state != Post.State.HIDDEN:
            effects.append("hide the post from members (it keeps its place as a placeholder)")
    elif decision == Decision.RESTORE:
        if post.state == Post.State.DELETED:
            effects.append("show again a post its author deleted")
        elif post.state == Post.State.HIDDEN:
            effects.append("show the hidden post to members again")
    elif decision == Decision.RESOLVE:
        if outcome not in REPORT_OUTCOMES:
            raise ValidationError({"outcome": [f"Choose one of {', '.join(REPORT_OUTCOMES)}."]})
        reports = _open_report_count(post)
        if not reports:
            return []
        if outcome == Report.Outcome.HIDDEN and post.state != Post.State.HIDDEN:
            effects.append("hide the post from members (it keeps its place as a placeholder)")
        if outcome == Report.Outcome.WARNED:
            effects.append(
                f"warn its author {post.author.username}: a notification with your text, "
                "shown on their pages for a week"
            )
        label = Report.Outcome(outcome).label
        effects.append(f"resolve {_plural(reports, 'open report')} as “{label}”")
        effects.append(f"tell each reporter: “{OUTCOME_TEXT[outcome]}”")
        return effects
    else:
        raise ValidationError({"decision": [f"Unknown decision {decision!r}."]})
    if reports:
        effects.append(f"resolve {_plural(reports, 'open report')}")
    return effects


_NOTHING = {
    Decision.CONFIRM: "It is already confirmed, with a confirmed notice and no open reports.",
    Decision.DISMISS: "It is already dismissed, with no notice to remove and no open reports.",
    Decision.SEVERITY: "It already has that severity.",
}


def _refuse_noop(review: Review, decision: str, live: Notice | None, severity=None) -> None:
    if not decision_effects(review=review, decision=decision, severity=severity, live=live):
        raise NothingToDo(f"Nothing to change: {_NOTHING[decision]}")


@transaction.atomic
def review_confirm(*, moderator: User, review: Review) -> Review:
    """The post asks for medical advice: it keeps (or gets) a notice that no edit removes.

    Resolves the post's open reports. A post that was only reported gets an advice notice.
    Raises :class:`NothingToDo` when the post is confirmed already and nothing is open.
    """
    _check_moderator(moderator)
    review = _lock_review(review)
    post = review.post
    live = _live_notice(post)
    _refuse_noop(review, Decision.CONFIRM, live)
    before = {"review": snapshot(review), "notice": snapshot(live)}
    now = timezone.now()

    if review.severity not in NOTICE_SEVERITIES:
        review.severity = Severity.ADVICE
    review.status = Review.Status.CONFIRMED
    review.decided_by = moderator
    review.decided = now
    review.save(update_fields=["status", "severity", "decided_by", "decided"])
    if live is None:
        live = Notice.objects.create(
            post=post,
            severity=review.severity,
            text=notice_text(review.severity, category_settings=_category_settings_for(post)),
            origin=Notice.Origin.REVIEW,
            confirmed=True,
            created=now,
            created_by=moderator,
        )
    elif not live.confirmed:
        live.confirmed = True
        live.save(update_fields=["confirmed"])
    resolved = _resolve_reports(
        post=post, moderator=moderator, now=now, outcome=Report.Outcome.NOTICE
    )

    audit(
        actor=moderator,
        action="review.confirm",
        post=post,
        target=review,
        before=before,
        after={"review": snapshot(review), "notice": snapshot(live), "resolved_reports": resolved},
    )
    _announce_decision(review=review, post=post, moderator=moderator, resolved=resolved)
    return review


@transaction.atomic
def review_dismiss(*, moderator: User, review: Review) -> Review:
    """The post does not need a notice: the detector's notice goes (confirmed or not, so a
    dismissal corrects a mistaken confirmation), as does a notice an earlier confirmation
    added; the post leaves the queue and its open reports are resolved. A notice a moderator
    wrote by hand stays (remove it with :func:`notice_remove`). The post returns to the queue
    only if an edit flags it again. Raises :class:`NothingToDo` when there is nothing to undo.
    """
    _check_moderator(moderator)
    review = _lock_review(review)
    post = review.post
    live = _live_notice(post)
    _refuse_noop(review, Decision.DISMISS, live)
    before = {"review": snapshot(review), "notice": snapshot(live)}
    now = timezone.now()

    review.status = Review.Status.DISMISSED
    review.decided_by = moderator
    review.decided = now
    review.save(update_fields=["status", "decided_by", "decided"])
    if live is not None and live.origin in _DISMISSABLE_ORIGINS:
        live.removed = now
        live.removed_by = moderator
        live.save(update_fields=["removed", "removed_by"])
    resolved = _resolve_reports(
        post=post, moderator=moderator, now=now, outcome=Report.Outcome.NO_ACTION
    )

    audit(
        actor=moderator,
        action="review.dismiss",
        post=post,
        target=review,
        before=before,
        after={"review": snapshot(review), "notice": snapshot(live), "resolved_reports": resolved},
    )
    _announce_decision(review=review, post=post, moderator=moderator, resolved=resolved)
    return review


@transaction.atomic
def review_set_severity(*, moderator: User, review: Review, severity: str) -> Review:
    """Change how urgent the post is: the review's severity and its live notice's wording (a
    moderator's own wording is kept, only its level changes). The decision itself (pending,
    confirmed, dismissed) is untouched. Raises :class:`NothingToDo` when nothing changes."""
    _check_moderator(moderator)
    review = _lock_review(review)
    post = review.post
    live = _live_notice(post)
    _refuse_noop(review, Decision.SEVERITY, live, severity=severity)
    before = {"review": snapshot(review), "notice": snapshot(live)}
    old = review.severity
    review.severity = severity
    review.save(update_fields=["severity"])
    if live is not None and live.severity != severity:
        own = _category_settings_for(post)
        if live.text in _wordings(live.severity, own) | _wordings(old, own):
            live.text = notice_text(severity, category_settings=own)
        live.severity = severity
        live.save(update_fields=["severity", "text"])
    audit(
        actor=moderator,
        action="review.severity",
        post=post,
        target=review,
        before=before,
        after={"review": snapshot(review), "notice": snapshot(live)},
    )
    return review


# --- Undo ----------------------------------------------------------------------------------

UNDOABLE = {
    "review.confirm": "confirmation",
    "review.dismiss": "dismissal",
    "review.severity": "severity change",
    "post.hide": "hiding",
    "post.restore": "restoring",
    "report.resolve": "outcome of the reports",
}
# Rows that do not change what a decision set, so they do not stand in the way of undoing it.
_UNDO_TRANSPARENT = ("report.create",)


def undoable_entry(*, post: Post) -> AuditLog | None:
    """The post's latest audit row if it is a moderator's decision that can still be undone:
    nothing (an edit, the detector, another moderator, an undo) has changed the post since."""
    latest = (
        AuditLog.objects.filter(post=post)
        .exclude(action__in=_UNDO_TRANSPARENT)
        .select_related("actor")
        .order_by("-created", "-pk")
        .first()
    )
    if latest is None or latest.action not in UNDOABLE or latest.actor_id is None:
        return None
    if latest.action == "report.resolve" and "post" not in latest.after:
        return None  # Resolved before outcomes recorded what undoing them needs.
    return latest


def _parse_time(value: str | None):
    return None if value is None else datetime.fromisoformat(value)


@transaction.atomic
def decision_undo(*, moderator: User, entry: AuditLog) -> AuditLog:
    """Put a post back exactly as it was before the decision ``entry`` records: the review's
    status, severity and decider, the notice (its level, wording, confirmation, presence) and
    the reports the decision resolved. Only the post's latest change can be undone; anything
    later (an edit, a re-screen, another decision) makes it a ValidationError: decide again.
    Returns the "undo" audit row, whose ``after`` names the undone row."""
    _check_moderator(moderator)
    if entry.post_id is None or entry.action not in UNDOABLE:
        raise ValidationError("This change cannot be undone.")
    if entry.action.startswith("post.") or entry.action == "report.resolve":
        # Hide and restore lock the thread before the post (forum.services); so does this.
        thread_id = Post.objects.values_list("thread_id", flat=True).get(pk=entry.post_id)
        Thread.objects.select_for_update().filter(pk=thread_id).first()
    post = _lock_post(entry.post_id)
    if undoable_entry(post=post) != entry:
        raise ValidationError(
            "The post has changed since this decision (or it was undone already): "
            "decide again instead."
        )
    if entry.action.startswith("post."):
        return _undo_post_state(moderator=moderator, entry=entry, post=post)
    if entry.action == "report.resolve":
        return _undo_resolution(moderator=moderator, entry=entry, post=post)

    review = Review.objects.select_for_update().get(post=post)
    live = _live_notice(post)
    # The notice the decision left (live, or removed by a dismissal) must still be as it left it,
    # and no other notice may have appeared since.
    left = entry.after.get("notice") or {}
    notice_now = Notice.objects.select_for_update().filter(pk=left["id"]).first() if left else live
    if (
        snapshot(review) != entry.after.get("review")
        or snapshot(notice_now) != left
        or (live is not None and live.pk != left.get("id"))
    ):
        raise ValidationError("The post has changed since this decision: decide again instead.")
    before = {"review": snapshot(review), "notice": snapshot(live)}
    now = timezone.now()

    old = entry.before.get("review", {})
    review.status = old["status"]
    review.severity = old["severity"]
    review.queued = _parse_time(old.get("queued"))
    review.decided_by_id = old.get("decided_by")
    review.decided = _parse_time(old.get("decided"))
    review.save(update_fields=["status", "severity", "queued", "decided_by", "decided"])

    old_notice = entry.before.get("notice") or {}
    if live is not None and live.pk != old_notice.get("id"):
        # The decision added this notice: before it, the post had no live notice (or another).
        live.removed = now
        live.removed_by = moderator
        live.save(update_fields=["removed", "removed_by"])
    restored = None
    if old_notice:
        restored = Notice.objects.select_for_update().get(pk=old_notice["id"])
        restored.severity = old_notice["severity"]
        restored.text = old_notice["text"]
        restored.confirmed = old_notice["confirmed"]
        restored.removed = _parse_time(old_notice.get("removed"))
        restored.removed_by_id = old_notice.get("removed_by")
        restored.save(update_fields=["severity", "text", "confirmed", "removed", "removed_by"])
    reopened = list(entry.after.get("resolved_reports") or [])
    if reopened:
        Report.objects.filter(pk__in=reopened).update(resolved=None, resolved_by=None, outcome="")

    current = _live_notice(post)
    return _audit_undo(
        moderator=moderator,
        entry=entry,
        post=post,
        target=review,
        before=before,
        after={
            "review": snapshot(review),
            "notice": snapshot(current),
            "reopened_reports": reopened,
        },
    )


def _audit_undo(
    *,
    moderator: User,
    entry: AuditLog,
    post: Post,
    target: Model,
    before: Mapping,
    after: Mapping,
) -> AuditLog:
    """The audit row of every kind of undo: ``after`` names the undone row and its action, so
    the log alone tells which change a moderator took back."""
    return audit(
        actor=moderator,
        action="undo",
        post=post,
        target=target,
        before=before,
        after={**after, "undoes": entry.pk, "undone_action": entry.action},
    )


def _undo_post_state(*, moderator: User, entry: AuditLog, post: Post) -> AuditLog:
    # Imported here: forum.services imports this module at load time.
    from forum import services as forum_services

    before = snapshot(post)
    if before != entry.after:
        raise ValidationError("The post has changed since this decision: decide again instead.")
    state = entry.before.get("state")
    if state == Post.State.VISIBLE:
        post = forum_services.post_restore(actor=moderator, post=post)
    elif state == Post.State.HIDDEN:
        post = forum_services.post_hide(actor=moderator, post=post)
    else:
        raise ValidationError("Its author had deleted this post; hide it if it should not show.")
    return _audit_undo(
        moderator=moderator,
        entry=entry,
        post=post,
        target=post,
        before=before,
        after=snapshot(post),
    )


def _undo_resolution(*, moderator: User, entry: AuditLog, post: Post) -> AuditLog:
    """Reopen the reports a resolution closed, show again the post it hid and withdraw the
    warning it gave, so the post, its reports and its author are as before the resolution."""
    # Imported here: forum.services and moderation.sanctions import this module at load time.
    from forum import services as forum_services
    from moderation import sanctions

    left = entry.after.get("reports") or []
    ids = [r["id"] for r in left]
    reports = list(Report.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if [snapshot(r) for r in reports] != left or post.state != entry.after["post"]["state"]:
        raise ValidationError("The post has changed since this decision: decide again instead.")
    before = {"reports": [snapshot(r) for r in reports], "post": {"state": post.state}}
    Report.objects.filter(pk__in=ids).update(resolved=None, resolved_by=None, outcome="")
    if post.state != entry.before["post"]["state"]:
        post = forum_services.post_restore(actor=moderator, post=post)
    if entry.after.get("warning"):
        sanctions.warning_withdraw(moderator=moderator, sanction_id=entry.after["warning"])
    reports = list(Report.objects.filter(pk__in=ids).order_by("pk"))
    return _audit_undo(
        moderator=moderator,
        entry=entry,
        post=post,
        target=post,
        before=before,
        after={
            "reports": [snapshot(r) for r in reports],
            "post": {"state": post.state},
            "reopened_reports": ids,
            "withdrawn_warning": entry.after.get("warning"),
        },
    )


@transaction.atomic
def notice_add(*, moderator: User, post: Post, severity: str, text: str | None = None) -> Notice:
    """Put a "refer to a professional" notice on any post by hand.

    ``text`` defaults to the administrators' template for the severity. A post has at most one
    live notice, so an existing one is replaced (and kept, removed, for the record). The new
    notice is confirmed: no edit of the post removes it.
    """
    _check_moderator(moderator)
    if severity not in NOTICE_SEVERITIES:
        raise ValidationError({"severity": ["Choose advice or urgent."]})
    if text is not None:
        text = text.replace("\x00", "").strip()
        if len(text) > NOTICE_TEXT_MAX_LENGTH:
            raise ValidationError(
                {"text": [f"A notice can hold at most {NOTICE_TEXT_MAX_LENGTH} characters."]}
            )
    post = _lock_post(post.pk)
    text = text or notice_text(severity, category_settings=_category_settings_for(post))
    now = timezone.now()
    old = _live_notice(post)
    before = {"notice": snapshot(old)}
    if old is not None:
        old.removed = now
        old.removed_by = moderator
        old.save(update_fields=["removed", "removed_by"])
    notice = Notice(
        post=post,
        severity=severity,
        text=text,
        origin=Notice.Origin.MODERATOR,
        confirmed=True,
        created=now,
        created_by=moderator,
    )
    notice.full_clean(exclude=["post", "created_by"], validate_constraints=False)
    notice.save()
    audit(
        actor=moderator,
        action="notice.add",
        post=post,
        target=notice,
        before=before,
        after={"notice": snapshot(notice), "replaced": snapshot(old) if old else {}},
    )
    return notice


@transaction.atomic
def notice_remove(*, moderator: User, notice: Notice) -> Notice:
    """Take a notice off its post (kept, marked removed). Removing a removed notice does
    nothing. A later edit that the detector flags may add a new notice."""
    _check_moderator(moderator)
    post = _lock_post(notice.post_id)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    notice.post = post
    if notice.removed is not None:
        return notice
    before = {"notice": snapshot(notice)}
    notice.removed = timezone.now()
    notice.removed_by = moderator
    notice.save(update_fields=["removed", "removed_by"])
    audit(
        actor=moderator,
        action="notice.remove",
        post=notice.post,
        target=notice,
        before=before,
        after={"notice": snapshot(notice)},
    )
    return notice
