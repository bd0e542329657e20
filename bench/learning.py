"""Learning from stewards' decisions: the F1 change per 100 decisions on generated data.

    .venv/bin/python bench/learning.py --flavour zh --rows 20000 --steps 5
    .venv/bin/python bench/learning.py --csv /tmp/unseen/cn_retail_20000.csv --truth entity

A steward works the review queue: the engine resolves the records, the pairs it is
unsure of (decision "review": between the lower and the upper threshold, or merge-level
pairs that clustering kept apart) are put in the order the review app shows them, the
closest to the auto-merge threshold first, and the steward answers the first 100 from
the truth column, as a careful steward would: merge if the two records are one entity,
keep apart if not. The decisions go back into the engine as must-link / cannot-link
pairs, which `dedupe.resolve` obeys in clustering and clamps in EM (a decided pair is a
labelled match or non-match, so the weights are refitted with them). Then the next 100
of the new queue, and so on.

Each step reports the pairwise F1 of the clusters twice:

* `refit`: the decisions as constraints *and* labels in EM (what `resolve` does with
  them: the weights learn from the decisions, so undecided pairs move too);
* `constraints only`: the same decisions with the first run's model frozen
  (`resolve(..., model=...)`): what the decided pairs alone change.

The difference between the two is what the engine learned from the decisions. Nothing
here is tuned: default settings, the spec's types.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dedupe import pair_metrics  # noqa: E402
from gen_data import EN_SPEC, ZH_SPEC, generate  # noqa: E402

from dedupe import MatchSettings, MatchSpec, resolve  # noqa: E402
from dedupe.engine import Resolution  # noqa: E402

Pair = tuple[str, str]


@dataclass(frozen=True)
class Step:
    decisions: int
    merges: int
    aparts: int
    refit: dict[str, float]
    frozen: dict[str, float]
    queue_left: int
    seconds: float


def review_queue(res: Resolution, decided: set[Pair], upper: float) -> list[Pair]:
    """The undecided pairs a steward is asked about, the closest to the auto-merge
    threshold (in log-odds) first; ties by ids, so the order is reproducible."""
    threshold = _logit(upper)
    pending = [
        (abs(_logit(p.probability) - threshold), p.id_l, p.id_r)
        for p in res.pairs
        if p.decision == "review" and (p.id_l, p.id_r) not in decided
    ]
    return [(a, b) for _, a, b in sorted(pending)]


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def clusters_f1(res: Resolution, ids: list[str], truth: dict[str, str]) -> dict[str, float]:
    return pair_metrics([truth[i] for i in ids], [res.clusters[i] for i in ids])


def run(
    records: dict[str, list[str]],
    spec: MatchSpec,
    truth: dict[str, str],
    *,
    per_step: int,
    steps: int,
    workers: int,
    say: Any = print,
) -> tuple[dict[str, float], list[Step]]:
    settings = MatchSettings(workers=workers)
    ids = records[spec.id]
    first = resolve(records, spec, settings)
    base = clusters_f1(first, ids, truth)
    say(
        f"no decisions: P={base['precision']:.4f} R={base['recall']:.4f} F1={base['f1']:.4f} "
        f"({sum(p.decision == 'review' for p in first.pairs)} pairs in review)"
    )
    merges: list[Pair] = []
    aparts: list[Pair] = []
    decided: set[Pair] = set()
    current, out = first, []
    for _ in range(steps):
        queue = review_queue(current, decided, settings.upper)
        if not queue:
            say("the queue is empty")
            break
        for a, b in queue[:per_step]:
            (merges if truth[a] == truth[b] else aparts).append((a, b))
            decided.add((a, b))
        t0 = time.perf_counter()
        current = resolve(records, spec, settings, must_link=merges, cannot_link=aparts)
        seconds = time.perf_counter() - t0
        frozen = resolve(
            records, spec, settings, must_link=merges, cannot_link=aparts, model=first.model
        )
        row = Step(
            len(decided),
            len(merges),
            len(aparts),
            clusters_f1(current, ids, truth),
            clusters_f1(frozen, ids, truth),
            len(review_queue(current, decided, settings.upper)),
            seconds,
        )
        out.append(row)
        say(
            f"{row.decisions} decisions ({row.merges} merge, {row.aparts} apart): refit "
            f"F1={row.refit['f1']:.4f} (P={row.refit['precision']:.4f} "
            f"R={row.refit['recall']:.4f}), constraints only F1={row.frozen['f1']:.4f}; "
            f"{row.queue_left} left in review; refit {seconds:.1f}s"
        )
    return base, out


def markdown(base: dict[str, float], rows: list[Step], per_step: int) -> str:
    lines = [
        "| decisions | merge / apart | refit P / R / F1 | F1 change per "
        f"{per_step} | constraints only F1 | learned (refit - constraints) | left in review |",
        "|---:|---:|---|---:|---:|---:|---:|",
        f"| 0 | | {base['precision']:.4f} / {base['recall']:.4f} / {base['f1']:.4f} | | "
        f"{base['f1']:.4f} | | |",
    ]
    prev = base["f1"]
    for r in rows:
        f = r.refit
        lines.append(
            f"| {r.decisions} | {r.merges} / {r.aparts} | {f['precision']:.4f} / "
            f"{f['recall']:.4f} / {f['f1']:.4f} | {f['f1'] - prev:+.4f} | "
            f"{r.frozen['f1']:.4f} | {f['f1'] - r.frozen['f1']:+.4f} | {r.queue_left} |"
        )
        prev = f["f1"]
    return "\n".join(lines)


def read_csv(path: str, spec: MatchSpec, truth_col: str) -> tuple[dict[str, list[str]], dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or truth_col not in rows[0]:
        raise SystemExit(f"{path}: no truth column {truth_col!r}")
    cols = [spec.id, *spec.fields]
    records = {c: [r.get(c) or "" for r in rows] for c in cols}
    return records, {r[spec.id]: r[truth_col] for r in rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flavour", choices=["zh", "en"], default="zh")
    ap.add_argument("--rows", type=int, default=20_000, help="generated rows (gen_data.py)")
    ap.add_argument("--seed", type=int, default=7, help="generator seed")
    ap.add_argument("--csv", help="a labelled CSV instead of generated data")
    ap.add_argument("--spec", help="its spec (default: the CSV's name with .spec.yaml)")
    ap.add_argument("--truth", default="entity", help="the truth column")
    ap.add_argument("--per-step", type=int, default=100, help="decisions per step")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)
    if args.csv:
        spec = MatchSpec.from_yaml(args.spec or str(Path(args.csv).with_suffix(".spec.yaml")))
        records, truth = read_csv(args.csv, spec, args.truth)
        what = args.csv
    else:
        spec = MatchSpec.from_dict(ZH_SPEC if args.flavour == "zh" else EN_SPEC)
        rows = generate(args.rows, args.flavour, args.seed)
        records = {c: [r.get(c) or "" for r in rows] for c in [spec.id, *spec.fields]}
        truth = {r[spec.id]: r["entity"] for r in rows}
        what = f"gen_data.py {args.flavour} {args.rows} rows, seed {args.seed}"
    print(f"{what}: {len(truth)} records, {len(set(truth.values()))} entities")
    base, rows_out = run(
        records,
        spec,
        truth,
        per_step=args.per_step,
        steps=args.steps,
        workers=args.workers,
    )
    print()
    print(markdown(base, rows_out, args.per_step))
    return 0


if __name__ == "__main__":
    sys.exit(main())
