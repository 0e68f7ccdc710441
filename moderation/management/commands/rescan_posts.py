"""Re-run the (new) detector over existing posts without overriding moderators' decisions."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from moderation import rescans


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
        parser.add_argument(
            "--background",
            action="store_true",
            help="Hand the rescan to the task workers and return at once; follow its progress "
            "in the admin (Moderation > Rescan jobs).",
        )

    def handle(self, *args, since=None, batch_size=500, background=False, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        moment = parse_since(since) if since is not None else None
        if background:
            job = rescans.job_start(since=moment, batch_size=batch_size)
            self.stdout.write(f"Rescan job {job.pk} queued: {job.total} posts.")
            return
        # The same resumable steps the workers run, one after the other in this process; the
        # job shows in the admin like any other.
        job = rescans.job_create(since=moment, batch_size=batch_size)
        with tqdm(total=job.total, unit="post", disable=options["verbosity"] == 0) as bar:
            more, done = True, 0
            while more:
                more = rescans.job_step(job.pk)
                job.refresh_from_db()
                bar.update(job.done - done)
                done = job.done
        self.stdout.write(
            f"Rescanned {job.written} of {job.total} posts; flagged posts {job.flagged_before} "
            f"-> {job.flagged_after}."
        )
