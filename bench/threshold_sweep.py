"""How far the engine's scores can go on a labelled CSV: pairwise F1 of the connected
components of the candidate pairs above each threshold, and of the true candidates
alone (a perfect classifier over what blocking proposed).

    .venv/bin/python bench/threshold_sweep.py /tmp/chub-bench/zh_1000000.csv \\
        --spec /tmp/chub-bench/zh.spec.yaml --truth entity

A diagnostic, not a tuning step: the engine's default threshold is not chosen from it.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dedupe import pair_metrics  # noqa: E402

from dedupe import MatchSettings, MatchSpec, resolve  # noqa: E402
from dedupe.cli import read_columns  # noqa: E402
from dedupe.cluster import components  # noqa: E402
from dedupe.engine import _prob  # noqa: E402

THRESHOLDS = (0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)


def _scores(label: str, labels: np.ndarray, truth: np.ndarray) -> str:
    m = pair_metrics(truth.tolist(), labels.tolist())
    return f"{label}: P={m['precision']:.4f} R={m['recall']:.4f} F1={m['f1']:.4f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--spec", required=True)
    ap.add_argument("--truth", default="entity")
    args = ap.parse_args(argv)
    spec = MatchSpec.from_yaml(args.spec)
    with open(args.csv, encoding="utf-8", newline="") as fh:
        entity = {row[spec.id]: row[args.truth] for row in csv.DictReader(fh)}
    res = resolve(read_columns(args.csv, spec), spec, MatchSettings(keep_candidates=True))
    assert res.state is not None
    n = len(res.ids)
    truth = np.unique(np.asarray([entity[i] for i in res.ids]), return_inverse=True)[1]
    cand = res.state.cand
    prob = _prob(res.model.base + res.state.bits.sum(axis=1))
    print(f"{n} records, {len(cand)} candidate pairs")
    print(_scores("engine's clusters", res.state.labels, truth))
    for t in THRESHOLDS:
        m = prob >= t
        labels = components(n, cand[m, 0], cand[m, 1])
        print(_scores(f"components at p >= {t}", labels, truth))
    m = truth[cand[:, 0]] == truth[cand[:, 1]]
    labels = components(n, cand[m, 0], cand[m, 1])
    print(_scores("every true candidate, no false one", labels, truth))
    for lo, hi in ((0.5, 0.8), (0.8, 0.95), (0.5, 0.95)):
        band = (prob >= lo) & (prob < hi)
        share = float(m[band].mean()) if band.any() else 0.0
        print(f"candidates with {lo} <= p < {hi}: {int(band.sum())}, {share:.1%} of them true")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
