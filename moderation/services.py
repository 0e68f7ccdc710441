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
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from forum import policy
from forum.models import Post, Thread
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


def notice_text(severity: str) -> str:
    """The administrators' text for a severity, or the built-in default if they deleted it."""
    template = NoticeTemplate.objects.filter(severity=severity).first()
    return template.text if template else DEFAULT_NOTICE_TEXT[Severity(severity)]


# --- Audit ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Model | None, fields: tuple[str, ...] | None = None) -> dict:
    """A JSON-ready picture of an object's moderation-relevant fields (``{}`` for None)."""
    if obj is None:
        return {}
    if fields is None:
        fields = SNAPSHOT_FIELDS[type(obj)]
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        # Foreign keys by id: reading the relation would cost a query per snapshot.
        attname = getattr(field, "attname", name)
        out[name] = _plain(getattr(obj, attname))
    return out


SNAPSHOT_FIELDS: dict[type, tuple[str, ...]] = {
    Review: ("status", "flagged", "score", "severity", "cues", "model_version", "decided_by"),
    Notice: ("id", "kind", "severity", "text", "origin", "confirmed", "removed", "removed_by"),
    Report: ("id", "reason", "comment", "reporter", "resolved", "resolved_by"),
    Post: ("state", "state_changed_by", "edit_count"),
    Thread: ("title", "category", "is_locked", "is_pinned"),
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

    Writes of a post's text (forum.services) lock the post before post_screen locks the review;
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
    return Report.objects.filter(post=post, resolved__isnull=True).exists()


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
) -> Review:
    """Bring a post's review and detector notice in line with a detection. Caller holds a
    transaction. With ``rescan`` (a new model over old posts, not a new text), posts a moderator
    decided are left exactly as they are."""
    review, _ = Review.objects.select_for_update().get_or_create(post=post)
    if rescan and review.status in DECIDED:
        return review
    live = _live_notice(post)
    before = {"review": snapshot(review), "notice": snapshot(live)}
    flagged, notices_on = _effective_flag(detection, category_settings)
    # A post the detector could not read (a language it does not know) is neither flagged nor
    # cleared: a moderator decides, unless the category wants no automatic queue entries.
    unread = not detection.screened and notices_on

    review.flagged = flagged
    review.reason = Review.Reason.LANGUAGE if unread else Review.Reason.NONE
    review.language = detection.language
    review.score = detection.score
    review.severity = detection.severity if flagged else Severity.NONE
    review.cues = list(detection.cues)
    review.model_version = detection.model_version
    review.screened = timezone.now()
    if review.status == Review.Status.CONFIRMED:
        pass  # The moderator's decision stands.
    elif review.status == Review.Status.DISMISSED:
        # Only a new text gets here (rescans skip decided posts): flagged again, it goes back.
        if flagged or unread:
            review.status = Review.Status.PENDING
            review.decided_by = None
            review.decided = None
    elif flagged or unread or _has_open_reports(post):
        # Members' open reports keep a post in the queue whatever the detector thinks.
        review.status = Review.Status.PENDING
    else:
        review.status = Review.Status.CLEAR
    review.save()

    if flagged and review.status != Review.Status.DISMISSED:
        if live is None:
            live = Notice.objects.create(
                post=post,
                severity=review.severity,
                text=notice_text(review.severity),
                origin=Notice.Origin.DETECTOR,
                # An edit of a confirmed post keeps the decision for the new notice too.
                confirmed=review.status == Review.Status.CONFIRMED,
            )
        elif live.severity != review.severity and not live.confirmed:
            live.severity = review.severity
            live.text = notice_text(review.severity)
            live.save(update_fields=["severity", "text"])
        elif live.severity == Severity.ADVICE and review.severity == Severity.URGENT:
            # A confirmed notice is never withdrawn or softened, but red-flag signs added by an
            # edit raise it to urgent; a moderator's own wording is kept.
            if live.text == notice_text(Severity.ADVICE):
                live.text = notice_text(Severity.URGENT)
            live.severity = Severity.URGENT
            live.save(update_fields=["severity", "text"])
    elif live is not None and not live.confirmed and live.origin == Notice.Origin.DETECTOR:
        live.removed = timezone.now()
        live.save(update_fields=["removed"])

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


