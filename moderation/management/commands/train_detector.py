"""Rebuild the medical-advice detector from ../shared/meddata and the hard cases, and, if
asked, the moderators' decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from moderation import detector
from moderation.detector import corpus

try:
    from moderation.detector import training
except ImportError as exc:  # pragma: no cover - a production install without the extra
    raise CommandError(
        f"training needs the `train` extra ({exc.name} is missing): pip install -e '.[train]'"
    ) from exc
from moderation.detector.model import DEFAULT_ARTEFACT
from moderation.selectors import moderation_labelled_examples


def moderation_examples() -> list[corpus.Example]:
    """Moderators' decisions, as hand-reviewed training examples."""
    return [
        corpus.Example(
            text=text,
            label=label,
            source="moderation",
            key=str(n),
            kind="moderator decision",
            split="train",
            reviewed=True,
        )
        for n, (text, label) in enumerate(moderation_labelled_examples(), 1)
    ]


class Command(BaseCommand):
    help = (
        "Train the medical-advice detector on the training split (fixed seeds, reproducible) "
        "and write the JSON artefact that is committed with the code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="Folder with the source posts (default: $STOA_MEDDATA or ../shared/meddata).",
        )
        parser.add_argument(
            "--include-moderation",
            action="store_true",
            help="Also learn from moderators' decisions in this database "
            "(confirmed posts as asks, dismissed ones as not).",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=DEFAULT_ARTEFACT,
            help=f"Where to write the model (default: {DEFAULT_ARTEFACT}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = options["data_dir"] or corpus.default_data_dir()
        try:
            examples = corpus.load_corpus(data_dir)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        train = [ex for ex in examples if ex.split == "train"]
        if options["include_moderation"]:
            decided = moderation_examples()
            self.stdout.write(f"adding {len(decided)} moderator decisions")
            train.extend(decided)
        self.stdout.write(f"training on {len(train)} of {len(examples)} examples from {data_dir}")
        try:
            art = training.train(train, log=self.stdout.write)
        except ValueError as exc:  # e.g. cross-fit scores left from another encoder build
            raise CommandError(str(exc)) from exc
        path = training.write(art, options["output"])
        detector.reset_model()
        size_kb = path.stat().st_size / 1024
        self.stdout.write(
            self.style.SUCCESS(f"wrote {path} ({size_kb:.0f} KiB), version {art['model_version']}")
        )
