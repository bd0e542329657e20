"""A column handed over already coded, as a columnar reader (Arrow) produces it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

__all__ = ["CodedColumn"]


@dataclass(frozen=True)
class CodedColumn:
    """`codes[i]` is row i's index into `values` (its distinct cells), -1 = empty.

    `resolve` takes it wherever it takes a list of cells: a million-row column then
    costs one integer per row and one string per distinct value, and normalization
    needs no pass over the rows to find the distinct values."""

    codes: np.ndarray
    values: list[str]

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i: int) -> str | None:
        code = int(self.codes[i])
        return None if code < 0 else self.values[code]

    def __iter__(self) -> Iterator[str | None]:
        values = [*self.values, None]  # code -1 picks the last: missing
        return (values[c] for c in self.codes.tolist())
