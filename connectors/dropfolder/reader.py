"""Reading exported files: decoding (UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030) and rows.

Decoding is per line, not per file, so one broken byte costs one row, not the file: a
line that decodes lands, a line that does not is flagged (its text kept with U+FFFD where
the bytes were). With ``encoding: auto`` each line is decoded in its own encoding,
because files get stitched together from exports of different machines: UTF-8 first
(valid multi-byte UTF-8 is almost never also meaningful GBK, while the reverse is
common), then GB18030 (the superset of GBK, what Chinese Excel writes as "CSV"). A line
that is mostly valid UTF-8 with a broken byte or two is flagged as broken UTF-8 rather
than decoded as GB18030 mojibake. A BOM declares the encoding of the whole file.

XLSX: a merged cell holds its value only in its top-left cell; the rows it spans get
that value filled in, and a note saying so (``Row.note``), instead of empty cells.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

__all__ = ["DecodeError", "Line", "Row", "decode_lines", "read_csv", "read_xlsx"]


class DecodeError(ValueError):
    """The bytes are none of the encodings we try."""


@dataclass(frozen=True)
class Row:
    number: int  # 1-based, the header is row 1: what a person sees in Excel
    cells: list[str] | None  # None: the row could not be parsed or decoded
    raw_text: str
    problem: str | None = None
    #: the codec that decoded this row ("xlsx" for a workbook)
    encoding: str | None = None
    #: something a person should know about a row that still lands (merged cells filled)
    note: str | None = None


@dataclass(frozen=True)
class Line:
    text: str  # with its line ending; U+FFFD where bytes could not be decoded
    encoding: str
    problem: str | None = None
    #: what the CSV parser reads of an undecodable line: the text without the bytes that
    #: failed, so a broken byte just before a quote does not turn the quote into a
    #: literal and change how the following lines split into rows (None: ``text``)
    parse_text: str | None = None


def _broken_utf8(line: bytes) -> bool:
    """True when ``line`` is UTF-8 with a few broken bytes rather than another encoding:
    its valid multi-byte characters clearly outnumber the bytes that fail."""
    text = line.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    valid = sum(1 for c in text if ord(c) > 0x7F and c != "\ufffd")
    return valid >= 2 * broken


def _decode_line(line: bytes, encoding: str) -> Line:
    if encoding != "auto":
        try:
            return Line(line.decode(encoding), encoding)
        except UnicodeDecodeError as exc:
            return Line(
                line.decode(encoding, errors="replace"),
                encoding,
                f"not {encoding}: {exc}",
                line.decode(encoding, errors="ignore"),
            )
    try:
        return Line(line.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if not _broken_utf8(line):
        try:
            return Line(line.decode("gb18030"), "gb18030")
        except UnicodeDecodeError:
            pass
    return Line(
        line.decode("utf-8", errors="replace"),
        "utf-8",
        f"bytes that are neither UTF-8 nor GBK/GB18030 ({utf8_error.reason} at byte "
        f"{utf8_error.start})",
        line.decode("utf-8", errors="ignore"),
    )


def decode_lines(data: bytes, encoding: str = "auto") -> list[Line]:
    """The physical lines of a text file, each decoded on its own (see the module doc)."""
    if encoding == "auto" and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    if encoding.replace("_", "-").lower() in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
        # two- and four-byte encodings cannot be split on b"\n": decode the file, then
        # judge each line by the replacement characters it got
        text = data.decode(encoding, errors="replace")
        return [
            Line(t, encoding, f"bytes that are not {encoding}" if "\ufffd" in t else None)
            for t in _split(text)
        ]
    if encoding == "auto" and data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8-sig"
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    if codec != "auto":
        try:
            codecs.lookup(codec)
        except LookupError as exc:
            raise DecodeError(f"unknown encoding {encoding!r}") from exc
    lines = [_decode_line(line, codec) for line in data.splitlines(keepends=True)]
    if encoding == "utf-8-sig":
        lines = [Line(line.text, encoding, line.problem, line.parse_text) for line in lines]
    return lines


def _split(text: str) -> list[str]:
    # only \r, \n and \r\n end a line of a CSV (str.splitlines would also split on
    # \x0b, \x1c, \u2028 ... inside a cell)
    return io.StringIO(text, newline="").readlines() if text else []


def read_csv(lines: list[Line], delimiter: str = ",") -> Iterator[Row]:
    """Rows of decoded CSV lines, with the exact source lines of each record kept for
    flagging; a row is flagged when any of its lines could not be decoded."""
    texts = [line.text for line in lines]
    parsed = [line.text if line.parse_text is None else line.parse_text for line in lines]
    reader = csv.reader(iter(parsed), delimiter=delimiter)
    number = 0
    consumed = 0
    while True:
        try:
            cells: list[str] | None = next(reader)
            problem = None
        except StopIteration:
            return
        except csv.Error as exc:
            cells, problem = None, f"unparsable CSV row: {exc}"
        number += 1
        mine = lines[consumed : reader.line_num]
        raw = "".join(texts[consumed : reader.line_num])
        consumed = reader.line_num
        undecodable = next((line.problem for line in mine if line.problem), None)
        if undecodable is not None:
            cells, problem = None, f"row {number} holds {undecodable}"
        encoding = mine[0].encoding if mine else None
        yield Row(number, cells, raw.rstrip("\r\n"), problem, encoding)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed into a number cell: 13800138000.0
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes, sheet: str | None = None) -> Iterator[Row]:
    from openpyxl import load_workbook  # only drop folders with XLSX pay for the import

    # not read_only: merged ranges are only known to a fully loaded sheet
    workbook = load_workbook(io.BytesIO(data), data_only=True)
    try:
        ws = workbook[sheet] if sheet else workbook.worksheets[0]
        # (row, column) -> (value of the top-left cell, the range), for the cells a
        # merge covers besides its top-left one
        filled: dict[tuple[int, int], tuple[Any, str]] = {}
        for merged in ws.merged_cells.ranges:
            top_left = ws.cell(merged.min_row, merged.min_col).value
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if (r, c) != (merged.min_row, merged.min_col):
                        filled[(r, c)] = (top_left, merged.coord)
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            ranges: list[str] = []
            for column in range(1, len(cells) + 1):
                fill = filled.get((number, column))
                if fill is not None:
                    cells[column - 1] = _cell(fill[0])
                    if fill[1] not in ranges:
                        ranges.append(fill[1])
            note = None
            if ranges and any(c.strip() for c in cells):
                note = f"row {number}: cells filled from merged cell(s) {', '.join(ranges)}"
            yield Row(number, cells, ",".join(cells), encoding="xlsx", note=note)
    finally:
        workbook.close()
