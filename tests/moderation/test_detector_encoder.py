"""The sentence encoder and the cascade that decides which posts it reads."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from moderation.detector import encoder as encoder_module
from moderation.detector.encoder import DIMENSIONS, ENCODER_DIR, MAX_TOKENS, Encoder
from moderation.detector.features import extract
from moderation.detector.model import DEFAULT_ARTEFACT, ENCODER_CUE, Model


@pytest.fixture(scope="module")
def enc() -> Encoder:
    return Encoder()


@pytest.fixture(scope="module")
def model() -> Model:
    return Model.load(DEFAULT_ARTEFACT)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_long_posts_keep_their_start_and_their_end(enc):
    text = "My training log. " + "Bench 3x5, rows 3x8, felt fine. " * 300 + "Is my shoulder torn?"
    ids = enc.token_ids(text)
    assert len(ids) == MAX_TOKENS
    words = enc.tokenizer.decode(ids)
    assert words.startswith("my training log")
    assert words.endswith("is my shoulder torn?")


def test_any_text_gives_a_unit_vector(enc):
    texts = [
        "",
        "   ",
        "\x00",
        "💪🏋️",
        "pneumonoultramicroscopicsilicovolcanoconiosis",
        "a" * 20_000,
    ]
    vectors = enc.embed(texts)
    assert vectors.shape == (len(texts), DIMENSIONS)
    assert np.all(np.isfinite(vectors))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_vector_does_not_depend_on_the_rest_of_the_batch(enc):
    texts = [
        "Sharp pain in my mid back for days, any ideas?",
        "Squat day: 5x5 at 120 kg, the last set moved well.",
        "My daughter twisted her ankle at netball and it has swollen up, should she get an x-ray?"
        * 3,
    ]
    together = enc.embed(texts)
    alone = np.vstack([enc.embed([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_it_reads_meaning_not_only_words(enc):
    ask, ask_reworded, program = enc.embed(
        [
            "My knee hurts when I squat, should I get it checked by a doctor?",
            "Knee aches every time I go below parallel. Do I need to see a physio about it?",
            "My knee sleeves arrived: here is the squat program I run for the next 12 weeks.",
        ]
    )
    assert _cos(ask, ask_reworded) > _cos(ask, program) + 0.1


def test_clear_posts_are_settled_without_the_encoder(model, monkeypatch):
    def refuse() -> Encoder:
        raise AssertionError("the encoder was run on a clear post")

    monkeypatch.setattr(model, "encoder", refuse)
    clear = [
        "New study: people with knee osteoarthritis who walked daily had less pain after a "
        "year, published in JAMA this week.",
        "Hit a squat PR today, 180 kg. Knees felt great, no pain at all. Next block starts Monday.",
        "I tore my ACL six weeks ago and had surgery. Can I squat yet or should I wait for my "
        "surgeon to clear me? My knee still swells after physio.",
    ]
    for text in clear:
        assert not model.unsure(model.calibrate(model.trees_score(extract(text))[0]))
        scored = model.score(text)
        assert not scored.fast_path and not scored.encoded
        assert scored.probability < model.cascade_low or scored.probability >= model.cascade_high


def test_unsure_posts_are_read_by_the_encoder(model):
    text = "My wrist hurts a little when I do push ups. Any tips?"
    assert model.unsure(model.calibrate(model.trees_score(extract(text))[0]))
    scored = model.score(text)
    assert scored.encoded
    assert ENCODER_CUE in dict(scored.contributions)


def test_cascade_band_brackets_the_threshold(model):
    assert 0.0 <= model.cascade_low <= model.threshold <= model.cascade_high <= 1.0


def test_an_encoder_other_than_the_trained_one_is_refused(tmp_path):
    shutil.copytree(ENCODER_DIR, tmp_path / "encoder")
    tok = tmp_path / "encoder" / encoder_module.TOKENIZER_FILE
    spec = json.loads(tok.read_text(encoding="utf-8"))
    spec["model"]["vocab"]["pneumonia"], spec["model"]["vocab"]["knee"] = (
        spec["model"]["vocab"]["knee"],
        spec["model"]["vocab"]["pneumonia"],
    )
    tok.write_text(json.dumps(spec), encoding="utf-8")
    art = json.loads(DEFAULT_ARTEFACT.read_text(encoding="utf-8"))
    other = Model(art, encoder_dir=tmp_path / "encoder")
    with pytest.raises(ValueError, match="retrain"):
        other.encoder()


def test_vectors_do_not_depend_on_the_number_of_threads():
    texts = [
        "Sharp pain in my mid back for days, any ideas?",
        "My son's heel hurts after football, does he need a doctor? " * 10,
    ]
    assert np.array_equal(Encoder(threads=1).embed(texts), Encoder(threads=2).embed(texts))
