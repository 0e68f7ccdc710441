"""Reproducible training: features -> logistic regression -> boosted trees -> Platt, and sentence
vectors -> logistic regression, blended -> JSON.

Stage 1 is a logistic regression over n-grams and cues (its weights also explain decisions).
Stage 2 is a small gradient-boosted tree ensemble over the stage-1 margin (out of fold), the
cues and where the health words sit relative to the questions: a linear model can only add
evidence up, the trees can learn that "is it safe?" means something else without a symptom.

scikit-learn is only needed here, never at inference. Everything is seeded and single-threaded
and the artefact is written with sorted keys and rounded floats, so two runs on the same data
produce byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from .corpus import FORUM_ORIGIN, Example, origin
from .encoder import Encoder, file_digest, load_crossfit, text_key
from .features import CUE_INDEX, CUES, STAGE2_INPUTS, Features, extract
from .model import ARTEFACT_FORMAT, DEFAULT_ARTEFACT, tree_sum

SEED = 20240611
MODEL_NAME = "stoa-meddetect"
MODEL_MAJOR = 4
C = 4.0
CUE_SCALE = 3.0
MAX_TERMS = 20000
# Second stage: shallow boosted trees, few enough to walk in well under a millisecond.
TREES = 200
TREE_DEPTH = 4
LEARNING_RATE = 0.05
# Hand-labelled forum posts and hand-written hard cases are few but carry exactly the
# distinctions the subreddit labels blur (asking vs telling, soreness vs injury), so each
# counts for several scraped posts.
SOURCE_WEIGHT = {"hard_cases": 10.0, "relabelled": 5.0}
# How the decision threshold is chosen out of fold (see _best_threshold): "all", "forum",
# "mean" or "targets". Out of fold, F1 on all posts is flat (0.930 to 0.933) for thresholds
# from 0.30 to 0.66, so F1 does not fix the operating point; the product's targets do.
THRESHOLD_RULE = "targets"
TARGET_PRECISION = 0.93
TARGET_RECALL = 0.90
# Regularisation of the logistic regression over the encoder's sentence vectors, chosen out of
# fold among 0.25, 1, 4, 8 and 16 (F1 0.925 to 0.929, forum posts 0.654 to 0.676).
HEAD_C = 16.0
# The cascade may settle a post on the cheap stages alone only where, out of fold, that
# changes the decision of the full model for at most this share of the posts it settles.
CASCADE_FLIP_BUDGET = 0.002
# The "unsure" band below the threshold, whose posts go to the review queue without a notice:
# the widest band (at most UNSURE_MAX_WIDTH, in steps of 0.01) in which, out of fold, at least
# this share of the posts ask, so that a moderator reading the band finds an ask at least every
# other post (flagged posts are asks about 93% of the time).
UNSURE_ASK_SHARE = 0.5
UNSURE_MAX_WIDTH = 0.2


def _round(x: float) -> float:
    return float(f"{x:.6g}")


def _identity(grams: list[str]) -> list[str]:
    return grams


def _cue_matrix(feats: Sequence[Features]) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for i, f in enumerate(feats):
        for name, value in f.cues.items():
            rows.append(i)
            cols.append(CUE_INDEX[name])
            vals.append(value * CUE_SCALE)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(feats), len(CUES)))


def _f1(pred: np.ndarray, y: np.ndarray) -> float:
    tp = float((pred & (y == 1)).sum())
    fp = float((pred & (y == 0)).sum())
    fn = float((~pred & (y == 1)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _precision_recall(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    tp = float((pred & (y == 1)).sum())
    return tp / max(float(pred.sum()), 1.0), tp / max(float((y == 1).sum()), 1.0)


def _best_threshold(prob: np.ndarray, y: np.ndarray, forum: np.ndarray, rule: str) -> float:
    """The threshold in 0.30..0.70 (kept near 0.5 so the score stays interpretable) that
    maximises, over out-of-fold probabilities:

    - "all": F1 on all posts; "forum": F1 on real forum posts only;
    - "mean": the mean of those two F1s;
    - "targets": the smaller of the two margins by which precision and recall on all posts
      clear their targets, so that neither is bought with the other.
    """
    best_t, best = 0.5, -np.inf
    for t in np.arange(0.30, 0.71, 0.01):
        pred = prob >= t
        if rule == "all":
            value = _f1(pred, y)
        elif rule == "forum":
            value = _f1(pred[forum], y[forum])
        elif rule == "mean":
            value = (_f1(pred, y) + _f1(pred[forum], y[forum])) / 2
        else:
            precision, recall = _precision_recall(pred, y)
            value = min(precision - TARGET_PRECISION, recall - TARGET_RECALL)
        if value > best + 1e-9:
            best_t, best = float(t), value
    return best_t


def sample_weights(examples: Sequence[Example]) -> np.ndarray:
    w = np.ones(len(examples))
    for i, ex in enumerate(examples):
        if ex.source == "hard_cases":
            w[i] = SOURCE_WEIGHT["hard_cases"]
        elif ex.source == "askdocs" and ex.label == 1:
            # Confirming an r/AskDocs ask by hand adds nothing its subreddit did not say.
            w[i] = SOURCE_WEIGHT.get("askdocs", 1.0)
        elif ex.reviewed:
            w[i] = SOURCE_WEIGHT["relabelled"]
    # Balance the classes so the positive class is not drowned by scraped negatives;
    # calibration afterwards maps scores back to probabilities.
    y = np.array([ex.label for ex in examples])
    for cls in (0, 1):
        mask = y == cls
        if mask.any():
            w[mask] *= len(y) / (2.0 * w[mask].sum())
    return w


def _cascade_band(prob2: np.ndarray, prob: np.ndarray, threshold: float) -> tuple[float, float]:
    """The widest band [low, high) of cheap-stage probabilities outside which the cheap
    decision (not flagged below ``low``, flagged from ``high``) agrees with the full model's."""
    full = prob >= threshold
    grid = np.round(np.arange(0.0, 1.0001, 0.01), 2)
    low = 0.0
    for t in grid[grid <= threshold]:
        settled = prob2 < t
        if (full & settled).sum() > CASCADE_FLIP_BUDGET * max(settled.sum(), 1):
            break
        low = float(t)
    high = 1.0
    for t in grid[grid >= threshold][::-1]:
        settled = prob2 >= t
        if (~full & settled).sum() > CASCADE_FLIP_BUDGET * max(settled.sum(), 1):
            break
        high = float(t)
    return low, high


