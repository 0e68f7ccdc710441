"""Measure the detector on labelled JSON lines, or on the built-in held-out split."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from moderation import detector
from moderation.detector import corpus
from moderation.detector.evaluation import (
    Item,
    build_report,
    false_alarm_lines,
    format_breakdown,
    format_errors,
    format_origins,
    format_sources,
    format_summary,
    severity_lines,
)
from moderation.detector.features import names_body_part

from .detect_medical_advice import open_input, read_records


class Command(BaseCommand):
    help = (
        'Read JSON lines {"id", "text", "label"} (label 1 = asks for medical advice) and print '
        "precision, recall, F1, the confusion matrix and the errors. With --builtin, build the "
        "held-out split from the shared data and print the breakdown by kind of post."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="JSON lines file ('-' for standard input).")
        parser.add_argument(
            "--builtin",
            action="store_true",
            help="Evaluate on the held-out split built from --data-dir (never trained on).",
        )
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="Source posts for --builtin (default: $STOA_MEDDATA or ../shared/meddata).",
        )
        parser.add_argument(
            "--model",
            type=Path,
            default=None,
            help="Evaluate this artefact instead of the committed one (compare a retrain).",
        )
        parser.add_argument(
            "--max-errors",
            type=int,
            default=None,
            help="Print at most this many errors (default: all).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options.get("model"):
            return self._evaluate(options)
        try:
            detector.reset_model(detector.Model.load(options["model"]))
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot load {options['model']}: {exc}") from exc
        try:
            return self._evaluate(options)
        finally:
            # Later callers in this process get the committed model again.
            detector.reset_model()

    def _evaluate(self, options: dict[str, Any]) -> None:
        if options["builtin"]:
            if options.get("file"):
                raise CommandError("give either FILE or --builtin, not both")
            items = self._builtin(options["data_dir"])
        elif options.get("file") or options.get("stdin"):
            items = self._from_file(options.get("file"), options.get("stdin"))
        else:
            raise CommandError("give a FILE of labelled JSON lines, or --builtin")
        report = build_report(items)
        lines = format_summary(report)
        if any(it.kind for it in items):
            lines += ["", "by origin (AP: average precision of the scores):"]
            lines += format_origins(report)
            if report.by_source:
                lines += [
                    "",
                    f"{corpus.FORUM_ORIGIN}, by source (each held out by source or time):",
                ]
                lines += format_sources(report, corpus.FORUM_ORIGIN)
            lines += ["", "by kind of post:", *format_breakdown(report)]
            lines += false_alarm_lines(items, names_body_part)
            lines += severity_lines(items)
        lines += ["", *format_errors(report, options["max_errors"])]
        self.stdout.write("\n".join(lines))

    def _from_file(self, path: str | None, stdin: Any) -> list[Item]:
        stream = open_input(path, stdin)
        try:
            records = read_records(stream, {"id": (str, int), "text": (str,), "label": (int, bool)})
        except UnicodeDecodeError as exc:
            raise CommandError(f"input is not UTF-8 text: {exc.reason}") from exc
        finally:
            if stream is not stdin and path not in (None, "-"):
                stream.close()
        for n, r in enumerate(records, 1):
            if int(r["label"]) not in (0, 1):
                raise CommandError(f'record {n} (id {r["id"]}): "label" must be 0 or 1')
        dets = detector.detect_many(r["text"] for r in records)
        return [
            Item(str(r["id"]), r["text"], int(r["label"]), d.flagged, d.score, "", d.severity)
            for r, d in zip(records, dets, strict=True)
        ]

    def _builtin(self, data_dir: Path | None) -> list[Item]:
        data_dir = data_dir or corpus.default_data_dir()
        try:
            examples = [ex for ex in corpus.load_corpus(data_dir) if ex.split == "test"]
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        model = detector.get_model()
        t0 = time.perf_counter()
        dets = detector.detect_many(ex.text for ex in examples)
        elapsed = time.perf_counter() - t0
        self.stdout.write(
            f"held-out split from {data_dir}: {len(examples)} posts, model {model.model_version}, "
            f"{1000 * elapsed / max(1, len(examples)):.2f} ms/post on average\n"
        )
        return [
            Item(
                f"{ex.source}:{ex.key}",
                ex.text,
                ex.label,
                d.flagged,
                d.score,
                ex.kind,
                d.severity,
                ex.severity,
                corpus.origin(ex),
                ex.source,
            )
            for ex, d in zip(examples, dets, strict=True)
        ]
