"""The medical-advice detector: interface, behaviour on clear cases, severity and negation."""

from __future__ import annotations

import json
import threading

import pytest

from moderation import detector
from moderation.detector import Detection, detect, detect_many
from moderation.detector.features import normalize
from moderation.detector.model import DEFAULT_ARTEFACT
from moderation.detector.severity import red_flags, severity_of


@pytest.fixture(autouse=True)
def _real_model():
    # Other moderation tests swap in a stub; these tests are about the committed model.
    detector.reset_model()
    yield
    detector.reset_model()


def test_detection_has_the_documented_shape():
    d = detect("My knee swells after every run, should I see a doctor?")
    assert isinstance(d, Detection)
    assert isinstance(d.flagged, bool)
    assert 0.0 <= d.score <= 1.0
    assert d.severity in {"none", "advice", "urgent"}
    assert 1 <= len(d.cues) <= 5 and all(isinstance(c, str) for c in d.cues)
    assert d.model_version.startswith("stoa-meddetect-")


def test_model_version_is_the_one_stored_in_the_artefact():
    stored = json.loads(DEFAULT_ARTEFACT.read_text(encoding="utf-8"))["model_version"]
    assert detect("hello").model_version == stored


def test_artefact_is_plain_json_and_small():
    assert DEFAULT_ARTEFACT.suffix == ".json"
    assert DEFAULT_ARTEFACT.stat().st_size < 3 * 1024 * 1024


def test_detect_many_matches_detect_in_order():
    texts = [
        "Squat 5x5 today, felt strong.",
        "My son's heel hurts after football, does he need a doctor?",
        "",
    ]
    assert detect_many(texts) == [detect(t) for t in texts]
    assert detect_many(iter(texts)) == [detect(t) for t in texts]


def test_empty_and_odd_input_does_not_raise():
    for text in ["", "   ", "???", "\x00", "a" * 50_000, "💪🏋️"]:
        assert detect(text).severity == "none"


def test_model_is_loaded_once_across_threads():
    detector.reset_model()
    seen = []

    def work() -> None:
        seen.append(id(detector.get_model()))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "I'm a massage therapist. One of my dancers has had sharp shooting pain in her mid back "
        "for days and it floored her this weekend. Any ideas what might have caused her spasm?",
        "My 12 year old son's elbow hurts on the inside after pitching. Does he need to rest the "
        "whole season or see a doctor?",
        "I tore my ACL 6 weeks ago and I'm waiting for surgery. Can I still squat?",
        "Type 1 diabetic training for a marathon, how do I fuel long runs without my blood sugar "
        "crashing?",
        "Is it safe to take ibuprofen every day for my tendinitis so I can keep lifting?",
        "Week 6 log: squat 5x5 100kg, bench 5x5 70kg, deadlift 140kg. My left knee has been "
        "swelling after squat days and it's stiff in the morning, should I be worried?",
        # One-liners, as LABELING.md writes them: a model that learned "short posts are news
        # titles" misses every one of these.
        "Sharp pain in my mid back for days, any ideas?",
        "my knee clicks and swells after runs, should I worry",
        "I tore my ACL 6 weeks ago, can I squat yet?",
        "type 1 diabetic, how do I fuel a marathon?",
        "any ideas what caused her spasm?",
        "knee swelling after running, physio or rest?",
        "Is my meniscus torn",
    ],
)
def test_asks_for_medical_advice_are_flagged(text):
    assert detect(text).flagged


@pytest.mark.parametrize(
    "text",
    [
        "How do I stop my lower back rounding at the bottom of my deadlift?",
        "DOMS after leg day is killing me lol, walking down stairs is a struggle. Tips?",
        "I would refer out purely because of the pain. Get her to a physio.",
        "Back spasms are sudden, involuntary contractions of the muscles in your back. In this "
        "article we explore common causes and when to seek professional help.",
        "Tore my ACL in 2017, had surgery, and last weekend I ran my first marathon!",
        "What's everyone's favourite running shoe this year?",
        "How much protein do I need per day to build muscle?",
        "how do I stop my back rounding on deadlifts?",
        "DOMS after leg day, tips?",
        "get her to a physio",
        "Is it safe to keep riding with a small crack in my carbon frame?",
    ],
)
def test_posts_that_do_not_ask_for_medical_advice_are_not_flagged(text):
    d = detect(text)
    assert not d.flagged
    assert d.severity == "none"


def test_red_flag_ask_is_urgent_and_says_why():
    d = detect(
        "Doing heavy squats I got a crushing pressure in my chest that spread to my arm. "
        "Should I go to the ER?"
    )
    assert d.flagged
    assert d.severity == "urgent"
    assert d.cues[0] == "red flag: chest pain or pressure"


def test_negated_red_flags_leave_a_flagged_post_at_advice():
    d = detect(
        "Lower back pain for a week after deadlifts, no numbness or tingling in my legs and no "
        "problems going to the bathroom. Should I see a physio or just rest?"
    )
    assert d.flagged
    assert d.severity == "advice"