def unsure_band(prob: np.ndarray, y: np.ndarray, threshold: float) -> float:
    """The lower bound of the "unsure" band [low, threshold) over out-of-fold probabilities:
    the lowest bound at which the band's posts still ask at least ``UNSURE_ASK_SHARE`` of the
    time; ``threshold`` itself (no band) if even the narrowest band asks less often."""
    low = threshold
    for step in range(1, round(UNSURE_MAX_WIDTH * 100) + 1):
        t = round(threshold - step / 100, 2)
        band = (prob >= t) & (prob < threshold)
        if band.any() and y[band].mean() >= UNSURE_ASK_SHARE:
            low = t
    return low


def train(
    examples: Sequence[Example], log: Any = None, encoder: Encoder | None = None
) -> dict[str, Any]:
    """Train on ``examples`` and return the artefact as a JSON-serialisable dict."""
    import sklearn.ensemble
    import sklearn.linear_model  # noqa: F401  (loads the BLAS and OpenMP libraries to limit)
    from threadpoolctl import threadpool_limits

    # One thread for BLAS and OpenMP: sums taken in another order give other floats, and the
    # artefact must be byte-identical whatever the machine's core count.
    with threadpool_limits(limits=1):
        # The encoder's vectors are the same on any number of threads (see encoder.py).
        return _train(examples, log, encoder or Encoder(threads=os.cpu_count() or 1))


