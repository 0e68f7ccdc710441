"""The held-out report: average precision and the breakdown by origin."""

from __future__ import annotations

import numpy as np
import pytest

from moderation.detector.corpus import (
    ASKDOCS_ORIGIN,
    FORUM_ORIGIN,
    HARD_CASES_ORIGIN,
    Example,
    origin,
)
from moderation.detector.evaluation import (
    Item,
    average_precision,
    build_report,
    format_origins,
)


def _items(labels, scores, origin_name=""):
    return [
        Item(str(n), "text", label, score >= 0.5, score, origin=origin_name)
        for n, (label, score) in enumerate(zip(labels, scores, strict=True))
    ]


def test_average_precision_by_hand():
    # Ranked: ask, other, ask. Precision 1 at recall 0.5, then 2/3 at recall 1.
    items = _items([1, 0, 1], [0.9, 0.8, 0.7])
    assert average_precision(items) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert average_precision(_items([1, 1, 0], [0.9, 0.8, 0.1])) == 1.0
    assert average_precision(_items([0, 0], [0.9, 0.1])) == 0.0


def test_average_precision_agrees_with_scikit_learn_with_ties():
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 500)
    scores = np.round(rng.uniform(0, 1, 500) + 0.3 * labels, 1)  # rounded: many ties
    ours = average_precision(_items(labels.tolist(), scores.tolist()))
    assert ours == pytest.approx(average_precision_score(labels, scores))


def test_posts_are_grouped_by_origin():
    def ex(source: str) -> Example:
        return Example("t", 0, source, "1", "fitness", "test")

    assert origin(ex("askdocs")) == ASKDOCS_ORIGIN
    assert origin(ex("hard_cases")) == HARD_CASES_ORIGIN
    assert origin(ex("reddit_top/Fitness")) == FORUM_ORIGIN
    assert origin(ex("rfitness_recent")) == FORUM_ORIGIN


def test_the_origin_table_gives_each_group_its_own_numbers():
    items = _items([1, 1, 0], [0.9, 0.8, 0.2], ASKDOCS_ORIGIN)
    items += _items([1, 0, 0, 0], [0.3, 0.7, 0.1, 0.6], FORUM_ORIGIN)
    header, overall, askdocs, forum = format_origins(build_report(items))
    assert header.split() == ["origin", "n", "pos", "prec", "recall", "AP"]
    assert overall.split()[1:] == ["7", "3", "0.500", "0.667", f"{average_precision(items):.3f}"]
    assert askdocs.split()[-5:] == ["3", "2", "1.000", "1.000", "1.000"]
    # One ask, scored below two other posts: nothing right among the flagged, AP 1/3.
    assert forum.split()[-5:] == ["4", "1", "0.000", "0.000", "0.333"]
