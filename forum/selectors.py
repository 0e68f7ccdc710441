"""Reads of the forum: querysets that already join what their pages show."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from forum import policy
from forum.models import Category, Post, Thread
from forum.policy import AnyUser


def category_list() -> QuerySet[Category]:
    return Category.objects.annotate(thread_total=Count("threads"))


def thread_list(*, category: Category | None = None) -> QuerySet[Thread]:
    qs = Thread.objects.select_related("category", "author")
    if category is not None:
        qs = qs.filter(category=category)
    return qs


def post_queryset() -> QuerySet[Post]:
    from moderation.models import Notice

    return Post.objects.select_related("author", "thread").prefetch_related(
        Prefetch(
            "notices",
            queryset=Notice.objects.filter(removed__isnull=True),
            to_attr="live_notices",
        ),
        "quotes__source__author",
        "quotes__source__thread",
    )


def visible_posts(*, user: AnyUser) -> QuerySet[Post]:
    """Posts the user may read (forum.policy.can_view_post)."""
    return post_queryset().filter(policy.readable_posts_q(user))


def thread_posts(*, thread: Thread, user: AnyUser) -> QuerySet[Post]:
    """Every post of a thread in order. Posts the user may not read keep their place as
    placeholders (number and state only): pages and serializers ask forum.policy."""
    return post_queryset().filter(thread=thread).order_by("number")


def posts_since(posts: QuerySet[Post], *, user: AnyUser, since) -> QuerySet[Post]:
    """The posts of a thread listing that come after `since`, for `user`.

    Posts the user may read are dated by their time. A placeholder must not be: filtering it
    by its own time would date a hidden post by bisection. It is placed instead: it is listed
    when it comes after the last readable post written by `since`, so whether it is listed
    depends only on the readable posts' times, which the reader sees anyway.
    """
    readable = policy.readable_posts_q(user)
    if readable == Q():
        return posts.filter(created__gt=since)
    last_seen = (
        Post.objects.filter(readable, thread=OuterRef("thread"), created__lte=since)
        .order_by("-number")
        .values("number")[:1]
    )
    return posts.filter(
        Q(readable, created__gt=since)
        | (~readable & Q(number__gt=Coalesce(Subquery(last_seen), 0)))
    )


def search_posts(*, user: AnyUser, query: str) -> QuerySet[Post]:
    """Posts the user may read whose text or thread title holds every word of the query."""
    terms = query.split()[:8]
    qs = visible_posts(user=user)
    cond = Q()
    for term in terms:
        cond &= Q(source__icontains=term) | Q(thread__title__icontains=term)
    return qs.filter(cond).order_by("-created", "-id")
