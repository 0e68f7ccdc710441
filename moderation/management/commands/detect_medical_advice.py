"""Screen JSON lines {"id", "text"} and write {"id", "flagged", "score", "severity"} lines."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from moderation import detector

BATCH = 1000


def read_records(stream: TextIO, required: dict[str, tuple[type, ...]]) -> list[dict[str, Any]]:
    """Parse and validate every line first, so bad input fails before any output is written."""
    records: list[dict[str, Any]] = []
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CommandError(f"line {number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise CommandError(f"line {number}: expected a JSON object")
        for key, types in required.items():
            if key not in record:
                raise CommandError(f'line {number}: missing "{key}"')
            value = record[key]
            # bool is an int subclass; it is only acceptable where bool is asked for.
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                names = " or ".join(t.__name__ for t in types)
                raise CommandError(f'line {number}: "{key}" must be {names}')
        records.append(record)
    return records


def open_input(path: str | None, stdin: TextIO | None) -> TextIO:
    if path and path != "-":
        try:
            return open(path, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    return stdin or sys.stdin


class Command(BaseCommand):
    help = (
        'Read JSON lines {"id", "text"} from FILE (or standard input) and write one line '
        '{"id", "flagged", "score", "severity"} per input, in the same order.'
    )
    # call_command(..., stdin=StringIO(...)) in tests and scripts.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="JSON lines file; standard input if omitted.")

    def handle(self, *args: Any, **options: Any) -> None:
        stream = open_input(options.get("file"), options.get("stdin"))
        try:
            try:
                records = read_records(stream, {"id": (str, int), "text": (str,)})
            except UnicodeDecodeError as exc:
                raise CommandError(f"input is not UTF-8 text: {exc.reason}") from exc
        finally:
            if stream is not sys.stdin and stream is not options.get("stdin"):
                stream.close()
        for start in range(0, len(records), BATCH):
            batch = records[start : start + BATCH]
            for record, det in zip(
                batch, detector.detect_many(r["text"] for r in batch), strict=True
            ):
                out = {
                    "id": record["id"],
                    "flagged": det.flagged,
                    "score": det.score,
                    "severity": det.severity,
                }
                self.stdout.write(json.dumps(out, ensure_ascii=False))
