"""Training is reproducible and produces a loadable, versioned JSON artefact."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from moderation.detector import training
from moderation.detector.corpus import (
    HELDOUT_AUDIT,
    RECENT_FILE,
    TEST_SUBREDDITS,
    Example,
    load_hard_cases,
    load_relabels,
)
from moderation.detector.encoder import (
    CROSSFIT_FILE,
    ENCODER_DIR,
    Encoder,
    file_digest,
    text_key,
)
from moderation.detector.model import Model, tree_sum
from moderation.detector.training import TREES, _best_threshold, dump, train


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
    assert loaded["model_version"].startswith("stoa-meddetect-4+")
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


def test_threshold_is_not_dragged_down_by_easy_askdocs_asks():
    # AskDocs asks are nearly all asks, so on the whole mix flagging the uncertain middle
    # pays; on forum posts the middle is mostly not asks. The rule used for the artefact
    # weighs F1 on forum posts too, so it leaves the middle unflagged.
    middle = 0.5
    prob = np.array([0.95] * 80 + [middle] * 40 + [middle] * 35 + [0.8] * 10 + [0.2] * 50)
    y = np.array([1] * 80 + [1] * 40 + [1] * 5 + [0] * 30 + [1] * 10 + [0] * 50)
    forum = np.array([False] * 120 + [True] * 95)
    t_all = _best_threshold(prob, y, forum, "all")
    t_mean = _best_threshold(prob, y, forum, "mean")
    assert middle >= t_all
    assert middle < t_mean


def test_the_target_rule_clears_precision_and_recall_by_the_widest_margin():
    # 100 asks and 100 other posts, a few of each spread over the middle: raising the
    # threshold trades recall for precision. The rule stops where both clear their targets
    # by the widest common margin, not at either end.
    asks = np.concatenate([np.linspace(0.40, 0.70, 10, endpoint=False), np.full(90, 0.9)])
    others = np.concatenate([np.linspace(0.30, 0.70, 12, endpoint=False), np.full(88, 0.1)])
    prob = np.concatenate([asks, others])
    y = np.array([1] * 100 + [0] * 100)

    def margin(t: float) -> float:
        precision, recall = training._precision_recall(prob >= t, y)
        return min(precision - training.TARGET_PRECISION, recall - training.TARGET_RECALL)

    t = _best_threshold(prob, y, np.ones(200, dtype=bool), "targets")
    assert 0.4 < t < 0.7
    assert margin(t) > 0
    assert all(margin(other) <= margin(t) for other in np.arange(0.30, 0.71, 0.01))


def test_heldout_audit_is_separate_from_the_training_labels():
    audit = [json.loads(line) for line in HELDOUT_AUDIT.read_text().splitlines() if line]
    assert len(audit) == 80
    assert {row["sample"] for row in audit} == {"flagged", "not flagged"}
    assert {row["label"] for row in audit} <= {0, 1, None}
    assert all(row["source"].endswith(".csv") and "text" not in row for row in audit)
    # The audit only measures the held-out split: every post in it is held out, so a post
    # that the later full review of held-out posts also labelled is never a training label.
    held_out = (*(f"/{sub}.csv" for sub in TEST_SUBREDDITS), RECENT_FILE)
    assert all(row["source"].endswith(held_out) for row in audit)
    both = {(row["source"], row["key"]) for row in audit} & set(load_relabels())
    assert both and all(source.endswith(held_out) for source, _ in both)


def test_second_stage_walks_each_tree_left_on_less_or_equal():
    # Two stumps on input 0 and a two-level tree on input 1: the walk is the whole model.
    stage2 = {
        "trees": [
            {"f": [0, -2, -2], "t": [1.0, -2.0, -2.0], "l": [1, -1, -1], "r": [2, -1, -1],
             "v": [0.0, -1.0, 3.0]},
            {"f": [1, 0, -2, -2, -2], "t": [0.5, 2.0, -2.0, -2.0, -2.0], "l": [1, 3, -1, -1, -1],
             "r": [2, 4, -1, -1, -1], "v": [0.0, 0.0, 10.0, 1.0, 2.0]},
        ],
    }  # fmt: skip
    assert tree_sum(stage2, [1.0, 0.0]) == -1.0 + 1.0  # both thresholds met exactly
    assert tree_sum(stage2, [1.5, 0.0]) == 3.0 + 1.0
    assert tree_sum(stage2, [2.5, 0.0]) == 3.0 + 2.0
    assert tree_sum(stage2, [0.0, 0.7]) == -1.0 + 10.0


def test_exported_trees_are_checked_against_scikit_learn(monkeypatch):
    art = train(_tiny_dataset())
    assert art["stage2"]["inputs"][0] == "margin"
    assert len(art["stage2"]["trees"]) == TREES
    # Training scores every example with the exported trees and compares with scikit-learn;
    # an export that walks the trees differently is refused instead of written.
    monkeypatch.setattr(training, "tree_sum", lambda stage2, x: -tree_sum(stage2, x))
    with pytest.raises(AssertionError, match="disagree"):
        train(_tiny_dataset())


def test_more_linear_evidence_never_lowers_the_score():
    # The trees are monotone in the stage-1 margin: whatever the cues, a post with a higher
    # margin scores at least as high, so the second stage cannot undo clear linear evidence.
    data = _tiny_dataset()
    model = Model(train(data))
    for case in data[::10]:
        feats = model.score(case.text).features
        if not feats.medical:
            continue
        scores = [
            model.stage2["base"] + tree_sum(model.stage2, feats.stage2_vector(m / 4))
            for m in range(-20, 21)
        ]
        assert scores == sorted(scores)


def test_an_artefact_for_other_features_is_refused():
    art = train(_tiny_dataset())
    art["stage2"]["inputs"] = art["stage2"]["inputs"][:-1]
    with pytest.raises(ValueError, match="retrain"):
        Model(art)
    art["format"] = 1
    with pytest.raises(ValueError, match="format"):
        Model(art)


def test_the_encoder_head_and_the_blend_are_trained_and_recorded():
    art = train(_tiny_dataset())
    assert len(art["encoder"]["coef"]) == 384
    assert art["encoder"]["digest"] == training.file_digest(training.Encoder().directory)
    # The blend leans on both scores, and more evidence from either raises the probability.
    assert art["blend"]["trees"] > 0 and art["blend"]["encoder"] > 0
    assert 0.0 <= art["cascade"]["low"] <= art["threshold"] <= art["cascade"]["high"] <= 1.0


def _encoder_with_crossfit(directory, scores, digest=None):
    shutil.copytree(ENCODER_DIR, directory)
    (directory / CROSSFIT_FILE).write_text(
        json.dumps({"encoder": digest or file_digest(directory), "folds": 2, "scores": scores})
    )
    return Encoder(directory)


def test_the_blend_is_fitted_on_the_builds_cross_fit_scores(tmp_path):
    # The encoder was fine-tuned on the training posts, so its head's scores of them are
    # in-sample; the blend must weigh the scores of encoders tuned without them instead.
    data = _tiny_dataset()
    rng = np.random.default_rng(0)
    noise = {text_key(c.text): float(rng.normal()) for c in data}
    telling = {text_key(c.text): 4.0 if c.label else -4.0 for c in data}
    messages: list[str] = []
    blind = train(data, log=messages.append, encoder=_encoder_with_crossfit(tmp_path / "a", noise))
    sharp = train(data, encoder=_encoder_with_crossfit(tmp_path / "b", telling))
    covered = sum(Model(blind).score(c.text).features.medical for c in data)
    assert f"{covered} of {covered} posts scored by an encoder fine-tuned without them" in messages
    assert abs(blind["blend"]["encoder"]) < 0.5
    assert sharp["blend"]["encoder"] > blind["blend"]["encoder"] + 1.0
    # The head itself is still fitted on the committed encoder's vectors.
    assert blind["encoder"]["coef"] == sharp["encoder"]["coef"]


def test_cross_fit_scores_of_another_encoder_are_refused(tmp_path):
    scores = {text_key(c.text): 1.0 for c in _tiny_dataset()}
    other = _encoder_with_crossfit(tmp_path / "enc", scores, digest="0" * 64)
    with pytest.raises(ValueError, match="another encoder"):
        train(_tiny_dataset(), encoder=other)


def test_cascade_band_settles_only_where_the_cheap_decision_holds():
    rng = np.random.default_rng(0)
    prob2 = rng.uniform(0, 1, 5000)
    # The full model agrees with the cheap stages except between 0.3 and 0.7.
    prob = np.where((prob2 > 0.3) & (prob2 < 0.7), 1 - prob2, prob2)
    low, high = training._cascade_band(prob2, prob, 0.5)
    assert low <= 0.31 and high >= 0.69
    assert low >= 0.25 and high <= 0.75


def test_the_unsure_band_is_the_widest_one_below_the_threshold_that_still_asks_half_the_time():
    rng = np.random.default_rng(1)
    prob = rng.uniform(0, 1, 20000)
    # Out of fold, a post asks with its probability: the band [low, 0.6) asks about half the
    # time when its middle is near 0.5, so its bound sits near 0.4.
    y = (rng.uniform(0, 1, prob.size) < prob).astype(int)
    low = training.unsure_band(prob, y, 0.6)
    assert 0.37 <= low <= 0.43
    band = (prob >= low) & (prob < 0.6)
    assert y[band].mean() >= training.UNSURE_ASK_SHARE
    wider = (prob >= low - 0.03) & (prob < 0.6)
    assert y[wider].mean() < training.UNSURE_ASK_SHARE


def test_there_is_no_unsure_band_where_posts_just_below_the_threshold_rarely_ask():
    prob = np.linspace(0, 1, 1001)
    y = (prob >= 0.6).astype(int)  # nothing below the threshold asks
    assert training.unsure_band(prob, y, 0.6) == 0.6
    # Never wider than the cap, however often the posts below ask.
    assert training.unsure_band(prob, np.ones_like(y), 0.6) == pytest.approx(
        0.6 - training.UNSURE_MAX_WIDTH
    )


def test_training_records_the_unsure_band_and_the_model_applies_it():
    art = train(_tiny_dataset())
    assert art["unsure"]["low"] <= art["threshold"]
    model = Model(art)
    below = art["threshold"] - 1e-6
    assert model.near_threshold(below) == (art["unsure"]["low"] < art["threshold"])
    assert not model.near_threshold(art["threshold"])
    assert not model.near_threshold(art["unsure"]["low"] - 1e-6)
