"""Reads of the moderation app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import MODERATORS_GROUP, User
from forum.models import Post, PostRevision
from moderation.models import AuditLog, Notice, Report, Review, Severity

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class DetectorSaid(TypedDict):
    """What decided_reviews annotates a review with."""

    detector_severity: str


def live_notices_prefetch() -> Prefetch:
    """The notices shown with a post (not removed), for forum.selectors.post_queryset."""
    return Prefetch(
        "notices", queryset=Notice.objects.filter(removed__isnull=True), to_attr="live_notices"
    )


def live_notices(post: Post) -> list[Notice]:
    """A post's shown notices: the prefetched ones, or one query for a post read without."""
    notices = getattr(post, "live_notices", None)
    if notices is None:
        notices = list(post.notices.filter(removed__isnull=True))
    return notices


def notice_severity(posts: Q) -> Subquery:
    """The highest severity of the live notices on the posts `posts` selects (urgent over
    advice), for forum.hooks.notice_severity: one correlated subquery, no query per row."""
    rank = Case(When(severity=Severity.URGENT, then=Value(2)), default=Value(1))
    strongest = (
        Notice.objects.filter(posts, removed__isnull=True)
        .annotate(rank=rank)
        .order_by("-rank")
        .values("severity")[:1]
    )
    return Subquery(strongest, output_field=CharField())


def _open_reports() -> QuerySet[Report]:
    # Down-weighted reports (from repeat false reporters) do not bring a post to the queue.
    return Report.objects.filter(post=OuterRef("post"), resolved__isnull=True, down_weighted=False)


