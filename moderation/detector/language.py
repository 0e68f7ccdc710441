"""Which language a post is written in.

The detector reads English only: its vocabulary, cues and encoder were all built from English
posts, so a Spanish "dolor en el pecho y me cuesta respirar" scores like a post about nothing.
Rather than pass such posts silently, the caller sends them to a moderator.

py3langid (a maintained fork of langid.py, naive Bayes over byte n-grams) ships its model in
the wheel (4.5 MB installed, numpy only): nothing is downloaded at run time. It is loaded on
first use, because most processes import the detector long before they read a post.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from .features import normalize

# Languages the detector can read.
SUPPORTED = frozenset({"en"})
# Short texts ("lol", "IT band pain", "PR today!!") carry too few n-grams to name their
# language; below this many letters a post is read as English, as almost all of ours are.
MIN_LETTERS = 25
# A post goes to moderators only when the identifier is this sure (softmax over its 97
# languages). English forum slang scored below it on the training posts (see README).
MIN_CONFIDENCE = 0.9

_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
# Common English words that are rarely words of other European languages (no "a", "me",
# "no", "on", "was", "so"). A post where they make up a fifth of the words is English, and
# the identifier (about 0.7 ms a post) is not needed; almost every post here is settled so.
_ENGLISH_WORDS = frozenset(
    """the and my to is it of for you that with this have but i i'm it's be are what do just
    if at or can how should been has had not after about when they would your from""".split()  # noqa: SIM905
)
_ENGLISH_SHARE = 0.2

# ISO 639-1 codes that moderators of this forum are most likely to meet, for readable cues.
NAMES = {
    "ar": "Arabic", "de": "German", "es": "Spanish", "fr": "French", "it": "Italian",
    "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "ru": "Russian", "sv": "Swedish",
    "tr": "Turkish", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "hi": "Hindi",
    "uk": "Ukrainian", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "cs": "Czech",
    "el": "Greek", "he": "Hebrew", "fa": "Persian", "ro": "Romanian", "hu": "Hungarian",
}  # fmt: skip

_lock = threading.Lock()
_identifier = None


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, e.g. "es"
    confidence: float
    readable: bool  # the detector can screen it

    @property
    def name(self) -> str:
        return NAMES.get(self.code, self.code)


ENGLISH = Language("en", 1.0, True)


def _get_identifier():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def identify(text: str) -> Language:
    """The language of ``text``; English unless the identifier is sure it is another one."""
    # The first characters name the language as well as the whole post, at a fraction of the
    # cost on long posts.
    norm = normalize(text[:800])[:600]
    letters = _LETTER_RE.findall(norm)
    if len(letters) < MIN_LETTERS:
        return ENGLISH
    words = _WORD_RE.findall(norm)
    if sum(w in _ENGLISH_WORDS for w in words) >= _ENGLISH_SHARE * len(words):
        return ENGLISH
    code, confidence = _get_identifier().classify(norm)
    # Mostly Arabic, Cyrillic, Greek or CJK letters is not English, however unsure the
    # identifier is about which language it is.
    foreign_script = sum(not ch.isascii() for ch in letters) > len(letters) / 2
    if code in SUPPORTED or (confidence < MIN_CONFIDENCE and not foreign_script):
        return ENGLISH
    return Language(code, confidence, False)