def _train(examples: Sequence[Example], log: Any, encoder: Encoder) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def say(msg: str) -> None:
        if log is not None:
            log(msg)

    examples = list(examples)
    y = np.array([ex.label for ex in examples])
    feats = [extract(ex.text) for ex in examples]
    say(f"features: {len(examples)} examples, {int(y.sum())} positive")

    small = len(examples) < 500
    vec = TfidfVectorizer(
        analyzer=_identity,
        min_df=1 if small else 3,
        max_features=MAX_TERMS,
        sublinear_tf=True,
        norm="l2",
        smooth_idf=True,
        dtype=np.float64,
    )
    # Only texts that pass the first-stage gate are scored by the model at run time, so the
    # model is fitted on those; the rest only set the gate probability.
    gated = np.array([f.medical for f in feats])
    idx = np.flatnonzero(gated)
    x_terms = vec.fit_transform([feats[i].grams for i in idx])
    x = sparse.hstack([x_terms, _cue_matrix([feats[i] for i in idx])]).tocsr()
    yg = y[idx]
    w = sample_weights([examples[i] for i in idx])

    def fit(xm: sparse.csr_matrix, ym: np.ndarray, wm: np.ndarray) -> LogisticRegression:
        clf = LogisticRegression(C=C, solver="liblinear", max_iter=1000, random_state=SEED)
        clf.fit(xm, ym, sample_weight=wm)
        return clf

    # Out-of-fold margins for an honest Platt calibration and threshold.
    n_splits = int(min(5, yg.sum(), len(yg) - yg.sum()))
    oof, clf = _out_of_fold(fit, x, yg, w, n_splits, SEED)

    # Stage 2 learns from out-of-fold margins, as it will see margins of unseen posts.
    z = np.array([feats[i].stage2_vector(m) for i, m in zip(idx, oof, strict=True)])
    oof2, trees = _out_of_fold(_fit_trees, z, yg, w, n_splits, SEED + 1)
    stage2 = _export_trees(trees, z)

    platt = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    platt.fit(oof2.reshape(-1, 1), yg)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    prob2 = 1.0 / (1.0 + np.exp(-(a * oof2 + b)))

    # Stage 3: a logistic regression over the encoder's sentence vectors, blended with the
    # trees' score by a second logistic regression fitted on out-of-fold scores of both.
    say(f"encoding {len(idx)} posts with the sentence encoder")
    vectors = encoder.embed([examples[i].text for i in idx])

    oof3, head = _out_of_fold(fit_head, vectors, yg, w, n_splits, SEED + 2)
    # Folds over the vectors are honest only for posts the encoder was not fine-tuned on; for
    # the others, take the build's cross-fit scores (see encoder.load_crossfit).
    crossfit = load_crossfit(encoder.directory)
    covered = 0
    for j, i in enumerate(idx):
        score = crossfit.get(text_key(examples[i].text))
        if score is not None:
            oof3[j] = score
            covered += 1
    say(f"{covered} of {len(idx)} posts scored by an encoder fine-tuned without them")
    both = np.column_stack([oof2, oof3])
    blend = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000).fit(both, yg)
    prob = blend.predict_proba(both)[:, 1]

    # Real forum posts: neither r/AskDocs nor our hand-written cases, for the "forum" and
    # "mean" threshold rules and the report below.
    forum = np.array([origin(examples[i]) == FORUM_ORIGIN for i in idx])
    if not (forum & (yg == 1)).any():
        forum = np.ones(len(yg), dtype=bool)
    best_t = _best_threshold(prob, yg, forum, THRESHOLD_RULE)
    low, high = _cascade_band(prob2, prob, best_t)
    unsure = (prob2 >= low) & (prob2 < high)
    served = np.where(unsure, prob, prob2) >= best_t
    oof_p, oof_r = _precision_recall(served, yg)
    oof_f1 = _f1(served, yg)
    served_prob = np.where(unsure, prob, prob2)
    unsure_low = unsure_band(served_prob, yg, best_t)
    band = (served_prob >= unsure_low) & (served_prob < best_t)
    say(
        f"out of fold: precision {oof_p:.3f}, recall {oof_r:.3f}, F1 {oof_f1:.3f} overall, "
        f"F1 {_f1(served[forum], yg[forum]):.3f} on forum posts, threshold {best_t:.2f}; "
        f"the encoder reads the {unsure.mean():.0%} of scored posts between {low:.2f} and "
        f"{high:.2f}"
    )
    say(
        f"unsure band from {unsure_low:.2f}: {int(band.sum())} scored posts "
        f"({int(yg[band].sum())} asks), {1000 * band.sum() / len(examples):.1f} per 1,000 posts"
    )

    not_gated = ~gated
    gate_pos = int(y[not_gated].sum())
    gate_n = int(not_gated.sum())
    # Laplace-smoothed positive rate among texts with no health term at all.
    gate_prob = (gate_pos + 1) / (gate_n + 2)
    say(f"gate: {gate_n} texts without health terms, {gate_pos} of them positive")

    coef = clf.coef_[0]
    n_terms = x_terms.shape[1]
    names = vec.get_feature_names_out()
    idf = vec.idf_
    keep = sorted(
        (str(names[j]), _round(idf[j]), _round(coef[j]))
        for j in range(n_terms)
        if abs(coef[j]) >= 1e-3
    )
    art: dict[str, Any] = {
        "format": ARTEFACT_FORMAT,
        "model_version": "",
        "terms": [k[0] for k in keep],
        "idf": [k[1] for k in keep],
        "term_coef": [k[2] for k in keep],
        "cue_names": [c.name for c in CUES],
        "cue_coef": [_round(coef[n_terms + i]) for i in range(len(CUES))],
        "cue_scale": CUE_SCALE,
        "intercept": _round(float(clf.intercept_[0])),
        "stage2": stage2,
        "calibration": {"a": _round(a), "b": _round(b)},
        "encoder": {
            "digest": file_digest(encoder.directory),
            "coef": [_round(c) for c in head.coef_[0]],
            "intercept": _round(float(head.intercept_[0])),
        },
        "blend": {
            "trees": _round(float(blend.coef_[0][0])),
            "encoder": _round(float(blend.coef_[0][1])),
            "bias": _round(float(blend.intercept_[0])),
        },
        "cascade": {"low": _round(low), "high": _round(high)},
        "threshold": _round(best_t),
        "unsure": {"low": _round(unsure_low), "ask_share": UNSURE_ASK_SHARE},
        "gate": {"probability": _round(gate_prob), "texts": gate_n, "positives": gate_pos},
        "training": {
            "examples": len(examples),
            "positives": int(y.sum()),
            "seed": SEED,
            "C": C,
            "out_of_fold": {
                "precision": _round(oof_p),
                "recall": _round(oof_r),
                "f1": _round(oof_f1),
            },
            "head_C": HEAD_C,
        },
    }
    digest = hashlib.sha256(dump(art).encode("utf-8")).hexdigest()[:10]
    art["model_version"] = f"{MODEL_NAME}-{MODEL_MAJOR}+{digest}"
    return art


