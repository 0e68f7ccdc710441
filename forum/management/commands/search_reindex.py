"""Rebuild the search index from the posts: after a bulk import (seed_demo --skip-index, COPY)
or a change of what is indexed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from forum import search
from forum.models import Post


class Command(BaseCommand):
    help = "Rebuild the full-text search index of every visible post, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size: int, verbosity: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = Post.objects.count()
        with tqdm(total=total, unit="post", disable=verbosity == 0, file=self.stderr._out) as bar:
            written = search.rebuild(batch_size=batch_size, progress=bar.update)
        if verbosity:
            self.stdout.write(f"Indexed {written:,} visible posts of {total:,}.")
