"""Inference: load the committed JSON artefact and score texts.

The artefact is JSON (no pickle): reviewable in a diff, safe to load, and versioned by the
``model_version`` it carries. Scoring is a cascade:

1. texts without any health term get the gate probability (microseconds);
2. the rest get a sparse dot product and a walk down 200 shallow trees, in plain Python
   (under a millisecond); most posts are settled here, clearly an ask or clearly not;
3. posts whose probability falls in the artefact's ``cascade`` band, where the cheap stages
   are unsure, are also read by the sentence encoder (``encoder.py``, tens of milliseconds),
   and a logistic blend of both scores decides.

No scikit-learn is needed at run time.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .encoder import ENCODER_DIR, Encoder, file_digest
from .features import CUE_LABELS, STAGE2_INPUTS, Features, extract

ARTEFACT_FORMAT = 3
ENCODER_CUE = "how its sentences read (sentence encoder)"
DEFAULT_ARTEFACT = Path(__file__).resolve().parent / "model" / "detector.json"


def tree_sum(stage2: dict[str, Any], x: list[float]) -> float:
    """The sum of the leaf values that ``x`` reaches in each tree."""
    total = 0.0
    for tree in stage2["trees"]:
        feature, threshold, left, right = tree["f"], tree["t"], tree["l"], tree["r"]
        node = 0
        while left[node] != -1:
            node = left[node] if x[feature[node]] <= threshold[node] else right[node]
        total += tree["v"][node]
    return total


@dataclass(frozen=True)
class Scored:
    """Raw scoring result before severity is attached."""

    features: Features
    probability: float
    contributions: tuple[tuple[str, float], ...]  # (human-readable cue, signed weight)
    fast_path: bool  # settled by the health-term gate alone
    encoded: bool = False  # read by the sentence encoder


class Model:
    """A linear model over TF-IDF n-grams and hand-designed cues, then boosted trees over its
    margin, the cues and the post's shape, with Platt calibration; where that is unsure, a
    blend with a logistic regression over the sentence encoder's vector."""

    def __init__(self, data: dict[str, Any], encoder_dir: Path = ENCODER_DIR) -> None:
        if data.get("format") != ARTEFACT_FORMAT:
            raise ValueError(f"unsupported detector artefact format: {data.get('format')!r}")
        self.model_version: str = data["model_version"]
        terms: list[str] = data["terms"]
        self.term_idf: dict[str, float] = dict(zip(terms, data["idf"], strict=True))
        self.term_coef: dict[str, float] = dict(zip(terms, data["term_coef"], strict=True))
        self.cue_coef: dict[str, float] = dict(
            zip(data["cue_names"], data["cue_coef"], strict=True)
        )
        self.cue_scale: float = data["cue_scale"]
        self.intercept: float = data["intercept"]
        self.stage2: dict[str, Any] = data["stage2"]
        if self.stage2["inputs"] != list(STAGE2_INPUTS):
            raise ValueError("detector artefact was trained on other features; retrain it")
        self.calib_a: float = data["calibration"]["a"]
        self.calib_b: float = data["calibration"]["b"]
        self.threshold: float = data["threshold"]
        # Probability given to texts without any health term (first stage). It is the
        # calibrated rate of positives among such texts at training time, so it stays honest.
        self.gate_probability: float = data["gate"]["probability"]
        # What a post the gate settles is scored on (its one cue).
        self.gate_contributions: tuple[tuple[str, float], ...] = (("no health terms", -1.0),)
        self.head_coef = np.asarray(data["encoder"]["coef"], dtype=np.float32)
        self.head_intercept: float = data["encoder"]["intercept"]
        self.encoder_digest: str = data["encoder"]["digest"]
        self.blend: dict[str, float] = data["blend"]
        self.cascade_low: float = data["cascade"]["low"]
        self.cascade_high: float = data["cascade"]["high"]
        # Lower bound of the "unsure" band below the threshold (chosen out of fold by
        # training); an artefact without one has no band.
        self.unsure_low: float = data.get("unsure", {}).get("low", self.threshold)
        self._encoder_dir = encoder_dir
        self._encoder: Encoder | None = None
        self._encoder_lock = threading.Lock()

    @classmethod
    def load(cls, path: Path | str = DEFAULT_ARTEFACT) -> Model:
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh))

    def margin(self, feats: Features) -> tuple[float, list[tuple[str, float]]]:
        """Stage-1 decision value and per-feature contributions (they explain decisions)."""
        counts = Counter(g for g in feats.grams if g in self.term_idf)
        weights: dict[str, float] = {}
        for gram, n in counts.items():
            # Sublinear TF times IDF, then L2-normalised: identical to the training vectoriser.
            weights[gram] = (1.0 + math.log(n)) * self.term_idf[gram]
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        contribs: list[tuple[str, float]] = []
        total = self.intercept
        for gram, w in weights.items():
            c = w / norm * self.term_coef[gram]
            total += c
            contribs.append((f'words "{gram}"', c))
        for name, value in feats.cues.items():
            coef = self.cue_coef.get(name)
            if coef is None:
                continue
            c = value * self.cue_scale * coef
            total += c
            contribs.append((CUE_LABELS.get(name, name), c))
        return total, contribs

    def calibrate(self, margin: float) -> float:
        return _logistic(self.calib_a * margin + self.calib_b)

    def encoder(self) -> Encoder:
        """The sentence encoder, loaded on first use (most processes settle most posts
        without it) and refused if it is not the one the artefact was trained with."""
        if self._encoder is None:
            with self._encoder_lock:
                if self._encoder is None:
                    if file_digest(self._encoder_dir) != self.encoder_digest:
                        raise ValueError(
                            "the sentence encoder differs from the one the detector was "
                            "trained with; retrain it (python manage.py train_detector)"
                        )
                    self._encoder = Encoder(self._encoder_dir)
        return self._encoder

    def unsure(self, probability: float) -> bool:
        """Whether the cheap stages leave ``probability`` open for the sentence encoder."""
        return self.cascade_low <= probability < self.cascade_high

    def near_threshold(self, probability: float) -> bool:
        """Whether a final ``probability`` falls in the "unsure" band just below the
        threshold, whose posts go to moderators instead of passing silently."""
        return self.unsure_low <= probability < self.threshold

    def trees_score(self, feats: Features) -> tuple[float, list[tuple[str, float]]]:
        """The cheap stages' raw score (before calibration) and the stage-1 contributions."""
        margin, contribs = self.margin(feats)
        return self.stage2["base"] + tree_sum(self.stage2, feats.stage2_vector(margin)), contribs

    def score(self, text: str) -> Scored:
        feats = extract(text)
        if not feats.medical:
            return Scored(feats, self.gate_probability, self.gate_contributions, True)
        raw, contribs = self.trees_score(feats)
        probability = self.calibrate(raw)
        if not self.unsure(probability):
            return Scored(feats, probability, tuple(contribs), False)
        vector = self.encoder().embed([text])[0]
        head = float(vector @ self.head_coef) + self.head_intercept
        z = self.blend["trees"] * raw + self.blend["encoder"] * head + self.blend["bias"]
        contribs.append((ENCODER_CUE, self.blend["encoder"] * head))
        return Scored(feats, _logistic(z), tuple(contribs), False, encoded=True)


def _logistic(z: float) -> float:
    # Numerically stable.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def top_cues(
    contribs: tuple[tuple[str, float], ...], positive: bool, k: int = 5
) -> tuple[str, ...]:
    """The ``k`` cues that pushed hardest towards the decision that was taken."""
    sign = 1.0 if positive else -1.0
    ranked = sorted(
        (c for c in contribs if c[1] * sign > 0), key=lambda c: c[1] * sign, reverse=True
    )
    seen: list[str] = []
    for label, _ in ranked:
        if label not in seen:
            seen.append(label)
        if len(seen) == k:
            break
    return tuple(seen)
