"""Drop-folder files under generated content, in every encoding the drop folder claims,
synced through the real source, landing and standardize.

A generated file has a header and data rows of any Unicode its encoding can hold (NUL,
quotes, delimiters and line breaks in cells, huge cells) and rows made bad on purpose:
ragged (a cell too many or too few), broken bytes inserted, exact duplicates, blank
lines between rows, sometimes broken bytes in the header. The promises:

* every data row lands as one row or one flagged row, keyed by the key column (a row
  the reader flags by ``<file>#<row>``) or by its content; no key that no row has;
* a row not made bad whose bytes the encoding rules read back as written lands
  unflagged with exactly the values written; a row made bad lands flagged, its text kept
  (U+FFFD where the broken bytes were);
* a sync that crashes in the middle of the file and is run again, a re-sync, a
  ``--full`` re-sync and the same file dropped again under another name land nothing
  twice;
* standardize gives every landed record a verdict; no step crashes.

Formats: ``auto`` with UTF-8, UTF-8 with BOM, UTF-16 LE/BE with BOM, GB18030, GBK and
files stitched from UTF-8 and GBK rows; declared codecs (gbk, UTF-16LE, utf_16_be,
utf-16, utf-32, UTF-32BE, big5, shift_jis, cp1252); XLSX. Which codec ``auto`` reads a
line in is the reader's documented rule (restated in :func:`_auto_codecs`): a GBK line
that is also valid UTF-8, in a file without enough GBK evidence, is read as UTF-8, so
such rows are held to "one row or one flagged row" and not to their values.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note, seed, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import Engine, text

import quality
from connectors.contract import Page, RawRecord
from connectors.dropfolder import DropFolderSource, Settings
from integration.pipeline.land import storable, sync_source
from integration.pipeline.standardize import standardize
from tests.property import strategies as gen
from tests.property.figures import EXAMPLES, PROPERTY, tally

RULES = quality.default_rules()
_names = itertools.count(1)
#: half the suite's examples per format: 18 formats, each example five syncs and two
#: standardize runs (all 18 at 10 took 41 s on SQLite, 70 s on PostgreSQL here)
_SETTINGS = settings(PROPERTY, max_examples=max(2, EXAMPLES // 2))
_SEED = os.environ.get("CHUB_PROPERTY_SEED")
#: one lone surrogate per undecodable stretch (as "replace" puts one U+FFFD), so counting
#: the stretches is not fooled by a genuine U+FFFD in the text
_MARK = "chub-test.mark"


def _mark(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    return "\udc00", exc.end


codecs.register_error(_MARK, _mark)


@dataclass(frozen=True)
class Format:
    #: Settings.encoding
    encoding: str
    #: the codec the rows are written in; None: each row UTF-8 or GBK (a stitched file)
    codec: str | None
    bom: bytes = b""
    #: bytes no decoder of this format takes where they are put (a row made broken)
    broken: bytes = b"\xff"


FORMATS: dict[str, Format] = {
    "auto utf-8": Format("auto", "utf-8"),
    "auto utf-8 bom": Format("auto", "utf-8", codecs.BOM_UTF8),
    "utf-8-sig": Format("utf-8-sig", "utf-8", codecs.BOM_UTF8),
    # a lone low surrogate: no UTF-16 decoder takes it after a whole character
    "auto utf-16-le bom": Format("auto", "utf-16-le", codecs.BOM_UTF16_LE, b"\x00\xdc"),
    "auto utf-16-be bom": Format("auto", "utf-16-be", codecs.BOM_UTF16_BE, b"\xdc\x00"),
    "auto gb18030": Format("auto", "gb18030"),
    "auto gbk": Format("auto", "gbk"),
    "auto mixed utf-8/gbk": Format("auto", None),
    "gbk": Format("gbk", "gbk"),
    "UTF-16LE": Format("UTF-16LE", "utf-16-le", b"", b"\x00\xdc"),
    "utf_16_be": Format("utf_16_be", "utf-16-be", b"", b"\xdc\x00"),
    "utf-16": Format("utf-16", "utf-16-le", codecs.BOM_UTF16_LE, b"\x00\xdc"),
    "utf-32": Format("utf-32", "utf-32-le", codecs.BOM_UTF32_LE, b"\x00\x00\x11\x00"),
    "UTF-32BE": Format("UTF-32BE", "utf-32-be", b"", b"\x00\x11\x00\x00"),
    "big5": Format("big5", "big5"),
    "shift_jis": Format("shift_jis", "shift_jis"),
    "cp1252": Format("cp1252", "cp1252", b"", b"\x81"),
    "xlsx": Format("auto", "xlsx"),
}
#: the formats read line by line in the ``auto`` rule (not fixed by a BOM)
_AUTO_LINES = {"auto utf-8", "auto gb18030", "auto gbk", "auto mixed utf-8/gbk"}

HEADERS = ["编号", "姓名", "手机", "邮箱", "公司", "备注"]
ASCII_HEADERS = ["id", "name", "mobile", "email", "company", "note"]
#: what XML (so XLSX) cannot hold at all
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: landing's bound of a payload (LandingSettings.max_record_chars)
_MAX_CHARS = 1_000_000


def _holds(codec: str | None, char: str) -> bool:
    """Whether a file written in ``codec`` holds ``char`` and gives it back."""
    if codec == "xlsx":
        return not _XML_BAD.match(char)
    try:
        return char.encode(codec or "gbk").decode(codec or "gbk") == char
    except UnicodeError:
        return False


@dataclass
class Piece:
    """One record of the file as written: the header, a data row or a blank line."""

    number: int  # the reader's row number (header 1)
    cells: list[str] | None  # None: a blank line
    text: str  # as written, with its line ending
    codec: str  # the codec it is written in
    kind: str = "plain"  # plain, padded (trailing empty cells), more, fewer, broken
    at: int | None = None  # where broken bytes go (a character offset into text)


@dataclass
class Drop:
    format: str
    name: str
    data: bytes
    headers: list[str]
    pieces: list[Piece] = field(default_factory=list)

    @property
    def header(self) -> Piece:
        return next(p for p in self.pieces if p.cells is not None)

    @property
    def header_broken(self) -> bool:
        return self.header.at is not None

    @property
    def rows(self) -> list[Piece]:
        return [p for p in self.pieces if p.cells is not None and p is not self.header]


def _keep(codec: str | None) -> Any:
    return lambda t: "".join(c for c in t if _holds(codec, c))


@functools.cache
def _cells(codec: str | None) -> st.SearchStrategy[str]:
    texts = st.builds(_keep(codec), gen.texts(gen.chars_no_surrogates, 12))
    odd = st.sampled_from(["", " ", "13800138000", "+86 139-1234-5678", "zw@example.cn", '"', ",;"])
    return st.one_of(texts, texts, odd)


@functools.cache
def _huge(codec: str | None) -> st.SearchStrategy[str]:
    """140k to 300k characters (over csv's default field limit of 131,072), some with
    quotes and line breaks."""
    units = st.builds(
        lambda t, extra: (_keep(codec)(t) or "x") + extra,
        gen.texts(gen.chars_no_surrogates, 3),
        st.sampled_from(["", '"', "\n", "a"]),
    )
    return st.builds(lambda u, n: u * (n // len(u) + 1), units, st.integers(140_000, 300_000))


def _csv_line(cells: list[str], delimiter: str, ending: str) -> str:
    # written with "\r\n" so that a cell holding either character is quoted (csv quotes
    # only the characters of its own line terminator), then ended as the file ends lines
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2] + ending


@st.composite
def drops(draw: st.DrawFn, fmt_name: str) -> tuple[Drop, str]:
    """A generated file of format ``fmt_name`` and its delimiter."""
    fmt = FORMATS[fmt_name]
    xlsx = fmt.codec == "xlsx"
    headers = HEADERS if all(_holds(fmt.codec, c) for c in "".join(HEADERS)) else ASCII_HEADERS
    delimiter = "," if xlsx else draw(st.sampled_from([",", ",", "\t", ";"]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    kinds = ["plain", "plain", "plain"] + ([] if xlsx else ["padded", "more", "fewer", "broken"])
    rows: list[tuple[list[str], str]] = []
    for i in range(draw(st.integers(0, 7))):
        cells = [f"K{i}"] + [draw(_cells(fmt.codec)) for _ in headers[1:]]
        kind = draw(st.sampled_from(kinds))
        if kind == "padded":
            cells += [""] * draw(st.integers(1, 2))
        elif kind == "more":
            cells.append(draw(_cells(fmt.codec)).strip() or "x")
        elif kind == "fewer":
            cells = cells[: draw(st.integers(1, len(cells) - 1))]
        rows.append((cells, kind))
    if rows and not xlsx and draw(st.integers(0, 5)) == 0:  # one huge cell
        cells, _ = rows[draw(st.integers(0, len(rows) - 1))]
        if len(cells) > 1:  # not the key
            cells[draw(st.integers(1, len(cells) - 1))] = draw(_huge(fmt.codec))
    header_broken = not xlsx and draw(st.integers(0, 9)) == 0
    blank_before = set(draw(st.lists(st.integers(0, max(len(rows) - 1, 0)), max_size=2)))
    drop = Drop(fmt_name, "leads.xlsx" if xlsx else "leads.csv", b"", headers)
    header_codec = fmt.codec or draw(st.sampled_from(["utf-8", "gbk"]))
    first = Piece(1, headers, _csv_line(headers, delimiter, ending), header_codec)
    if header_broken:
        first.at = draw(st.integers(0, len(first.text) - len(ending)))
    # an export may open with blank lines before its header
    drop.pieces += [Piece(0, None, ending, header_codec) for _ in range(draw(st.integers(0, 1)))]
    drop.pieces.append(first)
    for index, (cells, kind) in enumerate(rows):
        if index in blank_before:
            drop.pieces.append(Piece(len(drop.pieces) + 1, None, ending, "utf-8"))
        line = _csv_line(cells, delimiter, ending)
        codec = fmt.codec or draw(st.sampled_from(["utf-8", "gbk"]))
        piece = Piece(len(drop.pieces) + 1, cells, line, codec, kind)
        if kind == "broken":
            piece.at = draw(st.integers(0, len(line) - len(ending)))
        drop.pieces.append(piece)
    for _ in range(draw(st.integers(0, 2)) if rows else 0):  # exact duplicates of rows
        original = draw(st.sampled_from(drop.rows))
        where = draw(st.integers(drop.pieces.index(drop.header) + 1, len(drop.pieces)))
        copy = Piece(0, original.cells, original.text, original.codec, original.kind, original.at)
        drop.pieces.insert(where, copy)
    for number, piece in enumerate(drop.pieces, start=1):
        piece.number = number
    drop.data = _xlsx(drop) if xlsx else _encoded(fmt, drop.pieces)
    return drop, delimiter


def _encoded(fmt: Format, pieces: list[Piece], bom: bool = True) -> bytes:
    chunks = [fmt.bom if bom else b""]
    for piece in pieces:
        codec = fmt.codec if piece.codec == "utf-8" and fmt.codec else piece.codec
        if piece.at is None:
            chunks.append(piece.text.encode(codec))
        else:
            head, tail = piece.text[: piece.at], piece.text[piece.at :]
            chunks += [head.encode(codec), fmt.broken, tail.encode(codec)]
    return b"".join(chunks)


def _xlsx(drop: Drop) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for piece in drop.pieces:
        for column, value in enumerate(piece.cells or [], start=1):
            if value:
                cell = sheet.cell(row=piece.number, column=column, value=value)
                cell.data_type = "s"  # "=1+1" is the text a person typed, not a formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- what must come of a row


@dataclass
class Judged:
    """How ``auto`` reads a file's lines: the codec per physical line (None: flagged)
    and whether it took the file for GB18030."""

    codecs: list[str | None]
    file_gb: bool


def _auto_codecs(data: bytes) -> Judged:
    """The reader's rule, restated: a line is read as UTF-8 when it is UTF-8, else as
    GB18030 unless it looks like UTF-8 with a few broken bytes (its valid multi-byte
    characters at least twice its undecodable stretches), else flagged. A file that holds
    no line only UTF-8 reads and some, at least as many as lines both read, only GB18030
    reads (not looking like broken UTF-8) is a GB18030 file: every line GB18030 reads is
    read so."""
    judged = []
    for line in data.splitlines(keepends=True):
        marked = line.decode("utf-8", _MARK)
        broken = marked.count("\udc00")
        valid = len(marked) - len(marked.encode("ascii", "ignore")) - broken
        judged.append(
            (
                line.isascii(),
                _decodes(line, "utf-8"),
                _decodes(line, "gb18030"),
                valid >= 2 * broken,
            )
        )
    only_utf8 = any(u and not g and not a for a, u, g, _ in judged)
    only_gb = sum(g and not u and not looks for _, u, g, looks in judged)
    both = sum(u and g and not a for a, u, g, _ in judged)
    file_gb = not only_utf8 and only_gb > 0 and only_gb >= both
    out: list[str | None] = []
    for _, utf8, gb, looks in judged:
        if file_gb:
            out.append("gb18030" if gb else None)
        else:
            out.append("utf-8" if utf8 else "gb18030" if gb and not looks else None)
    return Judged(out, file_gb)


def _decodes(line: bytes, codec: str) -> bool:
    try:
        line.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class Expected:
    piece: Piece
    #: exact: lands unflagged with its values; reader: flagged by the reader (under
    #: <file>#<row> with a key column); landing: flagged by landing (a NUL, too big);
    #: either: its bytes are ambiguous, any one of these
    outcome: str
    fields: dict[str, str] | None = None
    raw_text: str | None = None  # the text the reader must keep of a row it flags, if known


@dataclass
class Expectations:
    rows: list[Expected]
    #: the header reads as written (else the file may be flagged as a whole, rows too)
    header_ok: bool


def _expectations(drop: Drop, fmt: Format) -> Expectations:
    as_written: dict[int, bool] = {}  # piece number -> each of its lines reads as written
    judged = _auto_codecs(drop.data) if drop.format in _AUTO_LINES else None
    if judged is not None:
        at = 0
        for piece in drop.pieces:
            mine = _encoded(fmt, [piece], bom=False).splitlines(keepends=True)
            chosen = judged.codecs[at : at + len(mine)]
            at += len(mine)
            as_written[piece.number] = all(
                c is not None and line.decode(c) == line.decode(piece.codec)
                for c, line in zip(chosen, mine, strict=True)
            )
    header_ok = drop.header_broken or judged is None or as_written[drop.header.number]
    out = []
    for piece in drop.rows:
        assert piece.cells is not None
        cells = piece.cells[: len(drop.headers)] if piece.kind == "padded" else piece.cells
        fields = dict(zip(drop.headers, cells, strict=False))
        reads = judged is None or as_written[piece.number]
        if drop.header_broken or piece.kind in ("more", "fewer", "broken"):
            if piece.kind == "broken":
                # shown in the codec the reader falls back to: GB18030 in a GB file, else
                # UTF-8 (auto) or the declared codec
                shown = judged is None or (piece.codec == "gbk") == judged.file_gb
            else:
                shown = reads
            raw = _decoded(fmt, piece).rstrip("\r\n") if shown else None
            out.append(Expected(piece, "reader", raw_text=raw))
        elif not (reads and header_ok):
            out.append(Expected(piece, "either"))
        elif "\x00" in "".join(cells) or _payload_chars(drop, piece, fields) > _MAX_CHARS:
            out.append(Expected(piece, "landing"))
        else:
            out.append(Expected(piece, "exact", fields))
    return Expectations(out, header_ok)


def _decoded(fmt: Format, piece: Piece) -> str:
    codec = fmt.codec if piece.codec == "utf-8" and fmt.codec else piece.codec
    if codec == "xlsx":
        return piece.text
    return _encoded(fmt, [piece], bom=False).decode(codec, "replace")


def _payload_chars(drop: Drop, piece: Piece, fields: dict[str, str]) -> int:
    # the payload the source builds around the fields (a margin for the codec's name)
    body = {"file": drop.name, "sha256": "0" * 64, "row": piece.number, "key": "K00"}
    return len(json.dumps({**body, "fields": fields}, ensure_ascii=False)) + 30


# ---------------------------------------------------------------- syncing and checking


class Recording(DropFolderSource):
    """The real source, keeping what it hands to landing; it can die after some pages."""

    def __init__(self, settings: Settings, die_after: int | None = None) -> None:
        super().__init__(settings)
        self.die_after = die_after
        self.records: list[RawRecord] = []

    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        for n, page in enumerate(super().pull(stream, cursor)):
            if self.die_after is not None and n >= self.die_after:
                raise ConnectionAbortedError("killed in the middle of a file")
            self.records.extend(page.records)
            yield page


def _stored(engine: Engine, source: str) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT id, source_key, payload, raw_text, problem, payload_hash "
                    "FROM source_record WHERE source = :s"
                ),
                {"s": source},
            ).all()
        )


def _body(row: Any) -> dict[str, Any] | None:
    if row.payload is None:
        return None
    body = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
    assert isinstance(body, dict)
    return body


def _check(
    engine: Engine, name: str, drop: Drop, expected: Expectations, key_column: bool, figures: Any
) -> None:
    stored = _stored(engine, name)
    counts = Counter(r.source_key for r in stored)
    twice = [k for k, n in counts.items() if n > 1]
    figures.duplicated += len(twice)
    assert not twice, f"landed twice: {twice[:3]!r}"
    by_key = {r.source_key: r for r in stored}
    if drop.header_broken:
        assert by_key.get(drop.name) and by_key[drop.name].problem, "broken header not flagged"
    if key_column:
        _check_keyed(drop, expected, by_key, figures)
    else:
        _check_by_content(drop, expected, stored, figures)


def _check_keyed(drop: Drop, expected: Expectations, by_key: dict[str, Any], figures: Any) -> None:
    wanted: set[str] = {drop.name} if drop.header_broken or not expected.header_ok else set()
    lost = []
    numbers: dict[str, set[int]] = {}
    for e in expected.rows:
        if e.piece.cells:
            numbers.setdefault(e.piece.cells[0], set()).add(e.piece.number)
    for e in expected.rows:
        assert e.piece.cells is not None
        key, at_row = e.piece.cells[0], f"{drop.name}#{e.piece.number}"
        candidates = {"reader": [at_row], "either": [key, at_row]}.get(e.outcome, [key])
        found = [k for k in candidates if k in by_key]
        if not found:
            lost.append(candidates[0])
            continue
        wanted.add(found[0])
        row = by_key[found[0]]
        if e.outcome == "exact":
            body = _body(row)
            assert row.problem is None and body is not None, (key, row.problem)
            assert body["fields"] == e.fields, key
            # the row a person finds it on (the last copy of a duplicated row)
            assert body["row"] in numbers[key], (key, body["row"])
        elif e.outcome in ("reader", "landing"):
            assert row.payload is None and row.problem, (found[0], row.problem)
    figures.lost += len(lost)
    assert not lost, f"rows lost: {lost[:5]!r}"
    extra = set(by_key) - wanted
    figures.duplicated += len(extra)
    assert not extra, f"landed under keys no row has: {sorted(extra)[:5]!r}"


def _check_by_content(drop: Drop, expected: Expectations, stored: list[Any], figures: Any) -> None:
    rows = expected.rows
    whole_file = 1 if drop.header_broken else 0
    if not expected.header_ok and any(r.source_key == drop.name for r in stored):
        whole_file = 1  # a header read as something else: the file may be flagged too
    figures.lost += max(0, len(rows) + whole_file - len(stored))
    figures.duplicated += max(0, len(stored) - len(rows) - whole_file)
    assert len(stored) == len(rows) + whole_file, (len(stored), len(rows), whole_file)
    clean = Counter(
        json.dumps(body["fields"], sort_keys=True)
        for body in (_body(r) for r in stored if r.problem is None)
        if body is not None
    )
    for e in rows:
        if e.outcome == "exact":
            want = json.dumps(e.fields, sort_keys=True)
            assert clean[want] > 0, f"row {e.piece.number} did not land with its values"
            clean[want] -= 1
    flagged = sum(r.problem is not None for r in stored) - whole_file
    assert flagged >= sum(e.outcome in ("reader", "landing") for e in rows)


def _check_handed_over(
    engine: Engine, name: str, expected: Expectations, pulled: list[RawRecord]
) -> None:
    """The reader keeps the whole text of a row it flags, and landing stores the last
    record handed over under each key."""
    texts = {r.raw_text for r in pulled if r.payload is None}
    for e in expected.rows:
        if e.outcome == "reader" and e.raw_text is not None:
            assert e.raw_text in texts, f"row {e.piece.number}: its text is not kept whole"
    last = {row.key: row for row in map(storable, pulled)}
    landed = {r.source_key: r.payload_hash for r in _stored(engine, name)}
    assert {k: r.digest for k, r in last.items()} == landed


def _explore(test: Any) -> Any:
    """The suite's settings (:func:`tests.property.figures.explore`) at this test's size."""
    test = _SETTINGS(test)
    return seed(int(_SEED))(test) if _SEED is not None else test


@pytest.mark.parametrize("fmt_name", sorted(FORMATS))
@_explore
@given(data=st.data())
def test_every_row_of_a_file_lands_once_in_every_encoding(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory, fmt_name: str, data: st.DataObject
) -> None:
    fmt = FORMATS[fmt_name]
    drop, delimiter = data.draw(drops(fmt_name), label="file")
    key_column = data.draw(st.booleans(), label="key_column")
    page_size = data.draw(st.integers(1, 4), label="page_size")
    die_after = data.draw(st.one_of(st.none(), st.integers(0, 3)), label="die_after")
    folder: Path = tmp_path_factory.mktemp("drop")
    (folder / drop.name).write_bytes(drop.data)
    h = drop.headers
    settings = Settings(
        path=str(folder),
        encoding=fmt.encoding,
        delimiter=delimiter,
        key_column=h[0] if key_column else None,
        columns={"name": h[1], "mobile": h[2], "email": h[3], "company_name": h[4]},
        page_size=page_size,
    )
    expected = _expectations(drop, fmt)
    note(f"data {drop.data[:800]!r}")
    note(f"expected {[(e.piece.number, e.outcome) for e in expected.rows]}")
    name = f"drop{next(_names)}"
    with tally(f"dropfolder: {fmt_name}", len(drop.rows)) as figures:
        pulled: list[RawRecord] = []
        if die_after is not None:  # a sync killed after a page, then run again
            killed = Recording(settings, die_after)
            try:
                sync_source(engine, name, killed)
            except ConnectionAbortedError:
                pass
            pulled += killed.records
        source = Recording(settings)
        sync_source(engine, name, source)
        pulled += source.records
        _check(engine, name, drop, expected, key_column, figures)
        _check_handed_over(engine, name, expected, pulled)

        assert sync_source(engine, name, source).new == 0  # a re-sync
        assert sync_source(engine, name, Recording(settings), full=True).new == 0
        (folder / f"copy of {drop.name}").write_bytes(drop.data)  # dropped again
        assert sync_source(engine, name, Recording(settings)).new == 0
        _check(engine, name, drop, expected, key_column, figures)

        report = standardize(engine, {name: source}, RULES)
        stored = _stored(engine, name)
        with engine.connect() as conn:
            verdicts: dict[int, str] = dict(
                conn.execute(
                    text("SELECT id, verdict FROM customer_row WHERE source = :s"), {"s": name}
                ).all()
            )
            activities = set(
                conn.execute(text("SELECT id FROM activity WHERE source = :s"), {"s": name})
                .scalars()
                .all()
            )
        without = [r.source_key for r in stored if r.id not in verdicts and r.id not in activities]
        figures.lost += len(without)
        assert not without, f"landed records without a verdict: {without[:3]!r}"
        assert report.looked_at == len(stored)
        assert standardize(engine, {name: source}, RULES).looked_at == 0
