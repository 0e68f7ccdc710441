"""Differences between versions of a post, line by line, for the edit history page.

The diff is data (a kind and the text of each line), never HTML: the template escapes every
line, so a revision's text cannot inject markup into the page.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

# Lines of unchanged text shown around each change.
CONTEXT_LINES = 2

DiffKind = Literal["added", "removed", "context", "gap"]


@dataclass(frozen=True)
class DiffLine:
    kind: DiffKind
    text: str


def line_diff(old: str, new: str, *, context: int = CONTEXT_LINES) -> list[DiffLine]:
    """What changed from `old` to `new`: removed and added lines with `context` unchanged
    lines around them; a "gap" line stands for unchanged lines left out between changes."""
    lines: list[DiffLine] = []
    groups = difflib.SequenceMatcher(
        None, old.splitlines(), new.splitlines(), autojunk=False
    ).get_grouped_opcodes(context)
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for index, group in enumerate(groups):
        if index:
            lines.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine("context", text) for text in old_lines[i1:i2])
                continue
            lines.extend(DiffLine("removed", text) for text in old_lines[i1:i2])
            lines.extend(DiffLine("added", text) for text in new_lines[j1:j2])
    return lines
