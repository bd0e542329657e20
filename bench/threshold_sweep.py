"""How far the engine's scores can go on a labelled CSV: pairwise F1 of the connected
components of the candidate pairs above each threshold, and of the true candidates
alone (a perfect classifier over what blocking proposed).

And how far *any* scores over the same evidence could go (`--oracle`): the candidate
pairs are put in classes by what a pair-scorer can see of them (every field's comparison
level, how many records hold the name, and whether the two records' clusters already
hold different phones or e-mails), each class gets the share of its pairs that are
truly one customer, read from the labels, and the components of the pairs whose class
share reaches a threshold are scored. A classifier fitted to the answers over those
features: a generous bound, not a method.

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
from dedupe.model import _name_sounds  # noqa: E402
from dedupe.prepare import Prepared  # noqa: E402
from dedupe.spec import FieldType  # noqa: E402

THRESHOLDS = (0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)
_HOLDER_BUCKETS = (2, 3, 4, 5, 7, 10, 15, 25, 50, 100, 1000)


def _name_holders(prep: Prepared, cand: np.ndarray) -> np.ndarray:
    """Per pair, a bucket of how many records hold the rarer of its two names (by sound)."""
    sound = _name_sounds(prep)
    if sound is None:
        return np.zeros(len(cand), dtype=np.int64)
    held = np.bincount(sound[sound >= 0], minlength=int(sound.max(initial=0)) + 1)
    per_record = np.where(sound >= 0, held[np.maximum(sound, 0)], 0)
    fewer = np.minimum(per_record[cand[:, 0]], per_record[cand[:, 1]])
    return np.digitize(fewer, _HOLDER_BUCKETS).astype(np.int64)


def _cluster_conflicts(prep: Prepared, cand: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per pair, a bit per phone / e-mail field: set when both records' clusters hold
    values of it and no value is common (compared by the clusters' lowest and highest
    value codes, exact for the common case of one value per cluster)."""
    bits = np.zeros(len(cand), dtype=np.int64)
    left, right = labels[cand[:, 0]], labels[cand[:, 1]]
    contact = [
        fd
        for fd in prep.fields.values()
        if fd.type in (FieldType.PHONE, FieldType.EMAIL) and not fd.multi
    ]
    for k, fd in enumerate(contact):
        codes = fd.value_codes.astype(np.int64)
        has = codes >= 0
        low = np.full(len(labels), np.iinfo(np.int64).max)
        high = np.full(len(labels), -1)
        np.minimum.at(low, labels[has], codes[has])
        np.maximum.at(high, labels[has], codes[has])
        both = (high[left] >= 0) & (high[right] >= 0)
        overlap = (low[left] <= high[right]) & (low[right] <= high[left])
        bits |= (both & ~overlap).astype(np.int64) << k
    return bits


def _oracle(levels: np.ndarray, classes: list[np.ndarray], true_pair: np.ndarray) -> np.ndarray:
    """Per pair, the share of true pairs in its class (levels and the extra features)."""
    key = np.zeros(len(levels), dtype=np.int64)
    columns = [levels[:, k] + 1 for k in range(levels.shape[1])] + classes
    for col in columns:
        key = key * (int(col.max(initial=0)) + 1) + col
    _, cls, count = np.unique(key, return_inverse=True, return_counts=True)
    return (np.bincount(cls, weights=true_pair) / count)[cls]


def _scores(label: str, labels: np.ndarray, truth: np.ndarray) -> str:
    m = pair_metrics(truth.tolist(), labels.tolist())
    return f"{label}: P={m['precision']:.4f} R={m['recall']:.4f} F1={m['f1']:.4f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--spec", required=True)
    ap.add_argument("--truth", default="entity")
    ap.add_argument(
        "--oracle", action="store_true", help="also the labelled bound (see the docstring)"
    )
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
    if args.oracle:
        extra = [_name_holders(res.state.prep, cand)]
        extra.append(_cluster_conflicts(res.state.prep, cand, res.state.labels))
        share = _oracle(res.state.levels, extra, m)
        for t in THRESHOLDS:
            keep = share >= t
            labels = components(n, cand[keep, 0], cand[keep, 1])
            print(_scores(f"labelled oracle, class share >= {t}", labels, truth))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
