"""Reads of the forum: querysets that already join what their pages show."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from forum import permissions
from forum.models import Category, Post, Thread
from forum.permissions import AnyUser


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
    """Posts the user may read: everyone sees visible posts, moderators see all."""
    qs = post_queryset()
    if permissions.is_moderator(user):
        return qs
    return qs.filter(state=Post.State.VISIBLE)


def thread_posts(*, thread: Thread, user: AnyUser) -> QuerySet[Post]:
    """Every post of a thread in order. Posts the user may not read keep their place (the
    page shows a placeholder) but not their text: templates check `can_view_post`."""
    return post_queryset().filter(thread=thread).order_by("number")


def search_posts(*, user: AnyUser, query: str) -> QuerySet[Post]:
    terms = query.split()[:8]
    qs = visible_posts(user=user)
    cond = Q()
    for term in terms:
        cond &= Q(source__icontains=term) | Q(thread__title__icontains=term)
    return qs.filter(cond).order_by("-created", "-id")
