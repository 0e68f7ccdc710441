"""Metrics and the held-out report (precision, recall, F1, confusion matrix, breakdowns by kind
of post and by origin, average precision)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, label: int, flagged: bool) -> None:
        if label and flagged:
            self.tp += 1
        elif label:
            self.fn += 1
        elif flagged:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0


@dataclass
class Item:
    key: str
    text: str
    label: int
    flagged: bool
    score: float
    kind: str = ""
    severity: str = "none"
    expected_severity: str | None = None
    origin: str = ""
    source: str = ""  # e.g. "ryoga_2021", "rrunning_swimming_2024/Swimming"


@dataclass
class Report:
    overall: Counts = field(default_factory=Counts)
    by_kind: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_origin: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_source: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    items: list[Item] = field(default_factory=list)

    @property
    def errors(self) -> list[Item]:
        return [it for it in self.items if bool(it.label) != it.flagged]


def build_report(items: Sequence[Item]) -> Report:
    rep = Report()
    for it in items:
        rep.overall.add(it.label, it.flagged)
        if it.kind:
            rep.by_kind[it.kind].add(it.label, it.flagged)
        if it.origin:
            rep.by_origin[it.origin].add(it.label, it.flagged)
        if it.source:
            rep.by_source[it.source].add(it.label, it.flagged)
        rep.items.append(it)
    return rep


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def format_summary(rep: Report) -> list[str]:
    c = rep.overall
    return [
        f"examples: {c.n} ({c.tp + c.fn} positive, {c.fp + c.tn} negative)",
        f"precision: {c.precision:.3f}",
        f"recall:    {c.recall:.3f}",
        f"f1:        {c.f1:.3f}",
        "confusion matrix (rows = true label, columns = predicted):",
        "              pred 0   pred 1",
        f"  true 0    {c.tn:7d}  {c.fp:7d}",
        f"  true 1    {c.fn:7d}  {c.tp:7d}",
    ]


def _row(name: str, c: Counts) -> str:
    """Name, size, positives, precision and recall ("-" where undefined), for the tables."""
    pos = c.tp + c.fn
    prec = f"{c.precision:.3f}" if c.tp + c.fp else "  -  "
    rec = f"{c.recall:.3f}" if pos else "  -  "
    return f"{name:34s} {c.n:5d} {pos:5d} {prec:>6s} {rec:>7s}"


def format_breakdown(rep: Report) -> list[str]:
    lines = [
        f"{'kind':34s} {'n':>5s} {'pos':>5s} {'prec':>6s} {'recall':>7s} {'flagged':>8s}",
    ]
    for kind in sorted(rep.by_kind):
        c = rep.by_kind[kind]
        flagged = (c.tp + c.fp) / c.n if c.n else 0.0
        lines.append(f"{_row(kind, c)} {_pct(flagged):>8s}")
    return lines


def average_precision(items: Sequence[Item]) -> float:
    """The area under the precision-recall step curve of the scores, as scikit-learn computes
    it (posts with equal scores enter together): how well the scores rank asks above other
    posts, whatever the threshold."""
    positives = sum(1 for it in items if it.label)
    if not positives:
        return 0.0
    ranked = sorted(items, key=lambda it: it.score, reverse=True)
    tp = seen = 0
    area = last_recall = 0.0
    for n, it in enumerate(ranked):
        seen += 1
        tp += bool(it.label)
        if n + 1 < len(ranked) and ranked[n + 1].score == it.score:
            continue
        recall = tp / positives
        area += (recall - last_recall) * tp / seen
        last_recall = recall
    return area


def format_origins(rep: Report) -> list[str]:
    lines = [f"{'origin':34s} {'n':>5s} {'pos':>5s} {'prec':>6s} {'recall':>7s} {'AP':>6s}"]
    groups = [("all", rep.items)] + [
        (name, [it for it in rep.items if it.origin == name]) for name in sorted(rep.by_origin)
    ]
    for name, items in groups:
        c = rep.overall if name == "all" else rep.by_origin[name]
        ap = f"{average_precision(items):.3f}" if c.tp + c.fn else "  -  "
        lines.append(f"{_row(name, c)} {ap:>6s}")
    return lines


def format_sources(rep: Report, origin: str) -> list[str]:
    """One row per source of ``origin`` (each new source's held-out part on its own)."""
    lines = [f"{'source':34s} {'n':>5s} {'pos':>5s} {'prec':>6s} {'recall':>7s} {'AP':>6s}"]
    names = sorted({it.source for it in rep.items if it.origin == origin and it.source})
    for name in names:
        items = [it for it in rep.items if it.source == name]
        c = rep.by_source[name]
        ap = f"{average_precision(items):.3f}" if c.tp + c.fn else "  -  "
        lines.append(f"{_row(name, c)} {ap:>6s}")
    return lines


def false_alarm_lines(items: Sequence[Item], names_body_part: Callable[[str], bool]) -> list[str]:
    """How often posts that ask nothing are flagged on real fitness forums: all of them, and
    those that name a body part or an injury (where false alarms concentrate)."""
    negatives = [it for it in items if it.kind == "fitness" and not it.label]
    body = [it for it in negatives if names_body_part(it.text)]
    lines = []
    for name, group in (
        ("ordinary fitness posts", negatives),
        ("  of them naming a body part", body),
    ):
        flagged = sum(it.flagged for it in group)
        share = 100 * flagged / len(group) if group else 0.0
        lines.append(f"{name} flagged: {flagged}/{len(group)} ({share:.1f}%)")
    return lines


def format_errors(rep: Report, limit: int | None = None, width: int = 160) -> list[str]:
    errs = rep.errors
    lines = [f"errors: {len(errs)}"]
    for it in errs[:limit] if limit else errs:
        kind = "FN" if it.label else "FP"
        text = " ".join(it.text.split())[:width]
        tag = f" [{it.kind}]" if it.kind else ""
        lines.append(f"  {kind} id={it.key} score={it.score:.3f}{tag}: {text}")
    return lines


def severity_lines(items: Sequence[Item]) -> list[str]:
    """Urgent recall and precision among flagged posts whose severity is known, by origin:
    recall counts urgent asks given "urgent", precision the share of "urgent" that are."""
    rows = [it for it in items if it.expected_severity and it.flagged]
    if not rows:
        return []
    ok = sum(1 for it in rows if it.severity == it.expected_severity)
    lines = [f"severity agreement on flagged posts with a known severity: {ok}/{len(rows)}"]
    groups = [("all", rows)] + [
        (name, [it for it in rows if it.origin == name])
        for name in sorted({it.origin for it in rows})
    ]
    for name, group in groups:
        urgent = [it for it in group if it.expected_severity == "urgent"]
        called = [it for it in group if it.severity == "urgent"]
        hit = sum(1 for it in urgent if it.severity == "urgent")
        right = sum(1 for it in called if it.expected_severity == "urgent")
        rec = f"{hit / len(urgent):.3f}" if urgent else "-"
        prec = f"{right / len(called):.3f}" if called else "-"
        lines.append(
            f"urgent, {name}: recall {hit}/{len(urgent)} ({rec}), "
            f"precision {right}/{len(called)} ({prec})"
        )
    return lines


def timed(fn: Callable[[], object]) -> float:
    import time

    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0
