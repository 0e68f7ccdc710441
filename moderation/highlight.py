"""Where the detector's cues sit in a post's text, for the moderators' queue.

The detector reports its cues as labels ("red flag: chest pain or pressure", "asks: should i",
'words "hurts"'), not as positions. Here each label is mapped back to the pattern the detector
used for it and run over the post's own text, so a moderator sees *which words* made the post
look like a request for advice. A label with no known pattern (a learnt weight, a cue added
later) is simply not highlighted: the full list is still on the review page.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from moderation.detector import features, severity

_WORDS_CUE_RE = re.compile(r'^words? "([^"]+)"')


@cache
def _patterns_by_label() -> dict[str, re.Pattern[str]]:
    patterns: dict[str, re.Pattern[str]] = {}
    for flag in severity.RED_FLAGS:
        patterns[f"red flag: {flag.label}"] = flag.pattern
    for label, pattern in features.ASK_PATTERNS:
        patterns[f"asks: {label}"] = re.compile(pattern)
    for label, regex in (
        ("mentions a symptom", "SYMPTOM_RE"),
        ("describes own symptom", "FIRST_PERSON_SYMPTOM_RE"),
        ("mentions an injury or condition", "CONDITION_RE"),
        ("mentions a medication", "MEDICATION_RE"),
        ("mentions care", "CARE_RE"),
    ):
        if hasattr(features, regex):
            patterns[label] = getattr(features, regex)
    return patterns


def _searchable(text: str) -> str:
    """The detector's patterns expect lower-case text with straight quotes. Map character by
    character so that every offset still points into the original text."""
    out = []
    for ch in text:
        if ch in "\u2018\u2019":
            out.append("'")
        elif ch in "\u201c\u201d":
            out.append('"')
        else:
            low = ch.lower()
            out.append(low if len(low) == 1 else ch)
    return "".join(out)


def cue_spans(text: str, cues: list[str] | tuple[str, ...]) -> list[tuple[int, int]]:
    """Sorted, merged ``(start, end)`` character ranges of ``text`` that the cues point at."""
    haystack = _searchable(text)
    known = _patterns_by_label()
    spans: list[tuple[int, int]] = []
    for cue in cues or ():
        cue = str(cue)
        pattern = known.get(cue)
        if pattern is None and (m := _WORDS_CUE_RE.match(cue)):
            words = [re.escape(w) for w in m.group(1).lower().split()]
            pattern = re.compile(r"\b" + r"\s+".join(words) + r"\b")
        if pattern is None:
            continue
        spans.extend(m.span() for m in pattern.finditer(haystack) if m.end() > m.start())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlighted(
    text: str, cues: list[str] | tuple[str, ...], *, limit: int | None = None
) -> SafeString:
    """``text`` escaped, with the cues' words in ``<mark>``. With ``limit``, an excerpt of about
    that many characters (whitespace collapsed) that starts shortly before the first cue, so the
    highlight is visible even in a long post."""
    if limit is not None:
        text = " ".join(text.split())
    spans = cue_spans(text, cues)
    start, end, prefix, suffix = 0, len(text), "", ""
    if limit is not None and len(text) > limit:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - limit // 4, len(text) - limit))
        if start:
            # Begin on a word boundary.
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < first else start
            prefix = "…"
        end = min(len(text), start + limit)
        if end < len(text):
            suffix = "…"
    parts = [prefix]
    pos = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e or s < pos:
            continue
        parts.append(escape(text[pos:s]))
        parts.append(format_html("<mark>{}</mark>", text[s:e]))
        pos = e
    parts.append(escape(text[pos:end]))
    parts.append(suffix)
    # Every piece of member text above went through escape() or format_html().
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308
