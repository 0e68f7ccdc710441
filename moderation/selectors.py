"""Reads of the moderation app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Case,
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
from django.db.models.functions import Coalesce
from django.utils import timezone

from forum.models import Post, PostRevision
from moderation.models import AuditLog, Notice, Report, Review, Severity


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


def moderation_labelled_rows() -> Iterator[dict]:
    """The same examples as JSON-ready rows ``{"id", "text", "label"}`` (id: the post's id)."""
    seen: set[str] = set()
    for review, label in _decided_reviews():
        text = _text_at(review)
        if text in seen:
            continue
        seen.add(text)
        yield {"id": review.post_id, "text": text, "label": label}


def _decided_reviews() -> Iterator[tuple[Review, int]]:
    qs = (
        Review.objects.filter(status__in=[Review.Status.CONFIRMED, Review.Status.DISMISSED])
        .select_related("post")
        .order_by("decided", "pk")
    )
    for review in qs.iterator(chunk_size=500):
        yield review, 1 if review.status == Review.Status.CONFIRMED else 0
