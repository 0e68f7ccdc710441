"""Rebuild the search index from the posts: after a bulk import (seed_demo --skip-index, COPY)
or a change of what is indexed. `--background` hands it to the workers instead (a job that
administrators follow, pause and resume in the admin)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from forum import reindex, search
from forum.models import Post


class Command(BaseCommand):
    help = "Rebuild the full-text search index of every visible post, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--background", action="store_true", help="Run on the Celery workers, in batches."
        )

    def handle(self, *args, batch_size: int, background: bool, verbosity: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if background:
            job = reindex.job_start(batch_size=batch_size)
            self.stdout.write(
                f"Re-index job {job.pk} queued for the workers ({job.total:,} posts); follow it "
                "in the admin under Search re-indexes."
            )
            return
        total = Post.objects.count()
        with tqdm(total=total, unit="post", disable=verbosity == 0, file=self.stderr._out) as bar:
            written = search.rebuild(batch_size=batch_size, progress=bar.update)
        if verbosity:
            self.stdout.write(f"Indexed {written:,} visible posts of {total:,}.")
