"""The thin I/O shell behind `chub dedupe`: read CSV + spec, resolve, write CSVs.

This is the only module of the package that touches files; `integration/cli.py`
parses arguments and calls `run_dedupe`.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from typing import Any

from dedupe.engine import resolve
from dedupe.errors import DedupeInputError
from dedupe.spec import MatchSettings, MatchSpec

__all__ = ["main", "read_records", "run_dedupe"]


def read_records(input_path: str, spec: MatchSpec) -> list[dict[str, Any]]:
    """Rows as dicts restricted to the spec's columns; empty cells become None."""
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
            cols = [(c, header.index(c)) for c in wanted]
            rows = []
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                rec = {c: (row[i].strip() or None) if i < len(row) else None for c, i in cols}
                if rec[spec.id] is None:
                    raise DedupeInputError(f"Row {line} of '{input_path}' has an empty id.")
                rows.append(rec)
            return rows
    except FileNotFoundError:
        raise DedupeInputError(f"Input file '{input_path}' does not exist.") from None
    except UnicodeDecodeError:
        raise DedupeInputError(f"Input file '{input_path}' is not UTF-8 text.") from None
    except csv.Error as exc:
        raise DedupeInputError(f"Input file '{input_path}' is not valid CSV: {exc}.") from None
    except OSError as exc:
        raise DedupeInputError(f"Cannot read input file '{input_path}': {exc.strerror}.") from None


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
    records = read_records(input_path, spec)
    say(f"read {len(records)} rows from {input_path}")
    big = len(records) >= 5000  # short inputs finish before progress would help
    res = resolve(records, spec, settings, progress=say if big else None)
    with _open_out(out_path) as fh:
        w = csv.writer(fh)
        w.writerow([spec.id, "cluster_id"])
        for rec in records:
            w.writerow([rec[spec.id], res.clusters[str(rec[spec.id])]])
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