def with_false_reports(reports: QuerySet[Report]) -> QuerySet[Report]:
    """Reports annotated with ``reporter_false_reports``: how many of the reporter's reports
    moderators resolved as false in the last FALSE_REPORT_DAYS (one subquery, any page size)."""
    since = timezone.now() - timedelta(days=settings.STOA["FALSE_REPORT_DAYS"])
    false = (
        Report.objects.filter(
            reporter=OuterRef("reporter"), outcome=Report.Outcome.FALSE, resolved__gte=since
        )
        .order_by()
        .values("reporter")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return reports.annotate(
        reporter_false_reports=Coalesce(Subquery(false, output_field=IntegerField()), 0)
    )


def review_list(*, join_posts: bool = True) -> QuerySet[Review]:
    """Every review with what the queue shows: post, thread, category, author, the decider, the
    number of open reports and how long the post has waited, in a fixed number of queries
    whatever the page size. ``join_posts=False`` leaves the post out of the join, for a caller
    that prefetches posts its own way (the API's serializers).

    Annotations: ``open_reports`` (count), ``has_open_reports``, ``waiting_since`` (when a
    pending post entered the queue, or a decided post's oldest open report; None when nothing
    waits) and ``priority`` (0 for urgent posts, 1 otherwise).
    """
    grouped = _open_reports().order_by().values("post")
    open_count = grouped.annotate(n=Count("pk")).values("n")[:1]
    oldest_open = grouped.annotate(first=Min("created")).values("first")[:1]
    related = ("post__thread__category", "post__author") if join_posts else ()
    return Review.objects.select_related(*related, "decided_by").annotate(
        open_reports=Coalesce(Subquery(open_count, output_field=IntegerField()), 0),
        has_open_reports=Exists(_open_reports()),
        waiting_since=Case(
            When(status=Review.Status.PENDING, then=Coalesce("queued", "screened")),
            default=Subquery(oldest_open, output_field=DateTimeField()),
            output_field=DateTimeField(),
        ),
        priority=Case(
            When(severity=Severity.URGENT, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
    )


def in_queue(reviews: QuerySet[Review]) -> QuerySet[Review]:
    """The reviews moderators have to look at: posts pending review (flagged or reported) and
    decided posts that members reported again since. The admin's queue and the API's queue
    both filter with this, so they always list the same posts."""
    return reviews.filter(Q(status=Review.Status.PENDING) | Q(Exists(_open_reports())))


# Urgent first, then whatever has waited longest: a moderator works from the top.
QUEUE_ORDER = ("priority", F("waiting_since").asc(nulls_last=True), "pk")


def review_queue(*, join_posts: bool = True) -> QuerySet[Review]:
    """The queue with what it shows (:func:`review_list`): urgent first, then oldest first.
    The admin and the API both list this, so a moderator sees the same order on both."""
    return in_queue(review_list(join_posts=join_posts)).order_by(*QUEUE_ORDER)


def queue_counts() -> dict[str, int]:
    """``{"urgent": n, "pending": m}``: what waits in the queue, for the admin index."""
    queue = review_queue().order_by()
    return {
        "urgent": queue.filter(severity=Severity.URGENT).count(),
        "pending": queue.count(),
    }


def thread_context(*, post: Post, around: int = 2) -> list[Post]:
    """The posts just before and after ``post`` in its thread, the post itself included, in
    order: a reply read alone can look like a question it answers."""
    return list(
        Post.objects.filter(
            thread_id=post.thread_id,
            number__gte=post.number - around,
            number__lte=post.number + around,
        )
        .select_related("author", "review")
        .order_by("number")
    )


def member_history(*, member_id: int, limit: int = 10) -> dict:
    """A member's recent moderation record: counts of their posts by decision and the latest
    moderator actions on their posts (newest first)."""
    counts = dict(
        Review.objects.filter(post__author_id=member_id)
        .exclude(status=Review.Status.CLEAR)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    hidden = Post.objects.filter(author_id=member_id, state=Post.State.HIDDEN).count()
    reports = dict(
        Report.objects.filter(reporter_id=member_id)
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("pk"))
    )
    actions = list(
        AuditLog.objects.filter(post__author_id=member_id, actor__isnull=False)
        .exclude(action="report.create")
        .select_related("actor", "post__thread")
        .order_by("-created", "-pk")[:limit]
    )
    return {
        "confirmed": counts.get(Review.Status.CONFIRMED, 0),
        "dismissed": counts.get(Review.Status.DISMISSED, 0),
        "pending": counts.get(Review.Status.PENDING, 0),
        "hidden": hidden,
        # As a reporter: how many reports they made, and how many moderators found false.
        "reports": sum(reports.values()),
        "false_reports": reports.get(Report.Outcome.FALSE, 0),
        "actions": actions,
    }


def waited(review: Review, now: datetime) -> float | None:
    """Seconds the review has waited in the queue (None when it is not waiting)."""
    since = getattr(review, "waiting_since", None)
    return None if since is None else max(0.0, (now - since).total_seconds())


def _text_at(review: Review) -> str:
    """The post's text when the moderator decided: an edit made since must not relabel it."""
    post = review.post
    if post.edited is None or review.decided is None or post.edited <= review.decided:
        return post.source
    # Revision n holds a replaced version and `created` is when that version was written.
    revision = (
        PostRevision.objects.filter(post=post, created__lte=review.decided)
        .order_by("-number")
        .first()
    )
    return revision.source if revision is not None else post.source


def moderation_labelled_examples() -> Iterator[tuple[str, int]]:
    """Moderators' decisions as training data: (text, 1) for confirmed, (text, 0) for
    dismissed. The text is the post's text at the time of the decision; repeated texts are
    yielded once (the first decision met, oldest first)."""
    for row in moderation_labelled_rows():
        yield row["text"], row["label"]


def moderation_labelled_rows(
    *, since: datetime | None = None, with_detector: bool = False
) -> Iterator[dict]:
    """The same examples as JSON-ready rows ``{"id", "text", "label"}`` (id: the post's id),
    for decisions made ``since`` (all by default). ``with_detector`` adds what the detector
    said: ``flagged``, ``score``, ``detector_severity`` and the decision's time ``decided``."""
    seen: set[str] = set()
    for review, label in _decided_reviews(since=since):
        text = _text_at(review)
        if text in seen:
            continue
        seen.add(text)
        row = {"id": review.post_id, "text": text, "label": label}
        if with_detector:
            row |= {
                "flagged": review.flagged,
                "score": review.score,
                "detector_severity": review.detector_severity,
                "decided": review.decided.isoformat() if review.decided else None,
            }
        yield row


def decided_reviews(*, since: datetime | None = None, until: datetime | None = None):
    """Reviews a moderator confirmed or dismissed (in ``[since, until)`` when given), with
    ``detector_severity``: the severity the detector gave (its latest screening's, from the
    audit log), whatever a moderator set since."""
    detector_said = (
        AuditLog.objects.filter(post=OuterRef("post"), actor__isnull=True)
        .order_by("-created", "-pk")
        .annotate(said=KT("after__review__severity"))
        .values("said")[:1]
    )
    qs = Review.objects.filter(status__in=[Review.Status.CONFIRMED, Review.Status.DISMISSED])
    if since is not None:
        qs = qs.filter(decided__gte=since)
    if until is not None:
        qs = qs.filter(decided__lt=until)
    return qs.annotate(
        detector_severity=Coalesce(
            Subquery(detector_said, output_field=CharField()),
            Case(When(flagged=True, then=F("severity")), default=Value(Severity.NONE)),
            output_field=CharField(),
        )
    )


def detector_agreement(*, since: datetime | None = None, until: datetime | None = None) -> dict:
    """The detector judged by moderators over a period: for each severity the detector gave,
    how many of those posts moderators confirmed and dismissed, the detector's precision
    (confirmed / decided among flagged posts) and how many confirmed ones moderators
    regraded. ``none`` is posts the detector did not flag (reported or unread): the ones
    confirmed there are asks it missed. Two queries whatever the period."""
    counts = (
        decided_reviews(since=since, until=until)
        .order_by()
        .values("detector_severity", "status", "flagged")
        .annotate(n=Count("pk"))
    )
    regraded = dict(
        decided_reviews(since=since, until=until)
        .filter(status=Review.Status.CONFIRMED)
        .exclude(severity=F("detector_severity"))
        .order_by()
        .values_list("detector_severity")
        .annotate(n=Count("pk"))
    )
    rows: dict[str, dict[str, Any]] = {
        level: {"severity": level, "confirmed": 0, "dismissed": 0}
        for level in (Severity.URGENT, Severity.ADVICE, Severity.NONE)
    }
    for c in counts:
        level = c["detector_severity"] if c["flagged"] else Severity.NONE
        row = rows.setdefault(level, {"severity": level, "confirmed": 0, "dismissed": 0})
        row[c["status"]] += c["n"]
    flagged: dict[str, Any] = {"severity": "all flagged", "confirmed": 0, "dismissed": 0}
    for level, row in rows.items():
        row["decided"] = row["confirmed"] + row["dismissed"]
        row["regraded"] = regraded.get(level, 0) if level != Severity.NONE else 0
        if level != Severity.NONE:
            flagged["confirmed"] += row["confirmed"]
            flagged["dismissed"] += row["dismissed"]
    flagged["decided"] = flagged["confirmed"] + flagged["dismissed"]
    flagged["regraded"] = sum(rows[s]["regraded"] for s in (Severity.URGENT, Severity.ADVICE))
    out = [rows[Severity.URGENT], rows[Severity.ADVICE], flagged, rows[Severity.NONE]]
    for row in out:
        is_flagged = row["severity"] != Severity.NONE
        row["precision"] = (
            row["confirmed"] / row["decided"] if is_flagged and row["decided"] else None
        )
    return {"rows": out, "since": since, "until": until}


def _decided_reviews(
    *, since: datetime | None = None
) -> Iterator[tuple[WithAnnotations[Review, DetectorSaid], int]]:
    qs = decided_reviews(since=since).select_related("post").order_by("decided", "pk")
    for review in qs.iterator(chunk_size=500):
        yield review, 1 if review.status == Review.Status.CONFIRMED else 0


def moderators() -> QuerySet[User]:
    """Active members who may moderate: the Moderators group and administrators (the rule of
    forum.policy.is_moderator, as a query)."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=MODERATORS_GROUP))
        .distinct()
    )


def on_duty_moderators(*, at: datetime | None = None) -> QuerySet[User]:
    """Who is told of an urgent post at ``at`` (now by default): the moderators whose rota
    shift covers it, or every moderator when nobody is on duty, so an alert never goes
    unheard. A shift of someone no longer a moderator does not count."""
    at = at or timezone.now()
    everyone = moderators()
    on_duty = everyone.filter(duty_shifts__starts__lte=at, duty_shifts__ends__gt=at)
    return on_duty if on_duty.exists() else everyone
