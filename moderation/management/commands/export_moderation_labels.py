"""Export moderators' decisions as labelled data for the detector (JSON lines)."""

from __future__ import annotations

import json
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from moderation.selectors import moderation_labelled_rows


class Command(BaseCommand):
    help = (
        'Write confirmed (label 1) and dismissed (label 0) posts as JSON lines {"id", "text", '
        '"label"}, the format evaluate_detector reads. Standard output when FILE is omitted.'
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Output file (default: standard output).")
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            help="Only decisions made on or after this day (YYYY-MM-DD).",
        )
        parser.add_argument(
            "--with-detector",
            action="store_true",
            help="Add what the detector said: flagged, score, detector_severity, decided.",
        )

    def handle(self, *args, file=None, since=None, with_detector=False, **options):
        start = (
            datetime.combine(since, time.min, tzinfo=timezone.get_current_timezone())
            if since
            else None
        )
        try:
            out = open(file, "w", encoding="utf-8") if file else self.stdout  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot write {file}: {exc.strerror}") from exc
        counts = {0: 0, 1: 0}
        try:
            for row in moderation_labelled_rows(since=start, with_detector=with_detector):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                counts[row["label"]] += 1
        finally:
            if file:
                out.close()
        self.stderr.write(
            f"Exported {counts[1] + counts[0]} examples: {counts[1]} confirmed, "
            f"{counts[0]} dismissed."
        )
