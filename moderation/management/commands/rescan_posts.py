"""Re-run the (new) detector over existing posts without overriding moderators' decisions."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from forum.models import Post
from moderation import detector, services
from moderation.models import CategorySettings, Review


def parse_since(value: str) -> datetime.datetime:
    """YYYY-MM-DD or an ISO 8601 date-time; naive values are in the site's time zone."""
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is not None:
                moment = datetime.datetime.combine(day, datetime.time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(
            f"--since {value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]."
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Screen existing posts again with the current detector model, in batches. Posts a "
        "moderator confirmed or dismissed are left exactly as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            help="Only posts written or edited since this date (YYYY-MM-DD or ISO date-time).",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, since=None, batch_size=500, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        posts = Post.objects.exclude(review__status__in=services.DECIDED)
        if since is not None:
            moment = parse_since(since)
            posts = posts.filter(Q(created__gte=moment) | Q(edited__gte=moment))
        settings_by_category = {s.category_id: s for s in CategorySettings.objects.all()}
        total = posts.count()
        ids = posts.order_by("pk").values_list("pk", flat=True)
        flagged_before = Review.objects.filter(flagged=True).count()
        written = 0
        last_pk = 0
        with tqdm(total=total, unit="post", disable=options["verbosity"] == 0) as bar:
            while True:
                # Keyset pagination: stable while the rescan writes reviews.
                batch_ids = list(ids.filter(pk__gt=last_pk)[:batch_size])
                if not batch_ids:
                    break
                last_pk = batch_ids[-1]
                batch = list(Post.objects.filter(pk__in=batch_ids).select_related("thread"))
                detections = detector.detect_many(services.screening_text(p) for p in batch)
                written += services.post_rescreen_batch(
                    posts=batch, detections=detections, settings_by_category=settings_by_category
                )
                bar.update(len(batch))
        flagged_after = Review.objects.filter(flagged=True).count()
        self.stdout.write(
            f"Rescanned {written} of {total} posts; flagged posts {flagged_before} -> "
            f"{flagged_after}."
        )
