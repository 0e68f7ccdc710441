"""Training and evaluation corpus built from ../shared/meddata plus the hard cases in data/.

Source texts are read where they live (never copied into the repository); only our own labels
(``data/relabels.jsonl``: source file, post id, label) and hand-written hard cases are stored.

Held-out split (never trained on), by source and time rather than at random:
- r/AskDocs posts dated 2020-07-01 or later (the last ~28% of the file);
- all of r/Fitness 2019-2020 (seven years after the 2013 training posts);
- whole subreddits: AdvancedRunning, cycling, nutrition, xxfitness, yoga, Health, nba;
- ~30% of the hand-written hard cases (stable hash of the text), and the seed documents.

Labels come from the subreddit (0 outside r/AskDocs, 1 inside) unless a post was reviewed by
hand in ``data/relabels.jsonl``, always by ../shared/LABELING.md and blind to model scores:
- every r/AskDocs post, train and test; only the exceptions are stored (0: asks nothing about
  anyone's health, such as policy or general-knowledge questions and outcome updates; null:
  unclear, dropped);
- every forum post outside r/AskDocs that passes the detector's first-stage gate (mentions a
  body part, symptom, condition, care or medication), train and test: the pool where asks
  hide. Posts without any health term keep the subreddit's 0.

``data/heldout_audit.jsonl`` is a
separate, evaluation-only measure of the label noise left in the held-out split: 40 posts drawn
at random from the never-reviewed held-out posts that model v1 (stoa-meddetect-1+4fdece5b2b)
flagged and 40 from those with health terms it did not flag, shuffled together and labelled by
../shared/LABELING.md without seeing scores or the group ("sample" records it afterwards).
Result: 7 of the 40 flagged were real asks (6 ambiguous), 0 of the 40 not flagged. Those labels
are never trained on; they change the held-out labels only with ``load_corpus(audit=True)``,
and the default evaluation stays comparable with earlier models.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
HARD_CASES = DATA_DIR / "hard_cases.jsonl"
RELABELS = DATA_DIR / "relabels.jsonl"
HELDOUT_AUDIT = DATA_DIR / "heldout_audit.jsonl"

ASKDOCS_FILE = "askdocs_clayang3/AskDocs.csv"
ASKDOCS_TEST_FROM = "2020-07-01"
TOP_DIR = "reddit_top2.5m_fitness"
RECENT_FILE = "rfitness_recent/alantancr_rFitness_2019-2020.csv"
TEST_SUBREDDITS = frozenset(
    {"AdvancedRunning", "cycling", "nutrition", "xxfitness", "yoga", "Health", "nba"}
)
# Joke questions: they look exactly like real asks but are not; unusable as either label.
EXCLUDED_SUBREDDITS = frozenset({"askashittydoctor"})
HARD_CASE_TEST_PERCENT = 30

KIND_BY_SUBREDDIT = {
    "Fitness": "fitness",
    "bodyweightfitness": "fitness",
    "xxfitness": "fitness",
    "weightroom": "fitness",
    "AdvancedFitness": "fitness",
    "gainit": "fitness",
    "powerlifting": "fitness",
    "bodybuilding": "fitness",
    "crossfit": "fitness",
    "running": "fitness",
    "AdvancedRunning": "fitness",
    "loseit": "fitness",
    "cycling": "fitness",
    "Swimming": "fitness",
    "yoga": "fitness",
    "bjj": "fitness",
    "nutrition": "nutrition",
    "Supplements": "nutrition",
    "Health": "health news",
    "medicine": "clinician talk",
}


@dataclass(frozen=True)
class Example:
    text: str
    label: int
    source: str  # e.g. "askdocs", "reddit_top/Fitness", "rfitness_recent", "hard_cases"
    key: str
    kind: str  # report group: fitness, nutrition, giving advice, ...
    split: str  # "train" | "test"
    severity: str | None = None  # expected severity where known (hard cases)
    reviewed: bool = False  # label set by hand (hard case or relabel list), not by subreddit


ASKDOCS_ORIGIN = "r/AskDocs"
HARD_CASES_ORIGIN = "hand-written hard cases"
FORUM_ORIGIN = "real forum posts"


def origin(ex: Example) -> str:
    """Where a post comes from, for reports and for fitting the threshold: r/AskDocs (many
    easy asks), our hand-written cases (clean pairs), or real forum posts (every other source,
    where the detector runs)."""
    if ex.source == "askdocs":
        return ASKDOCS_ORIGIN
    if ex.source == "hard_cases":
        return HARD_CASES_ORIGIN
    return FORUM_ORIGIN


def default_data_dir() -> Path:
    """../shared/meddata relative to the repository root, overridable with STOA_MEDDATA."""
    env = os.environ.get("STOA_MEDDATA")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared" / "meddata"


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def load_relabels(path: Path = RELABELS) -> dict[tuple[str, str], int | None]:
    """``{(source file, post id): label}``; ``None`` marks posts reviewed as ambiguous."""
    out: dict[tuple[str, str], int | None] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out[(row["source"], row["key"])] = row["label"]
    return out


def _stable_percent(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8], 16) % 100


def load_hard_cases(path: Path = HARD_CASES) -> list[Example]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            split = "test" if _stable_percent(row["text"]) < HARD_CASE_TEST_PERCENT else "train"
            out.append(
                Example(
                    text=row["text"],
                    label=int(row["label"]),
                    source="hard_cases",
                    key=str(n),
                    kind=row["kind"],
                    split=split,
                    severity=row.get("severity"),
                    reviewed=True,
                )
            )
    return out


_UPDATE_RE = re.compile(r"^\W*(?:\[?update|solved|thank)", re.IGNORECASE)


def load_askdocs(data_dir: Path, relabels: dict[tuple[str, str], int | None]) -> list[Example]:
    out = []
    for row in _read_csv(data_dir / ASKDOCS_FILE):
        title, body = row["Title"] or "", row["Body"] or ""
        text = f"{title}\n{body}".strip()
        # Update/thank-you posts often report an outcome without asking anything.
        if _UPDATE_RE.search(title) and "?" not in text:
            continue
        # Hand review finds a few posts that ask nothing about anyone's health (policy,
        # general knowledge, outcome reports): those become negatives, unclear ones are dropped.
        label = relabels.get((ASKDOCS_FILE, row["ID"]), 1)
        if label is None:
            continue
        reviewed = (ASKDOCS_FILE, row["ID"]) in relabels
        split = "test" if row["Date"] >= ASKDOCS_TEST_FROM else "train"
        kind = "asks (AskDocs)" if label else "AskDocs, not an ask"
        out.append(Example(text, label, "askdocs", row["ID"], kind, split, None, reviewed))
    return out


def load_reddit_top(data_dir: Path, relabels: dict[tuple[str, str], int | None]) -> list[Example]:
    out = []
    for path in sorted((data_dir / TOP_DIR).glob("*.csv")):
        sub = path.stem
        if sub in EXCLUDED_SUBREDDITS:
            continue
        rel = f"{TOP_DIR}/{path.name}"
        split = "test" if sub in TEST_SUBREDDITS else "train"
        for row in _read_csv(path):
            text = f"{row.get('title') or ''}\n{row.get('selftext') or ''}".strip()
            if not text:
                continue
            label = relabels.get((rel, row["id"]), 0)
            if label is None:
                continue
            kind = KIND_BY_SUBREDDIT.get(sub, "sports chatter")
            reviewed = (rel, row["id"]) in relabels
            out.append(
                Example(text, label, f"reddit_top/{sub}", row["id"], kind, split, None, reviewed)
            )
    return out


def load_recent_fitness(
    data_dir: Path, relabels: dict[tuple[str, str], int | None]
) -> list[Example]:
    out = []
    seen: set[str] = set()
    for row in _read_csv(data_dir / RECENT_FILE):
        text = f"{row.get('title') or ''}\n{row.get('selftext') or ''}".strip()
        if not text or text in seen or row["id"] in seen:
            continue
        seen.update((text, row["id"]))
        label = relabels.get((RECENT_FILE, row["id"]), 0)
        if label is None:
            continue
        reviewed = (RECENT_FILE, row["id"]) in relabels
        out.append(
            Example(text, label, "rfitness_recent", row["id"], "fitness", "test", None, reviewed)
        )
    return out


_PHPBB_POST_RE = re.compile(r"^Posted: .*\nby .*$", re.MULTILINE)


def load_seeds(seed_dir: Path) -> list[Example]:
    """The phpBB thread (post 1 asks on behalf of a dancer; replies do not) and the article."""
    out: list[Example] = []
    thread = seed_dir / "phpbb-thread-back-spasm.txt"
    if thread.exists():
        parts = _PHPBB_POST_RE.split(thread.read_text(encoding="utf-8"))[1:]
        for i, body in enumerate(parts):
            label = 1 if i == 0 else 0
            kind = "asks on behalf of someone" if i == 0 else "giving advice"
            out.append(Example(body.strip(), label, "seeds", f"phpbb-{i + 1}", kind, "test"))
    article = seed_dir / "article-back-spasm-relief.txt"
    if article.exists():
        text = article.read_text(encoding="utf-8")
        out.append(Example(text, 0, "seeds", "article", "articles", "test"))
    return out


def load_corpus(data_dir: Path | None = None, *, audit: bool = False) -> list[Example]:
    """Every example, train and test, deduplicated on exact text (first occurrence wins).

    With ``audit``, the evaluation-only labels of ``data/heldout_audit.jsonl`` also apply to
    held-out posts (never to training ones, which would leak the audit into the model)."""
    data_dir = data_dir or default_data_dir()
    if not (data_dir / ASKDOCS_FILE).exists():
        raise FileNotFoundError(
            f"medical data not found under {data_dir} (set STOA_MEDDATA or pass --data-dir)"
        )
    relabels = load_relabels()
    if audit:
        relabels = {**load_relabels(HELDOUT_AUDIT), **relabels}
    examples = (
        load_askdocs(data_dir, relabels)
        + load_reddit_top(data_dir, relabels)
        + load_recent_fitness(data_dir, relabels)
        + load_hard_cases()
        + load_seeds(data_dir.parent / "seeds")
    )
    seen: set[str] = set()
    out = []
    for ex in examples:
        if ex.text in seen:
            continue
        seen.add(ex.text)
        out.append(ex)
    if audit:
        audited = set(load_relabels(HELDOUT_AUDIT))
        leaked = [ex.key for ex in out if ex.split == "train" and _source_file(ex) in audited]
        if leaked:
            raise ValueError(f"held-out audit labels on training posts: {leaked[:5]}")
    return out


def _source_file(ex: Example) -> tuple[str, str]:
    """(source file, post id) of a scraped example, as in the relabel files."""
    if ex.source.startswith("reddit_top/"):
        return (f"{TOP_DIR}/{ex.source.split('/', 1)[1]}.csv", ex.key)
    if ex.source == "rfitness_recent":
        return (RECENT_FILE, ex.key)
    return (ex.source, ex.key)
