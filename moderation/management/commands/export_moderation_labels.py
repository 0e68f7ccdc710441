"""Export moderators' decisions as labelled data for the detector (JSON lines)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from moderation.selectors import moderation_labelled_rows


class Command(BaseCommand):
    help = (
        'Write confirmed (label 1) and dismissed (label 0) posts as JSON lines {"id", "text", '
        '"label"}, the format evaluate_detector reads. Standard output when FILE is omitted.'
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Output file (default: standard output).")

    def handle(self, *args, file=None, **options):
        try:
            out = open(file, "w", encoding="utf-8") if file else self.stdout  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot write {file}: {exc.strerror}") from exc
        counts = {0: 0, 1: 0}
        try:
            for row in moderation_labelled_rows():
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                counts[row["label"]] += 1
        finally:
            if file:
                out.close()
        self.stderr.write(
            f"Exported {counts[1] + counts[0]} examples: {counts[1]} confirmed, "
            f"{counts[0]} dismissed."
        )
