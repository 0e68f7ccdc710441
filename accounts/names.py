"""Names people read: usernames, display names and thread titles.

- Usernames are NFKC-normalised (Django's `normalize_username`), so a full-width spelling
  and the plain one are one name, and compared by *skeleton* against every existing name:
  two names with one skeleton look alike (Cyrillic and Latin a, `0` and `O`).
- A display name may not look like a staff member's name, spaces and punctuation aside
  ("Mo Derator" for `moderator`): post headers would then look exactly like theirs.
- Titles and names must have something visible in them, and may not hold bidirectional
  controls, which reorder the text around them ("right-to-left override").

The skeleton follows Unicode's UTS #39 idea (map every character to a representative of
the characters it can be confused with) using the confusables table that
`confusable_homoglyphs` ships: characters listed as confusable with each other form one
class (transitively), represented by its ASCII member when it has one. A character that
the table says looks like several ASCII characters ("m" and "rn", "\u00e6" and "ae") is then
written as those characters, so "rnoderator" meets "moderator".
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from importlib.resources import files

from django.core.exceptions import ValidationError
from django.db.models import Q

# Bidirectional formatting characters: embeddings, overrides, isolates and marks.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# Letters and symbols that render as blank space without being Unicode "space" or format
# characters: Hangul fillers, the braille blank, the Mongolian vowel separator.
BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
# Categories that draw nothing by themselves: format, control, separators and combining marks.
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})
# The table wraps right-to-left characters in these marks; they are not part of the glyph.
_DIRECTION_MARKS = "\u200e\u200f"


@lru_cache(maxsize=1)
def _table() -> dict[str, list[dict[str, str]]]:
    return json.loads(
        files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8")
    )


@lru_cache(maxsize=1)
def _classes() -> dict[str, str]:
    """Character -> representative of its confusable class."""
    table = _table()
    parent: dict[str, str] = {}
    seen: set[str] = set()

    def find(c: str) -> str:
        root = c
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(c, c) != root:  # path compression
            parent[c], c = root, parent[c]
        return root

    def union(a: str, b: str) -> None:
        seen.update((a, b))
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for char, homoglyphs in table.items():
        if len(char) != 1:
            continue
        for entry in homoglyphs:
            other = entry["c"]
            # Multi-character look-alikes ("rn" for "m") are left out: a class maps one
            # character to one character.
            if len(other) == 1:
                union(char, other)
    members: dict[str, list[str]] = {}
    for char in seen:
        members.setdefault(find(char), []).append(char)
    representative: dict[str, str] = {}
    for group in members.values():
        ascii_members = sorted(c for c in group if c.isascii())
        rep = ascii_members[0] if ascii_members else min(group)
        for c in group:
            representative[c] = rep
    return representative


@lru_cache(maxsize=1)
def _expansions() -> dict[str, str]:
    """Class representative -> the several ASCII characters it looks like ("m" -> "rn").

    The table lists such pairs in both directions (a character with a multi-character
    look-alike, and a multi-character key with single-character look-alikes). Only ASCII
    expansions are kept, so every skeleton ends in one alphabet and stays short."""
    classes = _classes()

    def rep(text: str) -> str:
        return "".join(classes.get(c, c) for c in text.strip(_DIRECTION_MARKS))

    expansions: dict[str, str] = {}
    for key, homoglyphs in _table().items():
        for entry in homoglyphs:
            one, several = (key, entry["c"]) if len(key) == 1 else (entry["c"], key)
            several = rep(several)
            if len(one) == 1 and len(several) > 1 and several.isascii():
                expansions.setdefault(classes.get(one, one), several)
    return expansions


def _map(text: str) -> str:
    classes, expansions = _classes(), _expansions()
    decomposed = unicodedata.normalize("NFD", text)
    mapped = (classes.get(c, c) for c in decomposed if unicodedata.category(c) not in {"Mn", "Me"})
    return "".join(expansions.get(c, c) for c in mapped)


def skeleton(text: str) -> str:
    """What `text` looks like, whatever its case: NFKC, case-folded, each character
    replaced by the representative of its confusable class (accents dropped)."""
    return _map(unicodedata.normalize("NFKC", text).casefold()).casefold()


def cased_skeleton(text: str) -> str:
    """What `text` looks like as typed: capitals mapped before folding, so `I` meets `l`
    and `O` meets `0`, which `skeleton` (lower-case first) cannot see."""
    return _map(unicodedata.normalize("NFKC", text)).casefold()


def loose_skeleton(text: str) -> str:
    """The skeleton of the letters and digits only: "Mo Derator" and "moderator" match."""
    return "".join(c for c in skeleton(text) if c.isalnum())


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip()


def has_visible_text(text: str) -> bool:
    return any(
        unicodedata.category(c) not in INVISIBLE_CATEGORIES and c not in BLANK_LOOKALIKES
        for c in text
    )


def check_visible_text(text: str, *, field: str, what: str) -> None:
    """Refuse text that reorders what follows it or shows nothing at all."""
    if any(c in BIDI_CONTROLS for c in text):
        raise ValidationError(
            {field: [f"{what} cannot contain right-to-left or other direction controls."]}
        )
    if text and not has_visible_text(text):
        raise ValidationError({field: [f"{what} must contain visible characters."]})


def check_username(username: str, *, exclude_pk: int | None = None) -> str:
    """The NFKC form of `username`, or ValidationError when it is taken or looks like a name
    that is (by skeleton, against every account, active or not)."""
    from accounts.models import User

    username = normalize_username(username)
    check_visible_text(username, field="username", what="A username")
    others = User.objects.all()
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": [ValidationError("That username is taken.", code="duplicate")]}
        )
    if others.filter(
        Q(username_skeleton=skeleton(username))
        | Q(username_cased_skeleton=cased_skeleton(username))
    ).exists():
        raise ValidationError(
            {
                "username": [
                    ValidationError(
                        "That username looks too much like an existing one. Choose another.",
                        code="duplicate",
                    )
                ]
            }
        )
    return username


def check_display_name(display_name: str, *, user) -> None:
    """Refuse a display name that looks like the name of a staff member other than `user`."""
    from accounts.models import MODERATORS_GROUP, User

    check_visible_text(display_name, field="display_name", what="A display name")
    if not display_name:
        return
    mine = loose_skeleton(display_name)
    if not mine:
        return
    staff = (
        User.objects.filter(
            Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name=MODERATORS_GROUP)
        )
        .exclude(pk=user.pk)
        .distinct()
        .only("username", "display_name")
    )
    for member in staff:
        names = [member.username, member.display_name]
        if any(name and loose_skeleton(name) == mine for name in names):
            raise ValidationError(
                {"display_name": ["That name looks like a staff member's. Choose another."]}
            )
