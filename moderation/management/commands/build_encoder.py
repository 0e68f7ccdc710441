"""Derive the committed sentence encoder from all-MiniLM-L6-v2 (needs the encoder-build extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from moderation.detector import corpus
from moderation.detector.encoder import ENCODER_DIR, file_digest


class Command(BaseCommand):
    help = (
        "Rebuild moderation/detector/model/encoder/ from the all-MiniLM-L6-v2 weights package: "
        "four layers, the training posts' vocabulary, fine-tuned on them, 4-bit weights. "
        "Retrain the detector after."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data-dir", type=Path, default=None)
        parser.add_argument(
            "--source",
            type=Path,
            default=None,
            help="Folder with the original model (default: the installed weights package).",
        )
        parser.add_argument("--output", type=Path, default=ENCODER_DIR)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from moderation.detector import encoder_build
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise CommandError(f"{exc}: pip install -e '.[encoder-build]'") from exc
        try:
            examples = corpus.load_corpus(options["data_dir"])
            train = [ex for ex in examples if ex.split == "train"]
            out = encoder_build.build(
                train, source=options["source"], output=options["output"], log=self.stdout.write
            )
        except (FileNotFoundError, ImportError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"wrote {out}, digest {file_digest(out)[:12]}"))
