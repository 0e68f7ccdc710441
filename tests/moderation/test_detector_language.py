"""Language identification in front of the detector."""

from __future__ import annotations

import pytest

from moderation import detector
from moderation.detector import detect
from moderation.detector.language import identify

ASKS = {
    "es": "Tengo dolor en el pecho y me cuesta respirar cuando corro, ¿debo ir a urgencias?",
    "de": "Ich habe seit zwei Tagen Brustschmerzen und Atemnot beim Laufen, soll ich zum Arzt?",
    "fr": "J'ai mal à la poitrine et du mal à respirer en courant, dois-je aller aux urgences ?",
    "ar": "أشعر بألم في صدري وصعوبة في التنفس عندما أركض، هل يجب أن أذهب إلى الطوارئ؟",
}


@pytest.fixture(autouse=True)
def _real_model():
    detector.reset_model()
    yield
    detector.reset_model()


@pytest.mark.parametrize("code", sorted(ASKS))
def test_asks_in_other_languages_are_not_screened_and_say_which_language(code):
    d = detect(ASKS[code])
    assert d.screened is False
    assert d.language == code
    assert d.flagged is False and d.severity == "none"
    assert d.cues and d.cues[0].startswith("not screened: written in ")


@pytest.mark.parametrize(
    "text",
    [
        "lol",
        "IT band pain",
        "Squat 100kg PR today!!",
        "DOMS after leg day, tips?",
        "Swimmer's ear again?",
        "Had a great 10k today, new PB. Legs are dead lol",
        "Tempo run 8x400 @ 5k pace, 90s jog rest. Felt strong, HR 165 avg.",
        "Fartlek Tuesday: 6 x 3 min hard / 2 min easy. Garmin says VO2max 52 now.",
    ],
)
def test_short_english_and_training_shorthand_are_read_as_english(text):
    lang = identify(text)
    assert lang.readable and lang.code == "en"
    assert detect(text).screened is True


def test_english_with_a_foreign_phrase_is_still_screened():
    text = (
        "My abuela always said 'mas vale prevenir que curar'. Anyway my knee swells after "
        "every long run, should I get it checked?"
    )
    d = detect(text)
    assert d.screened is True
    assert d.flagged
