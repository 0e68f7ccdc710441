"""Check (and with --fix, repair) the denormalised counters against the rows they count:
posts per thread and per member, threads per category."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from forum import pagecache
from forum.models import Category, Post, Thread


def _visible_count(**outer):
    return Coalesce(
        Subquery(
            Post.objects.filter(state=Post.State.VISIBLE, **outer)
            .order_by()
            .values(next(iter(outer)))
            .annotate(n=Count("id"))
            .values("n")
        ),
        0,
    )


def thread_mismatches():
    return (
        Thread.objects.annotate(
            real_count=_visible_count(thread=OuterRef("pk")),
            real_last=Coalesce(Max("posts__number"), 0),
        )
        .filter(~Q(post_count=F("real_count")) | ~Q(last_number=F("real_last")))
        .values_list("pk", "post_count", "real_count", "last_number", "real_last")
    )


def user_mismatches():
    return (
        User.objects.annotate(real_count=_visible_count(author=OuterRef("pk")))
        .exclude(post_count=F("real_count"))
        .values_list("pk", "post_count", "real_count")
    )


def category_mismatches():
    counts = (
        Thread.objects.filter(category=OuterRef("pk"))
        .order_by()
        .values("category")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Category.objects.annotate(real_count=Coalesce(Subquery(counts), 0))
        .exclude(thread_count=F("real_count"))
        .values_list("pk", "thread_count", "real_count")
    )


class Command(BaseCommand):
    help = "Compare thread and member post counters with the posts; --fix repairs them."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Rewrite wrong counters.")

    def handle(self, *args, fix: bool, **options):
        threads = list(thread_mismatches())
        users = list(user_mismatches())
        categories = list(category_mismatches())
        for pk, stored, real, last, real_last in threads:
            self.stdout.write(
                f"thread {pk}: post_count {stored} != {real} or last {last} != {real_last}"
            )
        for pk, stored, real in users:
            self.stdout.write(f"user {pk}: post_count {stored} != {real}")
        for pk, stored, real in categories:
            self.stdout.write(f"category {pk}: thread_count {stored} != {real}")
        wrong = bool(threads or users or categories)
        if fix and wrong:
            with transaction.atomic():
                for pk, _, real, _, real_last in threads:
                    Thread.objects.filter(pk=pk).update(post_count=real, last_number=real_last)
                for pk, _, real in users:
                    User.objects.filter(pk=pk).update(post_count=real)
                for pk, _, real in categories:
                    Category.objects.filter(pk=pk).update(thread_count=real)
                pagecache.content_changed()
        verdict = "fixed" if fix and wrong else "found"
        self.stdout.write(
            f"{len(threads)} thread and {len(users)} member counters wrong ({verdict})."
        )
        if categories:
            self.stdout.write(f"{len(categories)} category counters wrong ({verdict}).")
        if wrong and not fix:
            raise SystemExit(1)
