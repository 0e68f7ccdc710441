"""The held-out report: average precision, the breakdowns by origin and by source, false
alarms on fitness posts and urgent precision and recall."""

from __future__ import annotations

import numpy as np
import pytest

from moderation.detector.corpus import (
    ASKDOCS_ORIGIN,
    FORUM_ORIGIN,
    HARD_CASES_ORIGIN,
    MENTIONS_ORIGIN,
    PATIENT_QA_ORIGIN,
    Example,
    origin,
)
from moderation.detector.evaluation import (
    Item,
    average_precision,
    build_report,
    false_alarm_lines,
    format_origins,
    format_sources,
    severity_lines,
)
from moderation.detector.features import names_body_part


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


def test_new_sources_get_their_own_origins_and_rows():
    def ex(source: str) -> Example:
        return Example("t", 0, source, "1", "fitness", "test")

    assert origin(ex("patient_qa_forums_2017/ehealthforum")) == PATIENT_QA_ORIGIN
    assert origin(ex("rhmd")) == MENTIONS_ORIGIN
    assert origin(ex("ryoga_2021")) == FORUM_ORIGIN
    items = [
        Item("1", "t", 1, True, 0.9, origin=FORUM_ORIGIN, source="ryoga_2021"),
        Item("2", "t", 0, True, 0.8, origin=FORUM_ORIGIN, source="ryoga_2021"),
        Item(
            "3", "t", 1, False, 0.2, origin=FORUM_ORIGIN, source="rrunning_swimming_2024/Swimming"
        ),
        Item("4", "t", 1, True, 0.9, origin=ASKDOCS_ORIGIN, source="askdocs"),
    ]
    header, swim, yoga = format_sources(build_report(items), FORUM_ORIGIN)
    assert header.split()[0] == "source"
    assert swim.split() == ["rrunning_swimming_2024/Swimming", "1", "1", "-", "0.000", "1.000"]
    assert yoga.split()[:5] == ["ryoga_2021", "2", "1", "0.500", "1.000"]


def test_false_alarms_are_counted_among_fitness_posts_and_those_naming_a_body_part():
    items = [
        Item("1", "my knee is fine, PR today", 0, True, 0.7, kind="fitness"),
        Item("2", "my knee clicks on squats, form tips?", 0, False, 0.2, kind="fitness"),
        Item("3", "new shoes, thoughts?", 0, False, 0.1, kind="fitness"),
        Item("4", "new shoes, thoughts?", 0, True, 0.6, kind="nutrition"),
        Item("5", "my knee swells, should I see someone?", 1, True, 0.9, kind="fitness"),
    ]
    fitness, body = false_alarm_lines(items, names_body_part)
    assert fitness == "ordinary fitness posts flagged: 1/3 (33.3%)"
    assert body.strip() == "of them naming a body part flagged: 1/2 (50.0%)"


def test_urgent_precision_and_recall_are_reported_by_origin():
    def item(expected, given, origin_name):
        return Item("k", "t", 1, True, 0.9, severity=given, expected_severity=expected,
                    origin=origin_name)  # fmt: skip

    items = [
        item("urgent", "urgent", HARD_CASES_ORIGIN),
        item("urgent", "advice", HARD_CASES_ORIGIN),
        item("advice", "urgent", FORUM_ORIGIN),
        item("urgent", "urgent", FORUM_ORIGIN),
    ]
    lines = severity_lines(items)
    assert lines[0] == "severity agreement on flagged posts with a known severity: 2/4"
    assert lines[1] == "urgent, all: recall 2/3 (0.667), precision 2/3 (0.667)"
    assert "recall 1/2 (0.500), precision 1/1 (1.000)" in lines[2]
    assert "recall 1/1 (1.000), precision 1/2 (0.500)" in lines[3]