def fit_head(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Any:
    """The logistic regression over sentence vectors (also fitted by the encoder build's
    cross-fit, which must score posts the way training does)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=HEAD_C, solver="lbfgs", max_iter=5000).fit(x, y, sample_weight=w)


def _out_of_fold(
    fit: Callable[[Any, np.ndarray, np.ndarray], Any],
    x: Any,
    y: np.ndarray,
    w: np.ndarray,
    n_splits: int,
    seed: int,
) -> tuple[np.ndarray, Any]:
    """Each example's score from a model fitted without its fold, and the model fitted on all.

    With too few examples of a class for folds, the scores are in-sample (tests' tiny sets)."""
    from sklearn.model_selection import StratifiedKFold

    if n_splits < 2:
        model = fit(x, y, w)
        return model.decision_function(x), model
    scores = np.zeros(len(y))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for tr, te in folds.split(x, y):
        scores[te] = fit(x[tr], y[tr], w[tr]).decision_function(x[te])
    return scores, fit(x, y, w)


def _fit_trees(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    # Monotone in the stage-1 margin: more linear evidence of an ask never lowers the score,
    # so the trees refine the linear model where it is unsure instead of overruling it with
    # steps learned from one source's quirks.
    monotone = [1] + [0] * (z.shape[1] - 1)
    gb = HistGradientBoostingClassifier(
        max_iter=TREES,
        max_depth=TREE_DEPTH,
        max_leaf_nodes=2**TREE_DEPTH,
        learning_rate=LEARNING_RATE,
        monotonic_cst=monotone,
        early_stopping=False,
        random_state=SEED,
    )
    return gb.fit(z, y, sample_weight=w)


def _export_trees(gb: Any, z: np.ndarray) -> dict[str, Any]:
    """The ensemble as plain arrays per tree, checked against scikit-learn's own scores.

    Each tree is {"f": feature, "t": threshold, "l": left, "r": right, "v": leaf value};
    a node with ``l == -1`` is a leaf, and a value goes left when ``x[f] <= t``. The nodes
    come from scikit-learn's tree predictors (``_predictors``, not public API): if a future
    version changes them, the comparison below fails training instead of writing a bad model.
    """
    trees = []
    for (predictor,) in gb._predictors:
        tree: dict[str, list[Any]] = {"f": [], "t": [], "l": [], "r": [], "v": []}
        for node in predictor.nodes:
            leaf = bool(node["is_leaf"])
            tree["f"].append(-2 if leaf else int(node["feature_idx"]))
            # Thresholds keep full precision: rounding could move a split across a value.
            tree["t"].append(float(node["num_threshold"]))
            tree["l"].append(-1 if leaf else int(node["left"]))
            tree["r"].append(-1 if leaf else int(node["right"]))
            tree["v"].append(_round(float(node["value"])) if leaf else 0.0)
        trees.append(tree)
    stage2: dict[str, Any] = {"inputs": list(STAGE2_INPUTS), "base": 0.0, "trees": trees}
    # The baseline (the prior log-odds) is what scikit-learn adds before the trees.
    raw = gb.decision_function(z[:1])[0]
    stage2["base"] = _round(float(raw - tree_sum(stage2, list(z[0]))))
    ours = np.array([stage2["base"] + tree_sum(stage2, list(row)) for row in z])
    gap = float(np.max(np.abs(ours - gb.decision_function(z))))
    if gap > 1e-3:
        raise AssertionError(f"exported trees disagree with scikit-learn by {gap}")
    return stage2


def dump(art: dict[str, Any]) -> str:
    """Canonical JSON text of an artefact (sorted keys, one line per top-level key)."""
    lines = [
        f"{json.dumps(k)}: {json.dumps(art[k], sort_keys=True, ensure_ascii=False)}"
        for k in sorted(art)
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write(art: dict[str, Any], path: Path = DEFAULT_ARTEFACT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(art), encoding="utf-8")
    return path
