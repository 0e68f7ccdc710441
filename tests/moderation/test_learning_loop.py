"""simulate_moderation_stream: the moderators' decisions that the learning loop trains on."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from moderation import selectors
from moderation.detector.corpus import Example
from moderation.management.commands import simulate_moderation_stream as stream
from moderation.models import Report, Review


def _example(n: int, text: str, label: int) -> Example:
    return Example(text, label, "rrunning_swimming_2024", str(n), "fitness", "train", None, True)


# The stub detector flags "[advice]": four false alarms, four missed asks, six right flags and
# six posts rightly left alone.
POOL = (
    [_example(n, f"Squat depth question {n} [advice]", 0) for n in range(4)]
    + [_example(10 + n, f"My knee swells after runs, week {n}", 1) for n in range(4)]
    + [_example(20 + n, f"Chest hurts after intervals {n} [advice]", 1) for n in range(6)]
    + [_example(30 + n, f"Tempo run report {n}", 0) for n in range(6)]
)


@pytest.fixture
def pool(monkeypatch, db, stub_detector):
    monkeypatch.setattr(stream, "candidate_posts", lambda data_dir: list(POOL))


def test_the_stream_decides_by_the_label_and_keeps_half_the_errors_out(pool, tmp_path):
    probe = tmp_path / "probe.jsonl"
    call_command("simulate_moderation_stream", "--size", "8", "--probe", str(probe))

    decided = {text: label for text, label in selectors.moderation_labelled_examples()}
    assert len(decided) == 8
    # Every decision is the guideline's label, whatever the detector said.
    assert all(decided[ex.text] == ex.label for ex in POOL if ex.text in decided)
    false_alarms = [t for t, lab in decided.items() if lab == 0]
    misses = [t for t, lab in decided.items() if lab == 1 and "[advice]" not in t]
    assert len(false_alarms) == 2 and len(misses) == 2
    # A missed ask reached the moderator through a member's report, which the decision resolved.
    reported = Report.objects.filter(post__source__in=misses)
    assert reported.count() == 2 and not reported.filter(resolved__isnull=True).exists()
    assert Review.objects.filter(status=Review.Status.DISMISSED).count() == 2

    kept_out = [json.loads(line) for line in probe.read_text().splitlines()]
    assert len(kept_out) == len(POOL) - 8
    assert not {row["text"] for row in kept_out} & set(decided)
    assert {row["label"] for row in kept_out} == {0, 1}


def test_the_same_seed_draws_the_same_stream():
    flagged = ["[advice]" in ex.text for ex in POOL]
    first = stream.draw_stream(POOL, flagged, size=10, seed=3)
    assert stream.draw_stream(POOL, flagged, size=10, seed=3) == first
    assert stream.draw_stream(POOL, flagged, size=10, seed=4)[0] != first[0]


def test_a_database_with_decisions_is_refused(pool, tmp_path):
    call_command("simulate_moderation_stream", "--size", "8", "--probe", str(tmp_path / "a"))
    with pytest.raises(CommandError, match="decisions already"):
        call_command("simulate_moderation_stream", "--size", "8", "--probe", str(tmp_path / "b"))
