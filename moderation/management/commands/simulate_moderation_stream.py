"""Play a stream of moderator decisions into this database, for measuring the learning loop.

The posts are real training-split posts of the shared data whose label was set by hand by
../shared/LABELING.md (``Example.reviewed``), never held-out ones. The committed model scores
each; the stream is what moderators would decide in a working week: the flagged posts they
confirm, the false alarms they dismiss and the missed asks members report and they confirm.
Every decision is the guideline's label, not the model's. Half of the model's errors (each kind,
seeded) go into the stream; the other half, and every other hand-labelled training post, stay
out of it and are written to ``--probe`` (JSON lines for ``evaluate_detector``), so a retrain
with ``train_detector --include-moderation`` can be measured on the same kind of error in posts
it was not corrected on. README "Learning loop" runs it end to end
(tests/benchmarks/learning_loop.sh).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import MODERATORS_GROUP, User
from forum import content
from forum.models import Category
from forum.services import post_create_imported, thread_create_imported
from moderation import detector, services
from moderation.detector import corpus
from moderation.models import Report, Review

SEED = 19
STREAM_CATEGORY = "moderation-stream"


def candidate_posts(data_dir: Path) -> list[corpus.Example]:
    """Hand-labelled real posts of the training split (not the hand-written hard cases), one
    per text, that a member could post unchanged."""
    limit = settings.STOA["POST_MAX_LENGTH"]
    seen: set[str] = set()
    out = []
    for ex in corpus.load_corpus(data_dir):
        if ex.split != "train" or not ex.reviewed or ex.source == "hard_cases":
            continue
        text = ex.text
        if text in seen or len(text) > limit or "\r" in text or "\x00" in text or not text.strip():
            continue
        seen.add(text)
        out.append(ex)
    return out


def draw_stream(
    examples: list[corpus.Example], flagged: list[bool], *, size: int, seed: int
) -> tuple[list[int], dict[str, int]]:
    """Indexes of the stream's posts: half of each kind of error (false alarms, misses), the
    rest flagged asks moderators confirm. Seeded, so the same data gives the same stream."""
    rng = random.Random(seed)
    false_alarms = [i for i, ex in enumerate(examples) if flagged[i] and ex.label == 0]
    misses = [i for i, ex in enumerate(examples) if not flagged[i] and ex.label == 1]
    hits = [i for i, ex in enumerate(examples) if flagged[i] and ex.label == 1]
    for group in (false_alarms, misses, hits):
        rng.shuffle(group)
    chosen = false_alarms[: len(false_alarms) // 2] + misses[: len(misses) // 2]
    if len(chosen) > size:
        raise CommandError(f"{len(chosen)} corrections do not fit a stream of {size}")
    chosen += hits[: size - len(chosen)]
    rng.shuffle(chosen)
    counts = {
        "false alarms dismissed": len(false_alarms) // 2,
        "missed asks reported and confirmed": len(misses) // 2,
        "flagged asks confirmed": size - len(false_alarms) // 2 - len(misses) // 2,
    }
    return chosen, counts


def _user(username: str, *, moderator: bool = False) -> User:
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if moderator:
        from django.contrib.auth.models import Group

        user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return user


class Command(BaseCommand):
    help = (
        "Post real hand-labelled training posts and decide them as moderators would (by the "
        "guideline's label), then write the posts kept out of the stream to --probe."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, default=500, help="Decisions (default: 500).")
        parser.add_argument("--seed", type=int, default=SEED, help=f"Default: {SEED}.")
        parser.add_argument(
            "--probe",
            type=Path,
            required=True,
            help="Where to write the hand-labelled training posts kept out of the stream.",
        )
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="Source posts (default: $STOA_MEDDATA or ../shared/meddata).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Review.objects.filter(
            status__in=[Review.Status.CONFIRMED, Review.Status.DISMISSED]
        ).exists():
            raise CommandError(
                "this database holds moderators' decisions already: use an empty one, so "
                "train_detector --include-moderation learns from the stream alone"
            )
        data_dir = options["data_dir"] or corpus.default_data_dir()
        try:
            examples = candidate_posts(data_dir)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        model = detector.get_model()
        self.stdout.write(
            f"scoring {len(examples)} hand-labelled training posts with {model.model_version}"
        )
        flagged = [d.flagged for d in detector.detect_many(ex.text for ex in examples)]
        chosen, counts = draw_stream(examples, flagged, size=options["size"], seed=options["seed"])
        self._play([examples[i] for i in chosen])
        in_stream = set(chosen)
        with open(options["probe"], "w", encoding="utf-8") as out:
            for i, ex in enumerate(examples):
                if i not in in_stream:
                    row = {"id": f"{ex.source}:{ex.key}", "text": ex.text, "label": ex.label}
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
        for what, n in counts.items():
            self.stdout.write(f"{n:5d} {what}")
        probe = [i for i in range(len(examples)) if i not in in_stream]
        fa = sum(1 for i in probe if flagged[i] and examples[i].label == 0)
        miss = sum(1 for i in probe if not flagged[i] and examples[i].label == 1)
        self.stdout.write(
            self.style.SUCCESS(
                f"wrote {len(probe)} posts kept out of the stream to {options['probe']} "
                f"({fa} false alarms and {miss} misses of the committed model among them)"
            )
        )

    def _play(self, stream: list[corpus.Example]) -> None:
        """One thread of imported posts (numbers from 2, so each post is screened on its own
        text, exactly as exported), then each decision through the moderation services."""
        moderator = _user("stream-moderator", moderator=True)
        reporter = _user("stream-reporter")
        category, _ = Category.objects.get_or_create(
            slug=STREAM_CATEGORY, defaults={"name": "Moderation stream"}
        )
        from django.utils import timezone

        with transaction.atomic(), content.replaying_history():
            thread = thread_create_imported(
                category=category,
                title="Simulated moderation stream",
                author=reporter,
                created=timezone.now(),
            )
            post_create_imported(
                thread=thread,
                author=reporter,
                body="Posts to moderate follow.",
                created=timezone.now(),
            )
            posts = []
            for n, ex in enumerate(stream):
                author = _user(f"stream-member-{n % 50}")
                posts.append(
                    (
                        ex,
                        post_create_imported(
                            thread=thread, author=author, body=ex.text, created=timezone.now()
                        ),
                    )
                )
        for ex, post in posts:
            review = Review.objects.get(post=post)
            if ex.label == 1:
                if not review.flagged:
                    services.report_create(
                        reporter=reporter, post=post, reason=Report.Reason.MEDICAL
                    )
                    review.refresh_from_db()
                services.review_confirm(moderator=moderator, review=review)
            else:
                services.review_dismiss(moderator=moderator, review=review)
