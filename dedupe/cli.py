"""The thin I/O shell behind `chub dedupe`: read CSV + spec, resolve, write CSVs.

This is the only module of the package that touches files; `integration/cli.py`
parses arguments and calls `run_dedupe`.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, cast

import numpy as np

from dedupe.columns import CodedColumn
from dedupe.engine import no_gc, resolve
from dedupe.errors import DedupeInputError
from dedupe.prepare import Column
from dedupe.spec import MatchSettings, MatchSpec

__all__ = ["main", "read_columns", "read_previous", "read_records", "run_dedupe"]


def read_columns(input_path: str, spec: MatchSpec) -> dict[str, Column]:
    """The spec's columns of a CSV file in file order, cells stripped, empty cells
    missing: the id column as a list, the fields as `CodedColumn`s when Arrow's
    reader takes the file (a million rows in a second), else as lists."""
    header = _read_header(input_path)
    wanted = [spec.id, *spec.fields]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise DedupeInputError(
            f"Input file '{input_path}' has no column {', '.join(map(repr, missing))} "
            f"named in the spec."
        )
    if not any("\n" in h or "\r" in h for h in header):
        cols = _read_arrow(input_path, header, wanted)
        if cols is not None:
            return cols
    # what Arrow refuses (ragged rows, bad bytes, an empty id) is read here, which
    # also finds the line to name in the error
    return _read_python(input_path, header, wanted)


@contextmanager
def _reading(input_path: str) -> Iterator[None]:
    """What goes wrong reading the input, said as a user's mistake."""
    try:
        yield
    except FileNotFoundError:
        raise DedupeInputError(f"Input file '{input_path}' does not exist.") from None
    except UnicodeDecodeError:
        raise DedupeInputError(f"Input file '{input_path}' is not UTF-8 text.") from None
    except csv.Error as exc:
        raise DedupeInputError(f"Input file '{input_path}' is not valid CSV: {exc}.") from None
    except OSError as exc:
        raise DedupeInputError(f"Cannot read input file '{input_path}': {exc.strerror}.") from None


