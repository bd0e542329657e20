"""Reading exported files: decoding (UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030) and rows.

Chinese Excel saves "CSV" in the machine's ANSI code page, i.e. GBK; GB18030 is its
superset, so it decodes every GBK file. UTF-8 is tried first because valid multi-byte
UTF-8 is almost never also meaningful GBK, while the reverse is common.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

__all__ = ["DecodeError", "Row", "decode", "read_csv", "read_xlsx"]


class DecodeError(ValueError):
    """The bytes are none of the encodings we try."""


@dataclass(frozen=True)
class Row:
    number: int  # 1-based, the header is row 1: what a person sees in Excel
    cells: list[str] | None  # None: the row could not be parsed
    raw_text: str
    problem: str | None = None


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """(text, encoding used)."""
    if encoding != "auto":
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise DecodeError(f"not {encoding}: {exc}") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel "Unicode text"
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DecodeError(f"UTF-16 BOM but not UTF-16: {exc}") from exc
    for candidate in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if candidate == "utf-8-sig" and not data.startswith(codecs.BOM_UTF8):
            candidate = "utf-8"
        return text, candidate
    raise DecodeError("neither UTF-8 nor GBK/GB18030")


def read_csv(text: str, delimiter: str = ",") -> Iterator[Row]:
    """Rows of a CSV text with the exact source lines of each record kept for flagging."""
    lines = text.splitlines(keepends=True)
    reader = csv.reader(iter(lines), delimiter=delimiter)
    number = 0
    consumed = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            raw = "".join(lines[consumed : reader.line_num])
            consumed = reader.line_num
            yield Row(number, None, raw, f"unparsable CSV row: {exc}")
            continue
        number += 1
        raw = "".join(lines[consumed : reader.line_num])
        consumed = reader.line_num
        yield Row(number, cells, raw.rstrip("\r\n"))


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

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = workbook[sheet] if sheet else workbook.worksheets[0]
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            yield Row(number, cells, ",".join(cells))
    finally:
        workbook.close()