@transaction.atomic
def post_screen(*, post: Post) -> Review:
    """Run the detector on a post's current text and bring its review and notice up to date.

    Called on every write of a post's text (create, edit, import). A moderator's decision
    stands: a confirmed notice is never removed by a re-screen (it may be raised to urgent),
    and a dismissed post returns to the queue only when its new text is flagged again.
    """
    # Looked up at call time so tests and rescans can swap the detector.
    from moderation import detector

    detection = detector.detect(screening_text(post))
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
    limit = Report._meta.get_field("comment").max_length
    if len(comment) > limit:
        raise ValidationError({"comment": [f"A comment can hold at most {limit} characters."]})
    report = Report(post=post, reporter=reporter, reason=reason, comment=comment)
    report.full_clean(exclude=["post", "reporter"], validate_unique=False)
    if Report.objects.filter(post=post, reporter=reporter).exists():
        raise ValidationError({"post": ["You have already reported this post."]})
    try:
        # A savepoint: a concurrent duplicate must not break the caller's transaction.
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise ValidationError({"post": ["You have already reported this post."]}) from None

    review, _ = Review.objects.select_for_update().get_or_create(post=post)
    before = snapshot(review)
    if review.status == Review.Status.CLEAR:
        review.status = Review.Status.PENDING
        review.save(update_fields=["status"])
    audit(
        actor=reporter,
        action="report.create",
        post=post,
        target=report,
        before={"review": before},
        after={"review": snapshot(review), "report": snapshot(report)},
    )
    return report


def _resolve_reports(*, post: Post, moderator: User, now) -> list[int]:
    reports = list(
        Report.objects.select_for_update().filter(post=post, resolved__isnull=True).order_by("pk")
    )
    ids = [r.pk for r in reports]
    if ids:
        Report.objects.filter(pk__in=ids).update(resolved=now, resolved_by=moderator)
    return ids


# --- Moderators' decisions -----------------------------------------------------------------


def _lock_review(review: Review) -> Review:
    post = _lock_post(review.post_id)
    review = Review.objects.select_for_update().get(pk=review.pk)
    review.post = post
    return review


@transaction.atomic
def review_confirm(*, moderator: User, review: Review) -> Review:
    """The post asks for medical advice: it keeps (or gets) a notice that no edit removes.

    Resolves the post's open reports. A post that was only reported gets an advice notice.
    """
    _check_moderator(moderator)
    review = _lock_review(review)
    post = review.post
    live = _live_notice(post)
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
            text=notice_text(review.severity),
            origin=Notice.Origin.MODERATOR,
            confirmed=True,
            created=now,
            created_by=moderator,
        )
    elif not live.confirmed:
        live.confirmed = True
        live.save(update_fields=["confirmed"])
    resolved = _resolve_reports(post=post, moderator=moderator, now=now)

    audit(
        actor=moderator,
        action="review.confirm",
        post=post,
        target=review,
        before=before,
        after={"review": snapshot(review), "notice": snapshot(live), "resolved_reports": resolved},
    )
    return review


@transaction.atomic
def review_dismiss(*, moderator: User, review: Review) -> Review:
    """The post does not need a notice: the detector's notice goes, the post leaves the queue
    and its open reports are resolved. A notice a moderator added by hand stays (remove it
    with :func:`notice_remove`). The post returns to the queue only if an edit flags it again.
    """
    _check_moderator(moderator)
    review = _lock_review(review)
    post = review.post
    live = _live_notice(post)
    before = {"review": snapshot(review), "notice": snapshot(live)}
    now = timezone.now()

    review.status = Review.Status.DISMISSED
    review.decided_by = moderator
    review.decided = now
    review.save(update_fields=["status", "decided_by", "decided"])
    if live is not None and live.origin == Notice.Origin.DETECTOR:
        live.removed = now
        live.removed_by = moderator
        live.save(update_fields=["removed", "removed_by"])
    resolved = _resolve_reports(post=post, moderator=moderator, now=now)

    audit(
        actor=moderator,
        action="review.dismiss",
        post=post,
        target=review,
        before=before,
        after={"review": snapshot(review), "notice": snapshot(live), "resolved_reports": resolved},
    )
    return review


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
    text = text or notice_text(severity)
    post = _lock_post(post.pk)
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
