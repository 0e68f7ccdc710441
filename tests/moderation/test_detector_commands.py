"""CLI contract of detect_medical_advice, evaluate_detector and train_detector."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from moderation import detector


@pytest.fixture(autouse=True)
def _real_model():
    detector.reset_model()
    yield
    detector.reset_model()


def _lines(*records: object) -> StringIO:
    return StringIO("".join(json.dumps(r) + "\n" for r in records))


def test_detect_writes_one_line_per_input_in_order():
    out = StringIO()
    call_command(
        "detect_medical_advice",
        stdin=_lines(
            {"id": "a", "text": "Squats 5x5 at 100 kg today, felt great."},
            {
                "id": 2,
                "text": "My daughter's knee swells after every game, should we see a doctor?",
            },
            {"id": "c", "text": "Chest pain and I passed out on my run. Should I go to the ER?"},
        ),
        stdout=out,
    )
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == ["a", 2, "c"]
    assert all(set(r) == {"id", "flagged", "score", "severity"} for r in rows)
    assert [r["flagged"] for r in rows] == [False, True, True]
    assert rows[0]["severity"] == "none" and rows[2]["severity"] == "urgent"


def test_detect_reads_a_file(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps({"id": 1, "text": "hello"}) + "\n\n", encoding="utf-8")
    out = StringIO()
    call_command("detect_medical_advice", str(path), stdout=out)
    assert json.loads(out.getvalue())["id"] == 1


def test_evaluate_scores_with_another_artefact_then_restores_the_committed_one(tmp_path):
    from moderation.detector.model import DEFAULT_ARTEFACT

    art = json.loads(DEFAULT_ARTEFACT.read_text(encoding="utf-8"))
    art["threshold"] = 1.01  # flags nothing: every ask becomes a miss
    other = tmp_path / "other.json"
    other.write_text(json.dumps(art), encoding="utf-8")
    path = tmp_path / "labelled.jsonl"
    path.write_text(
        json.dumps(
            {"id": 1, "text": "My knee swells after runs, should I see a physio?", "label": 1}
        )
        + "\n",
        encoding="utf-8",
    )
    committed, alternative = StringIO(), StringIO()
    call_command("evaluate_detector", str(path), stdout=committed)
    call_command("evaluate_detector", str(path), model=str(other), stdout=alternative)
    assert "errors: 0" in committed.getvalue()
    assert "FN id=1" in alternative.getvalue()
    assert detector.get_model().threshold == pytest.approx(
        json.loads(DEFAULT_ARTEFACT.read_text(encoding="utf-8"))["threshold"]
    )
    with pytest.raises(CommandError, match="cannot load"):
        call_command("evaluate_detector", str(path), model=str(tmp_path / "missing.json"))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"id": 1, "text": "ok"}\n{"id": 2, "text": \n', "line 2"),
        ('{"id": 1, "text": "ok"}\n[1, 2]\n', "line 2"),
        ('{"id": 1, "text": "ok"}\n\n{"text": "no id"}\n', "line 3"),
        ('{"id": 1, "text": 5}\n', "line 1"),
        ('{"id": null, "text": "x"}\n', "line 1"),
    ],
)
def test_detect_refuses_malformed_input_with_the_line_number(payload, message):
    out = StringIO()
    with pytest.raises(CommandError, match=message):
        call_command("detect_medical_advice", stdin=StringIO(payload), stdout=out)
    assert out.getvalue() == ""


def test_detect_reports_a_missing_file_clearly(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("detect_medical_advice", str(tmp_path / "missing.jsonl"), stdout=StringIO())


def test_evaluate_prints_metrics_confusion_matrix_and_errors(tmp_path):
    path = tmp_path / "labelled.jsonl"
    records = [
        {"id": 1, "text": "My knee swells after runs, should I see a physio?", "label": 1},
        {"id": 2, "text": "How do I keep my back flat when deadlifting?", "label": 0},
        {"id": 3, "text": "Best running shoes for a marathon?", "label": 1},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = StringIO()
    call_command("evaluate_detector", str(path), stdout=out)
    text = out.getvalue()
    for needle in ("precision:", "recall:", "f1:", "confusion matrix", "errors: 1", "FN id=3"):
        assert needle in text


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"id": 1, "text": "x"}\n', 'line 1: missing "label"'),
        ('{"id": 1, "text": "x", "label": "yes"}\n', "line 1"),
        ('{"id": 1, "text": "x", "label": 1}\nnot json\n', "line 2"),
        ('{"id": 1, "text": "x", "label": 3}\n', "must be 0 or 1"),
    ],
)
def test_evaluate_refuses_malformed_input(payload, message):
    with pytest.raises(CommandError, match=message):
        call_command("evaluate_detector", "-", stdin=StringIO(payload), stdout=StringIO())


def test_evaluate_needs_a_file_or_builtin():
    with pytest.raises(CommandError, match="--builtin"):
        call_command("evaluate_detector", stdout=StringIO())


def test_builtin_evaluation_fails_clearly_without_the_shared_data(tmp_path):
    with pytest.raises(CommandError, match="STOA_MEDDATA"):
        call_command("evaluate_detector", builtin=True, data_dir=tmp_path, stdout=StringIO())


def test_training_refuses_cross_fit_scores_left_from_another_encoder(monkeypatch, tmp_path):
    import shutil
    from functools import partial

    from moderation.detector import corpus, training
    from moderation.detector.encoder import CROSSFIT_FILE, ENCODER_DIR, Encoder

    encoder_dir = tmp_path / "encoder"
    shutil.copytree(ENCODER_DIR, encoder_dir)
    stale = json.loads((encoder_dir / CROSSFIT_FILE).read_text())
    stale["encoder"] = "0" * 64  # as if the encoder had been rebuilt without its scores
    (encoder_dir / CROSSFIT_FILE).write_text(json.dumps(stale))
    cases = corpus.load_hard_cases()
    tiny = [c for c in cases if c.label == 1][:20] + [c for c in cases if c.label == 0][:30]
    monkeypatch.setattr(corpus, "load_corpus", lambda data_dir: tiny)
    monkeypatch.setattr(training, "Encoder", partial(Encoder, encoder_dir))
    output = tmp_path / "m.json"
    with pytest.raises(CommandError, match="build_encoder"):
        call_command("train_detector", "--output", str(output), stdout=StringIO())
    assert not output.exists()
