"""Training is reproducible and produces a loadable, versioned JSON artefact."""

from __future__ import annotations

import json

from moderation.detector.corpus import Example, load_hard_cases, load_relabels
from moderation.detector.model import Model
from moderation.detector.training import dump, train


def _tiny_dataset() -> list[Example]:
    # A slice of the committed hard cases: self-contained (no ../shared needed) and fast.
    cases = load_hard_cases()
    pos = [c for c in cases if c.label == 1][:40]
    neg = [c for c in cases if c.label == 0][:60]
    return pos + neg


def test_training_twice_gives_byte_identical_artefacts():
    data = _tiny_dataset()
    first = dump(train(data))
    second = dump(train(list(data)))
    assert first == second


def test_artefact_is_json_with_a_version_derived_from_its_content():
    art = train(_tiny_dataset())
    text = dump(art)
    loaded = json.loads(text)
    assert loaded["model_version"].startswith("stoa-meddetect-1+")
    other = train(_tiny_dataset()[:-5])
    assert other["model_version"] != loaded["model_version"]


def test_a_freshly_trained_model_scores_its_own_examples_sensibly():
    data = _tiny_dataset()
    model = Model(train(data))
    asks = [model.score(c.text).probability for c in data if c.label == 1]
    others = [model.score(c.text).probability for c in data if c.label == 0]
    assert sum(asks) / len(asks) > sum(others) / len(others) + 0.3


def test_hard_cases_and_relabels_are_well_formed():
    cases = load_hard_cases()
    assert len(cases) >= 300
    assert {c.label for c in cases} == {0, 1}
    assert all(c.severity in {"advice", "urgent"} for c in cases if c.label == 1)
    relabels = load_relabels()
    assert len(relabels) >= 300
    assert set(relabels.values()) <= {0, 1, None}
    # Only our labels are stored: source file and post id, never the post's text.
    assert all(source.endswith(".csv") and key for source, key in relabels)
