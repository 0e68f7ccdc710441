"""Import threads from phpBB printable views saved as text files."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from forum.importers import ImportFormatError, category_for_import, parse_printable, thread_import


class Command(BaseCommand):
    help = (
        "Import phpBB printable thread views (text) into a category, created when missing. "
        "Importing the same thread again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--category", required=True, help="Slug of the target category.")

    def handle(self, *args, files: list[Path], category: str, **options):
        # Parse everything first: a malformed file stops the import before anything is written.
        parsed = []
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path}: cannot read: {exc}") from None
            try:
                parsed.append((path, parse_printable(text)))
            except ImportFormatError as exc:
                raise CommandError(f"{path}: {exc}") from None

        created = skipped = 0
        with transaction.atomic():
            target = category_for_import(category)
            for path, thread_data in parsed:
                try:
                    thread = thread_import(parsed=thread_data, category=target)
                except ValidationError as exc:
                    raise CommandError(f"{path}: {'; '.join(exc.messages)}") from None
                if thread is None:
                    skipped += 1
                    self.stdout.write(f"{path}: already imported, unchanged")
                else:
                    created += 1
                    self.stdout.write(
                        f"{path}: imported “{thread.title}” ({len(thread_data.posts)} posts) "
                        f"as thread {thread.pk}"
                    )
        self.stdout.write(
            self.style.SUCCESS(f"{created} thread(s) imported, {skipped} already there.")
        )
