"""The drop-folder ``Source``: CSV/XLSX exports dropped into a folder, stream ``leads``.

Every file is identified by the SHA-256 of its content: a file dropped again (same or
other name) is skipped, a changed file under the same name is read again. Rows are keyed
by ``key_column`` when configured, else by their content: ``row:<hash>`` of the row's
mapped values (whitespace and full-width forms folded), with ``~2``, ``~3`` ... for the
second and third identical row of a file. A re-export with a row inserted, a row
removed or the columns reordered so keeps the key of every row it still holds, where a
row number would shift every key after the change (and land each row once more).
Rows that cannot be read are keyed ``bad:<hash>`` of their text, the same way.

Cursor JSON: ``{"done": [sha256, ...], "partial": {"sha256": ..., "rows": n}}``, where
``partial`` marks a file whose first ``n`` rows (header included) have been landed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.contract import ConnectorConfigError, Mapped, Page, RawRecord, StreamKind
from connectors.dropfolder.mapping import map_row
from connectors.dropfolder.reader import Row, decode_lines, read_csv, read_xlsx
from connectors.http import mask_phones

if TYPE_CHECKING:
    from connectors.dropfolder import Settings

__all__ = ["DropFolderSource"]

log = logging.getLogger("connectors.dropfolder")

_XLSX = {".xlsx", ".xlsm"}
#: what is kept of a file that cannot be read at all (its rows' text is kept whole:
#: landing bounds what it stores, and says so)
_RAW_LIMIT = 2000


class DropFolderSource:
    streams: dict[str, StreamKind] = {"leads": "customer"}

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = Path(settings.path)

    def close(self) -> None:
        pass

    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        self._check_stream(stream)
        return map_row(payload, self.settings.columns, self.settings.customer_type)

    # ------------------------------------------------------------------ pulling
    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        self._check_stream(stream)
        if not self.folder.is_dir():
            raise ConnectorConfigError(f"dropfolder: {self.folder} is not a folder")
        done, partial = _load(cursor)
        yielded = False
        for path in self._files():
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            if sha in done:
                continue
            skip = int(partial["rows"]) if partial and partial.get("sha256") == sha else 0
            for records, rows, finished in self._file_pages(path, data, sha, skip):
                if finished:
                    done.add(sha)
                    state: dict[str, Any] = {"done": sorted(done)}
                else:
                    state = {"done": sorted(done), "partial": {"sha256": sha, "rows": rows}}
                yielded = True
                yield Page(records, json.dumps(state))
        if not yielded:  # nothing new: hand the cursor back unchanged
            yield Page([], json.dumps({"done": sorted(done)}))

    def _files(self) -> list[Path]:
        patterns = (
            [self.settings.pattern]
            if isinstance(self.settings.pattern, str)
            else self.settings.pattern
        )
        settled_before = time.time() - self.settings.settle_seconds
        found = {
            p
            for pattern in patterns
            for p in self.folder.glob(pattern)
            # skip Excel lock files, hidden files and files still being copied in
            if p.is_file()
            and not p.name.startswith(("~$", "."))
            and (not self.settings.settle_seconds or p.stat().st_mtime <= settled_before)
        }
        # oldest first, so a corrected re-export lands after the file it corrects
        return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))

    def _file_pages(
        self, path: Path, data: bytes, sha: str, skip: int
    ) -> Iterator[tuple[list[RawRecord], int, bool]]:
        """(records, rows consumed so far, file finished) per page of one file."""
        try:
            rows = self._rows(path, data)
            header_row = next(rows, None)
            # the header is the first row that is not blank (an export may open with
            # blank lines); a file with none has nothing to land
            while header_row is not None and _blank(header_row):
                header_row = next(rows, None)
        except Exception as exc:  # any unreadable file is flagged, not fatal
            log.warning("dropfolder: cannot read %s: %s", mask_phones(path.name), exc)
            text = data[:_RAW_LIMIT].decode("utf-8", errors="replace")
            yield (
                [
                    RawRecord(
                        key=path.name,
                        payload=None,
                        raw_text=text,
                        problem=f"cannot read {path.name}: {exc}",
                    )
                ],
                0,
                True,
            )
            return
        if header_row is None:
            yield [], 0, True
            return
        key_column = self.settings.key_column
        headers = _headers(header_row.cells or [])
        file_problem = None
        if header_row.cells is None:
            file_problem = f"cannot read the header of {path.name}: {header_row.problem}"
        elif key_column and key_column not in headers:
            file_problem = f"{path.name} has no key column {key_column!r}"
        page: list[RawRecord] = []
        if file_problem is not None and header_row.number > skip:
            # the file is flagged, and below each of its rows too: none is lost, a person
            # sees them all, and they land once the file can be read
            page.append(
                RawRecord(
                    key=path.name, payload=None, raw_text=header_row.raw_text, problem=file_problem
                )
            )
        consumed = header_row.number
        keys = _ContentKeys(self._key_headers(headers) if file_problem is None else None)
        try:
            for row in rows:
                consumed = row.number
                # rows already landed are still keyed: the duplicate counter needs them
                if file_problem is None:
                    record = self._record(path.name, sha, headers, row, keys)
                else:
                    record = self._unread(path.name, row, keys, file_problem)
                if row.number <= skip:
                    continue
                if record is not None:
                    page.append(record)
                if len(page) >= self.settings.page_size:
                    yield page, consumed, False
                    page = []
        except Exception as exc:  # e.g. a corrupt XLSX part deep in the file
            page.append(
                RawRecord(
                    key=f"{path.name}#{consumed + 1}",
                    payload=None,
                    problem=f"reading stopped at row {consumed + 1}: {exc}",
                    raw_text="",
                )
            )
        yield page, consumed, True

    def _rows(self, path: Path, data: bytes) -> Iterator[Row]:
        if path.suffix.lower() in _XLSX:
            return read_xlsx(data, self.settings.sheet)
        return read_csv(decode_lines(data, self.settings.encoding), self.settings.delimiter)

    def _key_headers(self, headers: list[str]) -> list[str] | None:
        """The headers a content key is made of: the mapped ones (an added column that
        is not mapped changes no key), or every header when none is mapped."""
        wanted = {h.strip().casefold() for h in self.settings.columns.values()}
        mapped = [h for h in headers if h.strip().casefold() in wanted]
        return mapped or None

    def _unread(self, name: str, row: Row, keys: _ContentKeys, problem: str) -> RawRecord | None:
        """A row of a file whose header cannot be used: raw and flagged."""
        if _blank(row):
            return None
        return RawRecord(
            keys.for_text(row.raw_text) if not self.settings.key_column else f"{name}#{row.number}",
            None,
            problem=f"row {row.number}: {problem}" + (f"; {row.problem}" if row.problem else ""),
            raw_text=row.raw_text,
        )

    def _record(
        self, name: str, sha: str, headers: list[str], row: Row, keys: _ContentKeys
    ) -> RawRecord | None:
        fallback_key = f"{name}#{row.number}"
        if row.cells is None:
            return RawRecord(
                keys.for_text(row.raw_text) if not self.settings.key_column else fallback_key,
                None,
                problem=row.problem,
                raw_text=row.raw_text,
            )
        cells = row.cells
        if not any(c.strip() for c in cells):
            return None  # blank lines are formatting, not records
        if len(cells) > len(headers) and not any(c.strip() for c in cells[len(headers) :]):
            cells = cells[: len(headers)]  # trailing empty cells: Excel pads rows this way
        if len(cells) != len(headers):
            # a shifted row would put values under the wrong header: land it raw instead
            return RawRecord(
                keys.for_text(row.raw_text) if not self.settings.key_column else fallback_key,
                None,
                raw_text=row.raw_text,
                problem=f"row {row.number} has {len(cells)} cells, the header has {len(headers)}",
            )
        fields = dict(zip(headers, cells, strict=True))
        key = keys.for_fields(fields)
        if self.settings.key_column:
            key = fields.get(self.settings.key_column, "").strip()
            if not key:
                return RawRecord(
                    fallback_key,
                    None,
                    raw_text=row.raw_text,
                    problem=f"row {row.number} has an empty {self.settings.key_column!r}",
                )
        payload = {
            "file": name,
            "sha256": sha,
            "row": row.number,
            "encoding": row.encoding,
            "key": key,
            "fields": fields,
        }
        # a merged cell filled in: the row lands, flagged, so a person can check it
        return RawRecord(key, payload, problem=row.note)

    def _check_stream(self, stream: str) -> None:
        if stream not in self.streams:
            raise ConnectorConfigError(f"dropfolder has no stream {stream!r} (known: leads)")


class _ContentKeys:
    """Content keys of one file's rows, counting repeats (see the module doc)."""

    def __init__(self, headers: list[str] | None) -> None:
        self.headers = headers
        self.counts: dict[str, int] = {}

    def _counted(self, prefix: str, material: str) -> str:
        digest = prefix + hashlib.sha256(material.encode()).hexdigest()[:20]
        self.counts[digest] = self.counts.get(digest, 0) + 1
        n = self.counts[digest]
        return digest if n == 1 else f"{digest}~{n}"

    def for_fields(self, fields: dict[str, str]) -> str:
        names = self.headers if self.headers is not None else sorted(fields)
        material = json.dumps(
            [[_fold(h), _fold(fields.get(h, ""))] for h in sorted(names, key=_fold)],
            ensure_ascii=False,
        )
        return self._counted("row:", material)

    def for_text(self, text: str) -> str:
        return self._counted("bad:", _fold(text))


def _blank(row: Row) -> bool:
    return row.cells is not None and not any(c.strip() for c in row.cells)


def _fold(text: str) -> str:
    # what a re-export may change without changing the data: width forms, spacing, case
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _headers(cells: list[str]) -> list[str]:
    """Header names, stripped and made unique (two "电话" columns become 电话, 电话_2)."""
    seen: dict[str, int] = {}
    headers = []
    for n, cell in enumerate(cells, start=1):
        name = cell.strip() or f"column_{n}"
        seen[name] = seen.get(name, 0) + 1
        headers.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return headers


def _load(cursor: str | None) -> tuple[set[str], dict[str, Any] | None]:
    if cursor is None:
        return set(), None
    try:
        state = json.loads(cursor)
        return set(state.get("done", [])), state.get("partial")
    except (ValueError, AttributeError) as exc:
        raise ConnectorConfigError(
            f"dropfolder: stored cursor is unreadable: {cursor[:80]!r}"
        ) from exc
