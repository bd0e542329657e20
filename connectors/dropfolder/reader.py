"""Reading exported files: decoding (UTF-8, UTF-8 with BOM, UTF-16/32, GBK/GB18030, any
declared codec) and rows.

Decoding is per line, not per file, so one broken byte costs one row, not the file: a
line that decodes lands, a line that does not is flagged (its text kept with U+FFFD where
the bytes were; a U+FFFD that is in the data is data). With ``encoding: auto`` each line
is decoded in its own encoding, because files get stitched together from exports of
different machines: UTF-8 first (valid multi-byte UTF-8 is almost never also meaningful
GBK), then GB18030 (the superset of GBK, what Chinese Excel writes as "CSV"). A line that
is mostly valid UTF-8 with a broken byte or two is flagged as broken UTF-8 rather than
decoded as GB18030 mojibake. The reverse does happen: a GBK line of a few characters is
often valid UTF-8 (GBK "女" is UTF-8 "Ů"), so in a file that is GB18030 by its other lines
(none only UTF-8 reads, at least as many only GB18030 reads as both read) every line is
GB18030.
A BOM declares the encoding of the whole file; a declared codec is used by any of its
names (UTF-16LE, utf_16_le). Two- and four-byte encodings are decoded as a whole and
then split, since their code units hold 0x0A bytes that are no line break.

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

__all__ = ["MARK_ERRORS", "DecodeError", "Line", "Row", "decode_lines", "read_csv", "read_xlsx"]


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


#: the error handler that marks each undecodable stretch with one lone surrogate (as
#: "replace" puts one U+FFFD): no strict decoder of these codecs yields a lone surrogate,
#: so unlike U+FFFD the mark cannot be a character of the data
MARK_ERRORS = "chub.dropfolder.mark"
_MARK = "\udc00"


def _mark(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return _MARK, exc.end


codecs.register_error(MARK_ERRORS, _mark)
#: codecs whose code units are two or four bytes: a byte 0x0A is no line break there
_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
#: the longest cell read (csv's own default is 131,072 characters): landing's bound of a
#: whole record, so a long note lands and only a cell no record could hold is refused
_FIELD_LIMIT = 1_000_000


def _broken_utf8(line: bytes) -> bool:
    """True when ``line`` is UTF-8 with a few broken bytes rather than another encoding:
    its valid multi-byte characters clearly outnumber the stretches that fail."""
    text = line.decode("utf-8", MARK_ERRORS)
    broken = text.count(_MARK)
    valid = len(text) - len(text.encode("ascii", "ignore")) - broken  # in C: lines are long
    return valid >= 2 * broken


def _strict(line: bytes, codec: str) -> str | None:
    try:
        return line.decode(codec)
    except UnicodeDecodeError:
        return None


def _flagged(line: bytes, codec: str, shown_as: str, problem: str) -> Line:
    marked = line.decode(codec, MARK_ERRORS)
    return Line(marked.replace(_MARK, "\ufffd"), shown_as, problem, marked.replace(_MARK, ""))


def _first_error(line: bytes, codec: str) -> str:
    try:
        line.decode(codec)
    except UnicodeDecodeError as exc:
        return f"{exc.reason} at byte {exc.start}"
    return "undecodable"  # pragma: no cover - only called for a line that fails


def _decode_line(line: bytes, codec: str, name: str) -> Line:
    text = _strict(line, codec)
    if text is not None:
        return Line(text, name)
    return _flagged(line, codec, name, f"not {name}: {_first_error(line, codec)}")


def _auto_lines(lines: list[bytes]) -> list[Line]:
    """Each line in its own encoding: UTF-8, else GB18030 unless it looks like broken
    UTF-8, else flagged. A line both read (GBK "女" is UTF-8 "Ů") is read as UTF-8 unless
    the file is a GB18030 file: no line of it only UTF-8 reads, and at least as many lines
    only GB18030 reads as lines both read. (Valid UTF-8 Chinese mostly is no valid GBK,
    but a GBK line of a few characters often is valid UTF-8; a UTF-8 file of accented
    Latin is valid GBK throughout, and stays UTF-8 while its Latin-1 strays are fewer.)"""
    utf8 = [_strict(line, "utf-8") for line in lines]
    failing = [i for i, text in enumerate(utf8) if text is None]
    if not failing:  # the common case: a UTF-8 file
        return [Line(text, "utf-8") for text in utf8]  # type: ignore[arg-type]
    gb: dict[int, str | None] = {i: _strict(lines[i], "gb18030") for i in failing}
    only_gb = sum(1 for i in failing if gb[i] is not None and not _broken_utf8(lines[i]))
    file_gb = False
    if only_gb:
        both = 0
        for i, text in enumerate(utf8):
            if text is None or text.isascii():
                continue
            gb[i] = _strict(lines[i], "gb18030")
            if gb[i] is None:  # a line only UTF-8 reads: the file holds UTF-8
                break
            both += 1
        else:
            file_gb = only_gb >= both
    out = []
    for i, line in enumerate(lines):
        text = utf8[i]
        if file_gb:
            if text is not None and text.isascii():
                out.append(Line(text, "utf-8"))
                continue
            decoded = gb.get(i)
            if decoded is not None:
                out.append(Line(decoded, "gb18030"))
            else:
                error = _first_error(line, "gb18030")
                problem = f"bytes that are not GB18030 ({error}) in a file read as GB18030"
                out.append(_flagged(line, "gb18030", "gb18030", problem))
        elif text is not None:
            out.append(Line(text, "utf-8"))
        elif gb[i] is not None and not _broken_utf8(line):
            out.append(Line(gb[i] or "", "gb18030"))
        else:
            error = _first_error(line, "utf-8")
            problem = f"bytes that are neither UTF-8 nor GBK/GB18030 ({error})"
            out.append(_flagged(line, "utf-8", "utf-8", problem))
    return out


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError as exc:
        raise DecodeError(f"unknown encoding {encoding!r}") from exc


def decode_lines(data: bytes, encoding: str = "auto") -> list[Line]:
    """The physical lines of a text file, each decoded on its own (see the module doc)."""
    if encoding == "auto" and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    codec = "auto" if encoding == "auto" else _codec(encoding)
    if codec in _WIDE:
        # two- and four-byte encodings cannot be split on b"\n": decode the whole file,
        # each undecodable stretch marked, then judge each line by its marks (a genuine
        # U+FFFD in the data is data)
        lines = []
        for text in _split(data.decode(codec, MARK_ERRORS)):
            if _MARK in text:
                shown, parsed = text.replace(_MARK, "\ufffd"), text.replace(_MARK, "")
                lines.append(Line(shown, encoding, f"bytes that are not {encoding}", parsed))
            else:
                lines.append(Line(text, encoding))
        return lines
    if codec in ("auto", "utf-8", "utf-8-sig") and data.startswith(codecs.BOM_UTF8):
        # a BOM is never data: it also opens files declared plain UTF-8
        data = data[len(codecs.BOM_UTF8) :]
        if codec == "auto":
            encoding = codec = "utf-8-sig"
    raw = data.splitlines(keepends=True)
    if codec == "auto":
        return _auto_lines(raw)
    return [
        _decode_line(line, "utf-8" if codec == "utf-8-sig" else codec, encoding) for line in raw
    ]


def _split(text: str) -> list[str]:
    # only \r, \n and \r\n end a line of a CSV (str.splitlines would also split on
    # \x0b, \x1c, \u2028 ... inside a cell)
    return io.StringIO(text, newline="").readlines() if text else []


def read_csv(lines: list[Line], delimiter: str = ",") -> Iterator[Row]:
    """Rows of decoded CSV lines, with the exact source lines of each record kept for
    flagging; a row is flagged when any of its lines could not be decoded."""
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)  # process-wide, and only ever raised
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