def _read_header(input_path: str) -> list[str]:
    with _reading(input_path), open(input_path, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise DedupeInputError(f"Input file '{input_path}' is empty (no header row).")
    return [h.strip() for h in header]


def _read_arrow(input_path: str, header: list[str], wanted: list[str]) -> dict[str, Column] | None:
    """Arrow's multi-threaded reader; None when it is not installed or refuses the file."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pcsv
    except ImportError:
        return None
    names = [f"c{k}" for k in range(len(header))]  # header cells may repeat or be blank
    where = {c: names[header.index(c)] for c in wanted}
    try:
        table = pcsv.read_csv(
            input_path,
            read_options=pcsv.ReadOptions(skip_rows=1, column_names=names),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.large_string() for n in where.values()},
                include_columns=list(dict.fromkeys(where.values())),
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError):
        return None

    raw = [table.column(where[name]) for name in wanted]
    del table
    ids: list[str] = _trimmed(raw[0]).to_pylist()
    if not all(ids):
        return None
    # Arrow's kernels let go of the GIL: the fields are trimmed and coded side by side
    with ThreadPoolExecutor(max(1, min(len(wanted) - 1, os.cpu_count() or 1))) as pool:
        coded = list(pool.map(lambda column: pc.dictionary_encode(_trimmed(column)), raw[1:]))
    cols: dict[str, Column] = {wanted[0]: ids}
    for name, encoded in zip(wanted[1:], coded, strict=True):
        cols[name] = _coded(encoded)
    del raw, coded
    # Arrow's allocator keeps freed blocks for reuse: hand the table's memory back to
    # the system before the engine needs it (270 MB of a million-row file)
    pa.default_memory_pool().release_unused()
    return cols


def _trimmed(column: Any) -> Any:
    import pyarrow.compute as pc

    return pc.utf8_trim_whitespace(column.combine_chunks())


def _coded(encoded: Any) -> CodedColumn:
    """A CodedColumn from an Arrow DictionaryArray of stripped cells ("" = missing)."""
    values: list[str] = encoded.dictionary.to_pylist()
    # read from the buffer: Array.to_numpy imports pandas (a fifth of a second)
    indices = encoded.indices
    width = np.dtype(f"int{indices.type.bit_width}")
    codes = np.frombuffer(
        indices.buffers()[1],
        dtype=width,
        count=len(indices),
        offset=indices.offset * width.itemsize,
    ).astype(np.int64)
    if "" in values:
        empty = values.index("")
        codes = np.where(codes == empty, -1, codes - (codes > empty))
        values.pop(empty)
    return CodedColumn(codes, values)


def _read_python(input_path: str, header: list[str], wanted: list[str]) -> dict[str, Column]:
    with _reading(input_path):
        with open(input_path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            where = [(c, header.index(c)) for c in wanted]
            cols: dict[str, list[str | None]] = {c: [] for c in wanted}
            # one string object per distinct value of a column (cities, postcodes and
            # names repeat): a million-row file then holds a fraction of its cells
            seen: list[dict[str, str]] = [{} for _ in wanted]
            appends = [(cols[c].append, i, seen[k].setdefault) for k, (c, i) in enumerate(where)]
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) <= where[0][1] or not row[where[0][1]].strip():
                    raise DedupeInputError(f"Row {line} of '{input_path}' has an empty id.")
                for append, i, one in appends:
                    cell = row[i].strip() if i < len(row) else ""
                    append(one(cell, cell) if cell else None)
            return dict(cols)


def read_records(input_path: str, spec: MatchSpec) -> list[dict[str, Any]]:
    """Rows as dicts restricted to the spec's columns; empty cells become None."""
    cols = read_columns(input_path, spec)
    names = list(cols)
    return [dict(zip(names, row, strict=True)) for row in zip(*cols.values(), strict=True)]


_SPACE_AFTER = re.compile(r"\x00\s")  # a literal first: a fast scan of a long text


def _written_plain(cells: list[str]) -> bool:
    """Whether csv would write every cell as it is: none holds a comma, a quote or a
    line break, or (to be safe) starts or ends with white space. One scan of all the
    cells joined, not a regex call per cell."""
    text = "\x00" + "\x00".join(cells) + "\x00"
    if any(ch in text for ch in ',"\r\n'):
        return False
    return not (_SPACE_AFTER.search(text) or _SPACE_AFTER.search(text[::-1]))


def _open_out(path: str):  # noqa: ANN202 - a text file handle
    try:
        return open(path, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise DedupeInputError(f"Cannot write '{path}': {exc.strerror}.") from None


def run_dedupe(
    input_path: str,
    spec_path: str,
    out_path: str,
    pairs_path: str | None,
    *,
    progress: Callable[[str], None] | None = None,
    settings: MatchSettings | None = None,
    previous_path: str | None = None,
) -> str:
    """Run the CLI contract of issue 4 and return the one-line summary. With
    `previous_path` (an earlier run's CLUSTERS.csv) clusters keep their ids: records
    join existing ids, a split keeps the id on the larger part, a merge the older id."""
    # the cycle collector off for the writing too: with the result's millions of
    # objects alive, each collection it triggers rescans them all (1.5 s of 2 measured)
    with no_gc():
        return _run_dedupe(
            input_path, spec_path, out_path, pairs_path, progress, settings, previous_path
        )


def read_previous(path: str, spec: MatchSpec) -> dict[str, str]:
    """Record id -> cluster id from an earlier run's CLUSTERS.csv."""
    with _reading(path), open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        if spec.id not in header or "cluster_id" not in header:
            raise DedupeInputError(
                f"Previous clusters file '{path}' needs the columns '{spec.id}' and "
                f"'cluster_id' (an earlier run's --out); it has {', '.join(header) or 'none'}."
            )
        at, cid = header.index(spec.id), header.index("cluster_id")
        width = max(at, cid)
        return {row[at].strip(): row[cid].strip() for row in reader if len(row) > width}


def _run_dedupe(
    input_path: str,
    spec_path: str,
    out_path: str,
    pairs_path: str | None,
    progress: Callable[[str], None] | None,
    settings: MatchSettings | None,
    previous_path: str | None,
) -> str:
    say = progress or (lambda _m: None)
    spec = MatchSpec.from_yaml(spec_path)
    previous = read_previous(previous_path, spec) if previous_path else None
    cols = read_columns(input_path, spec)
    ids = cast(list[str], cols[spec.id])  # the readers give the id column as strings
    say(f"read {len(ids)} rows from {input_path}")
    big = len(ids) >= 5000  # short inputs finish before progress would help
    if settings is None:  # a command-line run may use the machine: normalize on every core
        settings = MatchSettings(workers=min(os.cpu_count() or 1, 8))
    res = resolve(cols, spec, settings, previous=previous, progress=say if big else None)
    del cols  # the CSV's strings: free them before the pairs are written
    with _open_out(out_path) as fh:
        w = csv.writer(fh)
        w.writerow([spec.id, "cluster_id"])
        cids = list(map(res.clusters.__getitem__, ids))
        if not _written_plain(ids):
            w.writerows(zip(ids, cids, strict=True))
        elif ids:  # nothing to quote (cluster ids are "C" + hex): as csv writes it, sooner
            fh.write("\r\n".join(map(",".join, zip(ids, cids, strict=True))) + "\r\n")
    if pairs_path:
        with _open_out(pairs_path) as fh:
            w = csv.writer(fh)
            w.writerow(["id_l", "id_r", "probability", "decision", "explanation"])
            for p in res.pairs:
                w.writerow(
                    [
                        p.id_l,
                        p.id_r,
                        f"{p.probability:.6f}",
                        p.decision,
                        json.dumps(p.explanation, ensure_ascii=False, sort_keys=True),
                    ]
                )
    st = res.stats
    multi = sum(1 for size in Counter(res.clusters.values()).values() if size > 1)
    changes = ""
    if previous is not None:
        kinds = Counter(c.kind for c in res.changes)
        listed = ", ".join(
            f"{k} {kinds[k]}" for k in ("joined", "merged", "split", "left") if k in kinds
        )
        changes = f"; ids kept from the previous run ({listed or 'no changes'})"
    return (
        f"{st['records']} records -> {st['clusters']} clusters ({multi} with duplicates); "
        f"{st['merge_pairs']} pairs merged, {st['review_pairs']} for review{changes}; "
        f"{st['seconds']:.1f}s"
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m dedupe INPUT.csv --spec SPEC.yaml --out CLUSTERS.csv [--pairs PAIRS.csv]
    [--previous OLD_CLUSTERS.csv]`"""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dedupe", description=main.__doc__)
    parser.add_argument("input")
    parser.add_argument("--spec", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--pairs")
    parser.add_argument("--previous")
    args = parser.parse_args(argv)
    try:
        summary = run_dedupe(
            args.input,
            args.spec,
            args.out,
            args.pairs,
            progress=lambda m: print(m, file=sys.stderr, flush=True),
            previous_path=args.previous,
        )
    except DedupeInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary)
    return 0
