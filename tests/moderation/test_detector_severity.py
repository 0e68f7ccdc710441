"""Red flags read in context: the word senses, hypotheticals and technique questions that a
red-flag word list gets wrong, and the rewordings it misses."""

from __future__ import annotations

import pytest

from moderation.detector.features import normalize
from moderation.detector.severity import red_flags, severity_of


def flags(text: str) -> list[str]:
    return [f.name for f in red_flags(normalize(text))]


@pytest.mark.parametrize(
    "text",
    [
        # Technique: swimmers asking about rhythm, not a symptom.
        "I have trouble breathing during breaststroke, how do I time it?",
        "I can't catch my breath on every third stroke in freestyle, any drills?",
        # Hypotheticals.
        "how long until I pass out if I hold my breath underwater?",
        "what if I faint during the race, do they pull you off the course?",
        # Word senses.
        "saw faint rainbows around the lights after swimming, is that normal?",
        "there's a faint line on my shin, is it a stress fracture?",
        "healthcare is collapsed here so I can't see a doctor about my knee, any ideas?",
        "I fell asleep on the couch and woke up with severe pain in my neck, should I stretch?",
        "I keep falling into the same mistake of overtraining and now my knee hurts like hell",
        # Fatigue, not neurological weakness.
        "since I had mono my legs feel weak on every run, how do I build back up?",
        # A negation after the limb it is about.
        "back spasm after lifting, legs feel normal and no numbness. heat or ice?",
        # The risk of an injury, not self-harm.
        "two weeks to the race, do I risk hurting myself if I try the 20 miler?",
        "how do I deadlift without hurting myself?",
        # Severe pain with no fall or accident, and a fall with no severe pain.
        "the pain is severe in my shin on every run, is it a stress fracture?",
        "fell off the bike last year, is my crooked posture from that?",
        # A device, not a person.
        "my watch battery wants to die by mile 20 and my knee aches, is the knee a worry?",
    ],
)
def test_red_flag_words_out_of_context_are_not_urgent(text):
    assert flags(text) == []
    assert severity_of(normalize(text), True)[0] == "advice"


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("continuous heart pain when I run, what could it be?", "chest_pain"),
        ("pressure on my chest when swimming", "chest_pain"),
        ("my chest tightens up whenever I bench heavy", "chest_pain"),
        ("the vision in my left eye went dark for a minute during my run", "vision_loss"),
        ("blind spots take over my vision after I swim", "vision_loss"),
        ("blind spots that seem to take over my vision after a swim", "vision_loss"),
        ("got hit in the head and now his vision keeps going dark", "vision_loss"),
        ("while stretching the vision in her left eye had gone blurry", "vision_loss"),
        ("my son keeps saying he wants to die since his injury", "suicidal"),
        ("my mouth was falling on one side after the race", "stroke"),
        ("honestly everyone would be better off if I wasn't here", "suicidal"),
        ("for the last week my left arm has felt weak and useless in the gym", "limb_numbness"),
        ("I passed out right before the finish line", "fainting"),
        ("I collapsed on the track after the 400", "fainting"),
        ("I feel faint after every long run", "fainting"),
        ("I get short of breath on easy runs now", "breathing"),
        ("asthmatic with covid, having harder-than-usual breathing moments", "breathing"),
        ("I keep wanting to hurt myself after bad races", "suicidal"),
        ("my legs went numb and tingling after the fall", "limb_numbness"),
        ("came off the bike and my wrist is swollen, the pain is severe", "severe_pain_after_fall"),
        ("crashed at the crit and my wrist is bent the wrong way", "severe_pain_after_fall"),
        ("landed on my hand off the boulder and I can't really grip", "severe_pain_after_fall"),
    ],
)
def test_reworded_red_flags_are_found(text, flag):
    assert flag in flags(text)
    assert severity_of(normalize(text), True)[0] == "urgent"
