"""The thin I/O shell behind `chub dedupe`: read CSV + spec, resolve, write CSVs.

This is the only module of the package that touches files; `integration/cli.py`
parses arguments and calls `run_dedupe`.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from dedupe.engine import resolve
from dedupe.errors import DedupeInputError
from dedupe.spec import MatchSettings, MatchSpec

__all__ = ["main", "read_columns", "read_records", "run_dedupe"]


def read_columns(input_path: str, spec: MatchSpec) -> dict[str, list[str | None]]:
    """The spec's columns of a CSV file, one list each, in file order; empty cells
    become None. Columns, not a dict per row: a million rows cost half the memory."""
    try:
        with open(input_path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header:
                raise DedupeInputError(f"Input file '{input_path}' is empty (no header row).")
            header = [h.strip() for h in header]
            wanted = [spec.id, *spec.fields]
            missing = [c for c in wanted if c not in header]
            if missing:
                raise DedupeInputError(
                    f"Input file '{input_path}' has no column {', '.join(map(repr, missing))} "
                    f"named in the spec."
                )
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
            return cols
    except FileNotFoundError:
        raise DedupeInputError(f"Input file '{input_path}' does not exist.") from None
    except UnicodeDecodeError:
        raise DedupeInputError(f"Input file '{input_path}' is not UTF-8 text.") from None
    except csv.Error as exc:
        raise DedupeInputError(f"Input file '{input_path}' is not valid CSV: {exc}.") from None
    except OSError as exc:
        raise DedupeInputError(f"Cannot read input file '{input_path}': {exc.strerror}.") from None


def read_records(input_path: str, spec: MatchSpec) -> list[dict[str, Any]]:
    """Rows as dicts restricted to the spec's columns; empty cells become None."""
    cols = read_columns(input_path, spec)
    names = list(cols)
    return [dict(zip(names, row, strict=True)) for row in zip(*cols.values(), strict=True)]


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
) -> str:
    """Run the CLI contract of issue 4 and return the one-line summary."""
    say = progress or (lambda _m: None)
    spec = MatchSpec.from_yaml(spec_path)
    cols = read_columns(input_path, spec)
    ids = cols[spec.id]
    say(f"read {len(ids)} rows from {input_path}")
    big = len(ids) >= 5000  # short inputs finish before progress would help
    if settings is None:  # a command-line run may use the machine: normalize on every core
        settings = MatchSettings(workers=min(os.cpu_count() or 1, 8))
    res = resolve(cols, spec, settings, progress=say if big else None)
    del cols  # the CSV's strings: free them before the pairs are written
    with _open_out(out_path) as fh:
        w = csv.writer(fh)
        w.writerow([spec.id, "cluster_id"])
        clusters = res.clusters
        w.writerows((rid, clusters[str(rid)]) for rid in ids)
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
    multi = sum(1 for _ in _multi(res.clusters))
    return (
        f"{st['records']} records -> {st['clusters']} clusters ({multi} with duplicates); "
        f"{st['merge_pairs']} pairs merged, {st['review_pairs']} for review; "
        f"{st['seconds']:.1f}s"
    )


def _multi(clusters: dict[str, str]):  # noqa: ANN202
    seen: dict[str, int] = {}
    for cid in clusters.values():
        seen[cid] = seen.get(cid, 0) + 1
    return (c for c, k in seen.items() if k > 1)


def main(argv: list[str] | None = None) -> int:
    """`python -m dedupe INPUT.csv --spec SPEC.yaml --out CLUSTERS.csv [--pairs PAIRS.csv]`"""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dedupe", description=main.__doc__)
    parser.add_argument("input")
    parser.add_argument("--spec", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--pairs")
    args = parser.parse_args(argv)
    try:
        summary = run_dedupe(
            args.input,
            args.spec,
            args.out,
            args.pairs,
            progress=lambda m: print(m, file=sys.stderr, flush=True),
        )
    except DedupeInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary)
    return 0
