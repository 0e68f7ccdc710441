"""Benchmark the detector in process: median / p95 ms per post and posts per second.

    python -m moderation.detector.bench [--data-dir DIR] [--posts N]

Uses the held-out posts from the shared data when available (a realistic mix of lengths),
otherwise the hand-written hard cases. No Django needed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from . import detect, detect_many, get_model
from .corpus import default_data_dir, load_corpus, load_hard_cases
from .encoder import ENCODER_THREADS
from .features import extract


def _texts(data_dir: Path, limit: int) -> tuple[list[str], str]:
    try:
        texts = [ex.text for ex in load_corpus(data_dir) if ex.split == "test"]
        origin = f"held-out posts from {data_dir}"
    except FileNotFoundError:
        texts = [ex.text for ex in load_hard_cases()]
        origin = "hard cases (shared data not found)"
    return texts[:limit], origin


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--posts", type=int, default=5000)
    args = parser.parse_args(argv)
    texts, origin = _texts(args.data_dir or default_data_dir(), args.posts)

    t0 = time.perf_counter()
    model = get_model()
    load_ms = 1000 * (time.perf_counter() - t0)

    detect("warm-up: sharp pain in my mid back for days, any ideas?")  # loads the encoder
    times, encoded_times = [], []
    for text in texts:
        t = time.perf_counter()
        detect(text)
        times.append(1000 * (time.perf_counter() - t))
        # Whether the encoder ran, from the cheap stages alone (running the encoder again to
        # find out would double the benchmark's time).
        feats = extract(text)
        if feats.medical and model.unsure(model.calibrate(model.trees_score(feats)[0])):
            encoded_times.append(times[-1])
    times.sort()
    encoded_times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]

    t = time.perf_counter()
    detect_many(texts)
    batch_s = time.perf_counter() - t
    rate = len(texts) / batch_s
    chars = statistics.mean(len(x) for x in texts)
    print(f"model {model.model_version}, loaded in {load_ms:.0f} ms")
    print(f"{len(texts)} {origin}, mean length {chars:.0f} characters")
    median = statistics.median(times)
    print(f"per post: median {median:.3f} ms, p95 {p95:.3f} ms, max {times[-1]:.1f} ms")
    if encoded_times:
        share = len(encoded_times) / len(texts)
        print(
            f"read by the sentence encoder: {len(encoded_times)} posts ({share:.1%}), "
            f"median {statistics.median(encoded_times):.1f} ms, "
            f"p95 {encoded_times[int(0.95 * (len(encoded_times) - 1))]:.1f} ms"
        )
    print(f"batch (detect_many): {rate:.0f} posts/s")
    print(
        f"projected backfill of 100,000 posts: {100_000 / rate / 60:.1f} minutes "
        f"(one process; the encoder uses up to {ENCODER_THREADS} threads)"
    )


if __name__ == "__main__":
    main()
