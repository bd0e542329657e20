"""Character-level helpers shared by the normalizers and the address splitter."""

from __future__ import annotations

import re
from functools import cache

__all__ = ["has_cjk", "to_simplified"]

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@cache
def _t2s_table() -> dict[int, str]:
    """Character-level traditional -> simplified table read from opencc's own
    TSCharacters dictionary. The pure-Python opencc costs ~50 us per string; a
    str.translate with its character table is ~0.3 us, and the phrase-level rules it
    skips (regional word choices) do not change who a name or address refers to."""
    from importlib import resources

    text = resources.files("opencc").joinpath("dictionary", "TSCharacters.txt")
    table: dict[int, str] = {}
    for line in text.read_text("utf-8").splitlines():
        key, _, value = line.partition("\t")
        target = value.split(" ")[0]
        if len(key) == 1 and target and target != key:
            table[ord(key)] = target
    return table


def to_simplified(text: str) -> str:
    """Traditional to simplified Chinese (張偉 -> 张伟); other text is returned as is."""
    if text.isascii():  # most Latin text: a table lookup per character saved
        return text
    return text.translate(_t2s_table())
