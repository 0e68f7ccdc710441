from __future__ import annotations

import pytest
from django.core.cache import cache

from moderation import detector
from moderation.detector import Detection

# Deterministic stand-ins for the model: tests of the workflow must not depend on its exact
# scores. A marker in the text decides the detection.
STUB_VERSION = "stub-1"


def stub_detect(text: str) -> Detection:
    if "[urgent]" in text:
        return Detection(True, 0.97, "urgent", ("red flag: chest pain or pressure",), STUB_VERSION)
    if "[advice]" in text:
        return Detection(True, 0.85, "advice", ("asks: should I see",), STUB_VERSION)
    if "[borderline]" in text:
        return Detection(True, 0.6, "advice", ("mentions a symptom",), STUB_VERSION)
    if "[unsure]" in text:
        cues = ("unsure: scored just below the threshold",)
        return Detection(False, 0.5, "none", cues, STUB_VERSION, unsure=True)
    return Detection(False, 0.02, "none", ("no health terms",), STUB_VERSION)


@pytest.fixture
def stub_detector(monkeypatch):
    monkeypatch.setattr(detector, "detect", stub_detect)
    monkeypatch.setattr(detector, "detect_many", lambda texts: [stub_detect(t) for t in texts])
    return stub_detect


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache; every test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_post(member, make_thread):
    """A thread's first post with the given text, by `member` unless told otherwise."""

    def make(body, *, author=None, in_category=None):
        thread = make_thread(author or member, body=body, in_category=in_category)
        return thread.posts.get(number=1)

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Factories set a password on every user; the production hasher costs most of a test's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
