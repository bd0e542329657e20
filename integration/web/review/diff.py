"""A character diff of two field values, so that a one-character typo shows as one
character: each side becomes runs of (text, changed)."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any, NamedTuple

__all__ = ["Run", "char_diff", "display"]


class Run(NamedTuple):
    text: str
    changed: bool


def display(value: Any) -> str:
    """A field value as one line of text (lists joined, blanks empty)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(display(v) for v in value)
    return str(value)


def _runs(pieces: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for piece in pieces:
        if not piece.text:
            continue
        if merged and merged[-1].changed == piece.changed:
            merged[-1] = Run(merged[-1].text + piece.text, piece.changed)
        else:
            merged.append(piece)
    return merged


def char_diff(left: str, right: str) -> tuple[list[Run], list[Run]]:
    """The two values as runs, the characters that differ marked ``changed``.

    When either side is empty there is nothing to align: the other side is shown as it is,
    unmarked (a missing value is not a difference inside a value). When the values share
    too little (under a third of their characters) a character diff would be confetti,
    so each whole value is marked instead.
    """
    if not left or not right:
        return _runs([Run(left, False)]), _runs([Run(right, False)])
    matcher = SequenceMatcher(None, left, right, autojunk=False)
    if matcher.ratio() < 1 / 3:
        return [Run(left, True)], [Run(right, True)]
    out_left: list[Run] = []
    out_right: list[Run] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        same = op == "equal"
        out_left.append(Run(left[i1:i2], not same))
        out_right.append(Run(right[j1:j2], not same))
    return _runs(out_left), _runs(out_right)
