"""The round-3 sources: every hand label points at a real post, each source keeps a held-out
part of its own, and the committed model is trained on their training parts."""

from __future__ import annotations

from collections import Counter

import pytest

from moderation.detector import corpus

DATA = corpus.default_data_dir()
ROUND3_FILES = (
    corpus.SWIM_RUN_DIR,
    corpus.MARATHON_DIR,
    corpus.FIT30_FILE.split("/")[0],
    corpus.YOGA_FILE.split("/")[0],
)

pytestmark = pytest.mark.skipif(
    not (DATA / corpus.YOGA_FILE).exists(), reason="the shared medical data is not here"
)


def test_every_round3_label_points_at_a_post_in_its_file():
    relabels = corpus.load_relabels()
    posts = corpus.load_sports_forums(DATA, relabels)
    keys = {(corpus_file(ex), ex.key) for ex in posts}
    labelled = {k for k in relabels if k[0].split("/")[0] in ROUND3_FILES}
    assert len(labelled) > 3000
    # Posts reviewed as unclear (null) are left out of the corpus; every other label is used.
    assert {k for k in labelled if relabels[k] is not None} <= keys


def test_round3_asks_carry_a_severity_and_the_rest_none():
    relabels = corpus.load_relabels()
    for ex in corpus.load_sports_forums(DATA, relabels):
        assert (ex.severity in {"urgent", "advice"}) == bool(ex.label)


def test_each_round3_source_has_a_held_out_part():
    posts = corpus.load_sports_forums(DATA, corpus.load_relabels())
    splits = Counter((ex.source, ex.split) for ex in posts)
    for source in {ex.source for ex in posts}:
        assert splits[(source, "test")] > 100
        assert splits[(source, "train")] > splits[(source, "test")]


def test_the_committed_model_is_trained_on_the_round3_training_parts():
    assert corpus.ROUND3_TRAINING is True
    loaded = corpus.load_corpus(DATA)
    round3 = Counter(
        ex.split
        for ex in loaded
        if ex.source.split("/")[0] in ROUND3_FILES or ex.source in {"rhmd"}
    )
    assert round3["train"] > round3["test"] > 0
    # The committed artefact was trained on exactly this training split.
    import json

    from moderation.detector.model import DEFAULT_ARTEFACT

    trained = json.loads(DEFAULT_ARTEFACT.read_text(encoding="utf-8"))["training"]["examples"]
    assert sum(ex.split == "train" for ex in loaded) == trained


def corpus_file(ex: corpus.Example) -> str:
    if ex.source.startswith(corpus.SWIM_RUN_DIR):
        name = "rrunning_2024-02.csv" if ex.source.endswith("running") else "rSwimming_2024-02.csv"
        return f"{corpus.SWIM_RUN_DIR}/{name}"
    if ex.source.startswith(corpus.MARATHON_DIR):
        name = (
            "rrunning_2022-07.csv" if ex.source.endswith("running") else "rfirstmarathon_2022.csv"
        )
        return f"{corpus.MARATHON_DIR}/{name}"
    if ex.source.startswith("rfitness30plus"):
        return corpus.FIT30_FILE
    return corpus.YOGA_FILE