@pytest.mark.parametrize(
    "text",
    [
        "no numbness in my legs",
        "I'm not short of breath at all",
        "knee pain without any tingling in my legs",
        "I never fainted",
        "felt dizzy but didn't faint",
        "stiff neck from sleeping badly, no fever",
        "denies chest pain",
        "no numbness or tingling down the legs, no bladder or bowel issues",
        "my hands go white and numb when I cycle in the cold",
        "hit my head on the bar, no confusion and I never threw up",
    ],
)
def test_negated_red_flags_are_ignored(text):
    assert red_flags(normalize(text)) == []


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("I have numbness in my left leg since yesterday", "limb_numbness"),
        ("my arm and hand have been going numb and weak", "limb_numbness"),
        ("I get short of breath walking upstairs", "breathing"),
        ("I can't breathe properly after the swim", "breathing"),
        ("I passed out in the shower after my run", "fainting"),
        ("I've lost bladder control at night", "bladder_bowel"),
        ("fell off my bike and now severe pain in my hip", "severe_pain_after_fall"),
        ("suddenly lost vision in one eye", "vision_loss"),
        ("his face was drooping and his speech was slurred", "stroke"),
        ("high fever and a stiff neck after camp", "fever_stiff_neck"),
        ("I've been having suicidal thoughts", "suicidal"),
        # How people actually write them, not only the textbook words.
        ("got a squeezing feeling across my chest on the climb", "chest_pain"),
        ("chest went tight and I couldn't get a full breath in", "breathing"),
        ("the spasm made it hard for her to breathe deeply", "breathing"),
        ("coach said his lips looked a bit blue after the sprint", "breathing"),
        ("he was out cold for a few seconds after the tackle", "fainting"),
        ("pins and needles in my left hand since the pop in my neck", "limb_numbness"),
        ("couldn't really tell when I needed to pee this morning", "bladder_bowel"),
        ("came off on the descent, hip hurts like hell, 9/10", "severe_pain_after_fall"),
        ("a dark curtain over the top of his vision", "vision_loss"),
        ("couldn't get his words out and his mouth looked droopy", "stroke"),
        ("fever of 39.5 and I can't put my chin to my chest", "fever_stiff_neck"),
        ("hit his head in the match, now confused and threw up twice", "head_injury"),
        ("she says everyone would be better off without her", "suicidal"),
    ],
)
def test_each_red_flag_is_recognised(text, flag):
    assert flag in [f.name for f in red_flags(normalize(text))]


def test_severity_is_none_when_not_flagged():
    assert severity_of(normalize("crushing chest pain, should I go to the ER?"), False) == (
        "none",
        [],
    )


def test_askdocs_style_headers_are_stripped():
    norm = normalize("Weird rash (23F) 5'4 130lbs\nAge: 23\nPhysician Responded")
    assert "23f" not in norm and "age" not in norm and "physician" not in norm
    assert "rash" in norm


def test_inference_imports_neither_scikit_learn_nor_scipy():
    # They are the `train` extra: a production install has neither.
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "from moderation.detector import detect\n"
        "detect('My knee swells after every run and it hurts, should I see a doctor?')\n"
        "detect('Tengo dolor en el pecho y me cuesta respirar cuando corro, que hago?')\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'})\n"
        "assert not bad, bad\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=120)  # noqa: S603


def _model_with_band(low):
    data = json.loads(DEFAULT_ARTEFACT.read_text(encoding="utf-8"))
    data["unsure"] = {"low": low}
    if low is None:
        del data["unsure"]
    return detector.Model(data)


def test_a_post_scored_in_the_unsure_band_is_unsure_not_flagged():
    text = "Post your PRs of the week, mine is a 180 kg deadlift"
    plain = detect(text)
    assert not plain.flagged
    # A band reaching down to the post's score puts it in front of moderators.
    detector.reset_model(_model_with_band(plain.score))
    d = detect(text)
    assert d.unsure and not d.flagged and d.severity == "none"
    assert d.cues[0] == "unsure: scored just below the threshold"
    # Just under the band, it passes as before.
    detector.reset_model(_model_with_band(plain.score + 0.001))
    assert not detect(text).unsure


def test_flagged_posts_and_artefacts_without_a_band_are_never_unsure():
    ask = "My knee swells after every run, should I see a doctor?"
    detector.reset_model(_model_with_band(0.0))
    assert detect(ask).flagged and not detect(ask).unsure
    detector.reset_model(_model_with_band(None))
    model = detector.get_model()
    assert model.unsure_low == model.threshold
    assert not detect("Post your PRs of the week").unsure


def test_posts_the_gate_settles_get_the_full_paths_detection():
    """detect() skips the rest of the features for a post with no health term (the gate's
    probability decides it): the detection is the same as the full path's, for every hand-
    written case and forum-like text, gated or not."""
    from moderation.detector import _detect_with, _gate_settles

    model = detector.get_model()
    texts = [
        json.loads(line)["text"]
        for line in DEFAULT_ARTEFACT.parent.parent.joinpath("data", "hard_cases.jsonl")
        .read_text()
        .splitlines()
    ]
    texts += [
        "Benchmark reply 1-2-3: my squat went up after a deload week, tempo work helps.",
        "",
        "   ",
        "Ceci n'est pas une question médicale, juste un message sur le vélo.",
        "My knee hurts when I squat, should I get it checked?",
    ]
    gated = [text for text in texts if _gate_settles(model, text)]
    assert len(gated) > 100  # the shortcut is exercised, not only the full path
    for text in texts:
        assert _detect_with(model, text) == _detect_with(model, text, gate_shortcut=False), text
