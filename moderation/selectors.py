"""Reads of the moderation app."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from forum.models import PostRevision
from moderation.models import Report, Review


def _open_reports() -> QuerySet[Report]:
    return Report.objects.filter(post=OuterRef("post"), resolved__isnull=True)


def review_list() -> QuerySet[Review]:
    """Every review with what the queue shows: post, thread, category, author, the decider and
    the number of open reports, in a fixed number of queries whatever the page size."""
    open_count = _open_reports().order_by().values("post").annotate(n=Count("pk")).values("n")[:1]
    return Review.objects.select_related(
        "post__thread__category", "post__author", "decided_by"
    ).annotate(
        open_reports=Coalesce(Subquery(open_count, output_field=IntegerField()), 0),
        has_open_reports=Exists(_open_reports()),
    )


def in_queue(reviews: QuerySet[Review]) -> QuerySet[Review]:
    """The reviews moderators have to look at: posts pending review (flagged or reported) and
    decided posts that members reported again since. The admin's queue and the API's queue
    both filter with this, so they always list the same posts."""
    return reviews.filter(Q(status=Review.Status.PENDING) | Q(Exists(_open_reports())))


def review_queue() -> QuerySet[Review]:
    """The queue with what it shows (:func:`review_list`), newest first."""
    return in_queue(review_list()).order_by("-screened", "-pk")


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
