"""Medical-advice detector: text in, :class:`Detection` out.

Importable without Django. Most posts are scored in plain Python from the committed JSON
artefact (``model/detector.json``); the few the cheap stages are unsure about also go through
the sentence encoder (``model/encoder/``, ONNX Runtime). Retrain with
``python manage.py train_detector``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from .features import has_medical_term, normalize
from .language import identify
from .model import DEFAULT_ARTEFACT, Model, Scored, top_cues
from .severity import RedFlag, red_flags, severity_of

__all__ = ["Detection", "detect", "detect_many", "get_model", "reset_model"]


@dataclass(frozen=True)
class Detection:
    flagged: bool
    score: float  # calibrated probability 0..1
    severity: str  # "none" | "advice" | "urgent"
    cues: tuple[str, ...]  # the cues that weighed most, human-readable, <= 5
    model_version: str
    language: str = "en"  # ISO 639-1 code of the language the post is written in
    # False when the detector could not read the post (a language it does not know): it is
    # then neither flagged nor cleared, and a moderator should decide.
    screened: bool = True
    # Not flagged, but scored within the artefact's "unsure" band just below the threshold,
    # where out of fold about half the posts ask: a moderator decides, with no notice.
    unsure: bool = False


# Lowest model probability at which a red-flag post that asks something is still flagged.
RED_FLAG_FLOOR = 0.2

_lock = threading.Lock()
_model: Model | None = None


def get_model() -> Model:
    """The committed model, loaded once per process (double-checked under a lock)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = Model.load(DEFAULT_ARTEFACT)
    return _model


def reset_model(model: Model | None = None) -> None:
    """Replace the cached model (tests, or after retraining in a long-lived process)."""
    global _model
    with _lock:
        _model = model


def _asks(scored: Scored) -> bool:
    cues = scored.features.cues
    return "question_mark" in cues or any(name.startswith("ask:") for name in cues)


def _gate_settles(model: Model, text: str) -> bool:
    """Whether the health-term gate alone decides the detection of `text`: no health term,
    and the gate's probability is below both the threshold and the red-flag net's floor, so
    nothing but that probability is read (the cues only by the net, severity only for flagged
    posts). Then the rest of the features (cues, n-grams, shape: most of a post's cost) need
    not be computed; the detection is the one the full path gives (tests/moderation)."""
    return model.gate_probability < min(model.threshold, RED_FLAG_FLOOR) and not has_medical_term(
        normalize(text)
    )


def _detect_with(model: Model, text: str, *, gate_shortcut: bool = True) -> Detection:
    language = identify(text)
    if not language.readable:
        return Detection(
            flagged=False,
            score=0.0,
            severity="none",
            cues=(f"not screened: written in {language.name}",),
            model_version=model.model_version,
            language=language.code,
            screened=False,
        )
    flags: list[RedFlag] = []
    if gate_shortcut and _gate_settles(model, text):
        probability, contributions = model.gate_probability, model.gate_contributions
        flagged, severity = False, "none"
    else:
        scored = model.score(text)
        probability, contributions = scored.probability, scored.contributions
        flagged = probability >= model.threshold
        if not flagged and probability >= RED_FLAG_FLOOR and _asks(scored):
            # Safety net: a post that asks something and describes a red flag (chest pain,
            # suicidal thoughts...) is flagged even when the model is unsure; missing it costs
            # far more than a needless notice. The score stays the model's calibrated
            # probability.
            flagged = bool(red_flags(scored.features.norm))
        severity, flags = severity_of(scored.features.norm, flagged)
    unsure = not flagged and model.near_threshold(probability)
    cues = ["unsure: scored just below the threshold"] if unsure else []
    cues.extend(f"red flag: {f.label}" for f in flags)
    cues.extend(top_cues(contributions, positive=flagged))
    return Detection(
        flagged=flagged,
        score=round(probability, 4),
        severity=severity,
        cues=tuple(dict.fromkeys(cues))[:5],
        model_version=model.model_version,
        unsure=unsure,
    )


def detect(text: str) -> Detection:
    """Decide whether ``text`` asks for medical advice. Thread-safe; the model is shared."""
    return _detect_with(get_model(), text)


def detect_many(texts: Iterable[str]) -> list[Detection]:
    """Detect a batch (backfills); same results as calling :func:`detect` on each text."""
    model = get_model()
    return [_detect_with(model, t) for t in texts]
