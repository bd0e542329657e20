"""Benchmark any CSV + matching spec + truth column: our engine (`chub dedupe`) vs Splink.

    .venv/bin/python bench/public_data.py --out /tmp/chub-public
    .venv/bin/python bench/bench_csv.py --csv /tmp/chub-public/febrl3.csv \
        --spec /tmp/chub-public/febrl3.spec.yaml --truth entity --repeat 3
    # our engine from a fixed snapshot rather than the (possibly half-edited) work tree:
    git archive HEAD | tar -x -C /tmp/chub-head
    .venv/bin/python bench/bench_csv.py --csv ... --engine-src /tmp/chub-head
    # several files at once (the spec defaults to <csv without .csv>.spec.yaml beside it),
    # plus 10 sample false-negative / false-positive pairs of our engine per file:
    .venv/bin/python bench/bench_csv.py --csv /tmp/chub-public/*.csv --truth entity --errors 10

Engines, each run in its own child process (so its peak RSS is its own: `RUSAGE_CHILDREN`
read in a small intermediate interpreter, see `_spawn`):

* `ours`: `chub dedupe CSV --spec SPEC --out CLUSTERS` as a user runs it (`--ours-cmd
  module` uses `python -m dedupe` instead). Its wall time is the whole command:
  interpreter start, imports, CSV read and write included.
* `splink`: Splink 5 (DuckDB) configured automatically from the same spec, the way a
  stock Splink user would (see `splink_model`): the natural comparison per type; blocking
  on exact keys, name + locality (the name alone where there is no locality) and the
  date; lambda from deterministic rules (looser ones if those find no pair, as Splink's
  warning suggests); u by random sampling; EM on two blocking rules (a failing EM session
  is skipped, as a user would); predict at 0.5, clusters at 0.95. Its wall time runs from
  the DataFrame in memory to the clusters DataFrame (imports and CSV parsing excluded).
* `reference`: the peer of issue 19, `../shared/reference/splink_reference.py` (Splink 5
  configured generically from the spec's types), run from where it lies with the Python
  of a venv that has Splink (`--reference-python`, default `/work/benchvenv/bin/python`;
  the project's venv has no Splink). Its wall time is the whole command, like ours.

`proc s` is the whole child process for both engines (the like-for-like number). Quality
is pairwise precision / recall / F1 of the record pairs implied by the clusters against
the truth column, from a contingency table (no O(n^2) pair list). Timings are medians
over `--repeat` runs on a shared 2-core machine: expect noise.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_dedupe import pair_metrics  # noqa: E402  (one definition for every benchmark)

ENGINES = ("ours", "splink", "reference")
REFERENCE = ROOT.parent / "shared" / "reference" / "splink_reference.py"
REFERENCE_PYTHON = "/work/benchvenv/bin/python"


# --------------------------------------------------------------------------- quality


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_clusters(path: str | Path, id_col: str) -> dict[str, str]:
    return {r[id_col].strip(): r["cluster_id"] for r in read_csv_rows(path)}


def score(
    rows: list[dict[str, str]], id_col: str, truth: str, clusters: dict[str, str]
) -> dict[str, float]:
    ids = [r[id_col].strip() for r in rows]
    missing = [i for i in ids if i not in clusters]
    if missing:
        raise RuntimeError(f"{len(missing)} ids have no cluster, e.g. {missing[:3]}")
    return pair_metrics([r[truth] for r in rows], [clusters[i] for i in ids])


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    seconds: float  # the engine's timed span (see the module docstring)
    proc_seconds: float  # the whole child process
    peak_mb: float
    clusters: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


# A fresh, small interpreter runs the measured command and reports its wall time and
# RUSAGE_CHILDREN peak RSS. Measuring from this (large) process instead would be wrong: on
# Linux a child's ru_maxrss starts at the RSS of the process it was forked from (the
# memory map it had before exec counts), so every child would look at least as big as
# the benchmark itself once it has loaded data or run the error analysis.
_MEASURE = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w") as fh:
    json.dump({"rc": rc, "wall": wall, "maxrss_kib": peak}, fh)
"""


def _spawn(cmd: list[str], workdir: Path) -> tuple[float, float, str, str]:
    """Run `cmd`; (wall seconds, peak RSS MB of it and its descendants, stdout, stderr).
    Output goes to files, so a chatty child cannot block on a full pipe."""
    out_path, err_path = workdir / "stdout.txt", workdir / "stderr.txt"
    usage_path = workdir / "usage.json"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        subprocess.run(
            [sys.executable, "-S", "-c", _MEASURE, str(usage_path), *cmd],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            check=True,
        )
    usage = json.loads(usage_path.read_text())
    stdout, stderr = out_path.read_text(), err_path.read_text()
    if usage["rc"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {usage['rc']}:\n{stderr[-3000:]}")
    return usage["wall"], usage["maxrss_kib"] / 1024, stdout, stderr  # Linux: KiB


def ours_command(csv_path: str, spec_path: str, out: str, how: str) -> list[str]:
    chub = Path(sys.executable).with_name("chub")
    if how == "chub" and chub.exists():
        return [str(chub), "dedupe", csv_path, "--spec", spec_path, "--out", out]
    return [sys.executable, "-m", "dedupe", csv_path, "--spec", spec_path, "--out", out]


def run_ours(csv_path: str, spec_path: str, id_col: str, workdir: Path, how: str) -> Run:
    out = workdir / "ours_clusters.csv"
    cmd = ours_command(csv_path, spec_path, str(out), how)
    wall, peak, stdout, _ = _spawn(cmd, workdir)
    summary = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    m = re.search(r"([\d.]+)s$", summary)
    extra = {"summary": summary, "engine_seconds": float(m.group(1)) if m else float("nan")}
    return Run(wall, wall, peak, read_clusters(out, id_col), extra)


def run_reference(
    csv_path: str, spec_path: str, id_col: str, workdir: Path, python: str, script: Path = REFERENCE
) -> Run:
    """The shared Splink reference script as a command (from where it lies)."""
    if not script.is_file():
        raise SystemExit(f"no peer at {script}")
    out = workdir / "reference_clusters.csv"
    cmd = [python, str(script), csv_path, "--spec", spec_path, "--out", str(out)]
    wall, peak, _, stderr = _spawn(cmd, workdir)
    summary = [line for line in stderr.splitlines() if "records=" in line]
    return Run(wall, wall, peak, read_clusters(out, id_col), {"summary": summary[-1:]})


def run_splink_child(csv_path: str, spec_path: str, workdir: Path) -> Run:
    out = workdir / "splink_clusters.csv"
    cmd = [sys.executable, __file__, "--worker", "splink", "--csv", csv_path]
    cmd += ["--spec", spec_path, "--out", str(out)]
    wall, peak, stdout, _ = _spawn(cmd, workdir)
    info = json.loads(stdout.strip().splitlines()[-1])
    spec = load_spec(spec_path)
    return Run(info.pop("seconds"), wall, peak, read_clusters(out, spec["id"]), info)


# --------------------------------------------------------------------------- Splink


def load_spec(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        spec: dict[str, Any] = yaml.safe_load(fh)
    spec["fields"] = {str(k): str(v).strip() for k, v in spec["fields"].items()}
    return spec


_DATE_FORMATS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{8}$"), "%Y%m%d"),
    (re.compile(r"^\d{4}/\d{2}/\d{2}$"), "%Y/%m/%d"),
    (re.compile(r"^\d{2}/\d{2}/\d{4}$"), "%d/%m/%Y"),
)


def sniff_date_format(values: Sequence[str | None]) -> str | None:
    """The strptime format most non-empty values are written in (a user knows it), or
    None if no single format covers 95 % of them."""
    present = [v for v in values if v]
    if not present:
        return None
    for pattern, fmt in _DATE_FORMATS:
        if sum(bool(pattern.match(v)) for v in present) >= 0.95 * len(present):
            return fmt
    return None


def splink_model(fields: dict[str, str], df: Any) -> dict[str, Any]:
    """Comparisons, blocking rules, deterministic rules and EM rules for a spec, as a
    stock Splink user would write them (one natural comparison per column type)."""
    import splink.comparison_library as cl
    from splink import block_on

    by_type: dict[str, list[str]] = defaultdict(list)
    for col, typ in fields.items():
        by_type[typ].append(col)
    comparisons = []
    for col, typ in fields.items():
        if typ == "person_name":
            comparisons.append(cl.NameComparison(col).configure(term_frequency_adjustments=True))
        elif typ == "email":
            comparisons.append(cl.EmailComparison(col))
        elif typ == "date":
            fmt = sniff_date_format(df[col].tolist())
            if fmt:
                comparisons.append(
                    cl.DateOfBirthComparison(col, input_is_string=True, datetime_format=fmt)
                )
            else:  # free-form dates: compare the strings
                comparisons.append(cl.LevenshteinAtThresholds(col, [1, 2]))
        elif typ in ("phone", "identifier"):
            comparisons.append(cl.LevenshteinAtThresholds(col, [1, 2]))
        elif typ == "postcode":
            comparisons.append(cl.LevenshteinAtThresholds(col, [1]))
        elif typ in ("address", "company_name", "text"):
            comparisons.append(cl.JaroWinklerAtThresholds(col, [0.92, 0.8]))
        elif typ == "category":
            comparisons.append(cl.ExactMatch(col).configure(term_frequency_adjustments=True))
        else:
            raise ValueError(f"no Splink comparison for type {typ!r} of {col!r}")

    keys = by_type["identifier"] + by_type["phone"] + by_type["email"]
    names = by_type["person_name"]
    places = by_type["category"] + by_type["postcode"]
    dates = by_type["date"]
    rules = [block_on(k) for k in keys]
    rules += [block_on(n, p) for n in names for p in places]
    if not places:  # names and nothing to pair them with: the name alone
        rules += [block_on(n) for n in names]
    rules += [block_on(d) for d in dates]
    if not rules:  # nothing typed as a key or a name: every column exactly
        rules = [block_on(c) for c in fields]

    # lambda: records that agree exactly on a strong key (or on name and birth date); if
    # that finds (next to) no pair (Splink warns "usually in error ... revise the rules"
    # or expects ~1 match in the file), the user's second try: any one name or date column
    deterministic = [block_on(k) for k in keys]
    if not deterministic and names and dates:
        deterministic = [block_on(*names, dates[0])]
    if not deterministic:
        deterministic = rules[:1]
    looser = [block_on(c) for c in names + dates] or rules

    # EM: one session blocked on the names (trains the rest), one on something else
    # (trains the names): the birth date, else a key, else a place
    em = [block_on(*names)] if names else []
    other = dates[:1] or keys[:1] or places[:1]
    if other:
        em.append(block_on(other[0]))
    if not em:
        em = rules[:2]
    return {
        "comparisons": comparisons,
        "rules": rules,
        "deterministic": deterministic,
        "deterministic_looser": looser,
        "em": em,
    }


def splink_worker(csv_path: str, spec_path: str, out: str) -> None:
    """In the child: read the CSV (untimed), then time Splink from DataFrame to clusters."""
    import logging

    import pandas as pd
    from splink import DuckDBAPI, Linker, SettingsCreator

    logging.disable(logging.WARNING)
    spec = load_spec(spec_path)
    id_col, fields = spec["id"], spec["fields"]
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False, usecols=[id_col, *fields])
    df = df.apply(lambda s: s.str.strip()).replace({"": None})
    # Splink pastes column names into SQL unquoted ("E-Mail" is a syntax error): a user
    # renames such columns first
    safe = {c: f"c{k}" for k, c in enumerate(fields)}
    df = df.rename(columns={**safe, id_col: "uid"})
    fields = {safe[c]: t for c, t in fields.items()}
    id_col_out, id_col = id_col, "uid"

    t0 = time.perf_counter()
    model = splink_model(fields, df)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name=id_col,
        comparisons=model["comparisons"],
        blocking_rules_to_generate_predictions=model["rules"],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    linker = Linker(db.register(df), settings)
    linker.training.estimate_probability_two_random_records_match(
        model["deterministic"], recall=0.7
    )

    def prior() -> float:
        return float(linker.misc.save_model_to_json()["probability_two_random_records_match"])

    # Splink prints "we expect a total of around N matching pairs": a user who reads ~0
    # or 1.4 for a file of 10,000 records revises the rules (here: < 1 per 1000 records)
    n = len(df)
    lambda_retried = prior() * n * (n - 1) / 2 < max(1.0, n / 1000)
    if lambda_retried:
        linker.training.estimate_probability_two_random_records_match(
            model["deterministic_looser"], recall=0.7
        )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    em_failed = []
    for rule in model["em"]:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # noqa: BLE001 - a user skips a failing session
            em_failed.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.95)
    cdf = clusters.as_pandas_dataframe()[[id_col, "cluster_id"]].rename(
        columns={id_col: id_col_out}
    )
    seconds = time.perf_counter() - t0

    cdf.to_csv(out, index=False)
    info = {
        "seconds": seconds,
        "em_failed": em_failed,
        "lambda_retried": lambda_retried,
        "lambda": prior(),
    }
    print(json.dumps(info))


# --------------------------------------------------------------------------- errors


def _pairs_in_groups(
    groups: dict[str, list[int]],
    keep: Callable[[int, int], bool],
    limit: int,
    rng: random.Random,
) -> list[tuple[int, int]]:
    """Up to `limit` pairs (i, j) inside the groups for which keep(i, j); sampled
    reservoir-style so big groups do not dominate the sample or the run time."""
    found: list[tuple[int, int]] = []
    seen = 0
    for members in groups.values():
        if len(members) < 2:
            continue
        if len(members) > 300:  # a giant cluster: a sample of its members is plenty
            members = rng.sample(members, 300)
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                i, j = members[a], members[b]
                if not keep(i, j):
                    continue
                seen += 1
                if len(found) < limit:
                    found.append((i, j))
                elif (k := rng.randrange(seen)) < limit:
                    found[k] = (i, j)
    return sorted(found)


def error_pairs(
    rows: list[dict[str, str]],
    id_col: str,
    truth: str,
    clusters: dict[str, str],
    limit: int,
    seed: int = 7,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(false negatives, false positives): sample record-index pairs."""
    rng = random.Random(seed)
    ent = [r[truth] for r in rows]
    clu = [clusters[r[id_col].strip()] for r in rows]
    by_ent: dict[str, list[int]] = defaultdict(list)
    by_clu: dict[str, list[int]] = defaultdict(list)
    for i, (e, c) in enumerate(zip(ent, clu, strict=True)):
        by_ent[e].append(i)
        by_clu[c].append(i)
    fn = _pairs_in_groups(by_ent, lambda i, j: clu[i] != clu[j], limit, rng)
    fp = _pairs_in_groups(by_clu, lambda i, j: ent[i] != ent[j], limit, rng)
    return fn, fp


def engine_view(csv_path: str, spec_path: str) -> dict[str, Any] | None:
    """What our engine thought of pairs (an untimed extra run through the Python API):
    every scored candidate pair with its probability and explanation (the lower
    threshold is set near 0 so that `pairs` keeps them all; merges are decided at the
    default upper threshold as in the timed runs), and the blocking candidates. None if
    the API is not there (the engine is being changed)."""
    try:
        from dedupe import MatchSettings, MatchSpec, resolve
        from dedupe.cli import read_records

        spec = MatchSpec.from_yaml(spec_path)
        records = read_records(csv_path, spec)
        res = resolve(records, spec, MatchSettings(keep_candidates=True, lower=1e-9))
        cand: set[tuple[str, str]] = set()
        if res.candidates is not None:
            ids = res.ids
            cand = {tuple(sorted((ids[a], ids[b]))) for a, b in res.candidates.tolist()}
        scored = {tuple(sorted((p.id_l, p.id_r))): p for p in res.pairs}
        return {"candidates": cand, "scored": scored}
    except Exception as exc:  # noqa: BLE001 - the analysis is a bonus, never fatal
        print(f"(no engine view: {type(exc).__name__}: {exc})", file=sys.stderr)
        return None


def describe_pair(view: dict[str, Any] | None, a: str, b: str) -> str:
    if view is None:
        return ""
    key = tuple(sorted((a, b)))
    p = view["scored"].get(key)
    if p is not None:
        levels = ", ".join(
            f"{f}={e['level']}({e['weight']:+.1f})" for f, e in p.explanation.items()
        )
        note = f" [{p.note}]" if p.note else ""
        return f"p={p.probability:.4f}{note}; {levels}"
    if key in view["candidates"]:
        return "a blocking candidate, not scored (p < 1e-9)"
    return "never a blocking candidate"


def markdown_rows(rows: list[dict[str, str]], idx: Sequence[int]) -> list[str]:
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for i in idx:
        lines.append("| " + " | ".join(rows[i][c].replace("|", "/") for c in cols) + " |")
    return lines


def print_errors(
    name: str,
    csv_path: str,
    spec_path: str,
    rows: list[dict[str, str]],
    id_col: str,
    truth: str,
    clusters: dict[str, str],
    limit: int,
) -> None:
    fn, fp = error_pairs(rows, id_col, truth, clusters, limit)
    view = engine_view(csv_path, spec_path)
    for label, pairs in (("false negatives", fn), ("false positives", fp)):
        print(f"\n### {name}: {len(pairs)} sample {label} of `ours`\n")
        if not pairs:
            print("(none)")
            continue
        for k, (i, j) in enumerate(pairs, start=1):
            a, b = rows[i][id_col], rows[j][id_col]
            print(f"{k}. {a} ~ {b}: {describe_pair(view, a, b)}")
            print("\n".join(markdown_rows(rows, (i, j))))
            print()


# --------------------------------------------------------------------------- main


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def bench_file(
    csv_path: str,
    spec_path: str,
    truth: str,
    engines: Sequence[str],
    repeat: int,
    how: str,
    reference_python: str = REFERENCE_PYTHON,
    reference: Path = REFERENCE,
) -> tuple[list[dict[str, Any]], dict[str, Run], list[dict[str, str]], str]:
    spec = load_spec(spec_path)
    id_col = spec["id"]
    if truth in spec["fields"]:
        raise SystemExit(f"the truth column {truth!r} is a matched field of {spec_path}")
    rows = read_csv_rows(csv_path)
    name = Path(csv_path).name.removesuffix(".csv")
    results, last = [], {}
    for engine in engines:
        runs: list[Run] = []
        metrics: list[dict[str, float]] = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix=f"bench-{engine}-") as tmp:
                if engine == "ours":
                    run = run_ours(csv_path, spec_path, id_col, Path(tmp), how)
                elif engine == "reference":
                    try:
                        run = run_reference(
                            csv_path, spec_path, id_col, Path(tmp), reference_python, reference
                        )
                    except RuntimeError as exc:
                        # a peer that crashes on one file (Splink with a prior of 0 on
                        # rldata500) is a result to report, not a reason to stop the table
                        failure = str(exc).strip().splitlines()[-1]
                        print(f"  {name} reference FAILED: {failure}", file=sys.stderr)
                        results.append(
                            {"data": name, "rows": len(rows), "engine": engine, "failed": failure}
                        )
                        break
                else:
                    run = run_splink_child(csv_path, spec_path, Path(tmp))
            runs.append(run)
            metrics.append(score(rows, id_col, truth, run.clusters))
            print(
                f"  {name} {engine}: F1={metrics[-1]['f1']:.4f} wall={run.seconds:.2f}s "
                f"proc={run.proc_seconds:.2f}s peak={run.peak_mb:.0f}MB {run.extra}",
                file=sys.stderr,
                flush=True,
            )
        if not runs:
            continue  # the peer failed on this file: recorded above
        last[engine] = runs[-1]
        res: dict[str, Any] = {"data": name, "rows": len(rows), "engine": engine}
        for k in ("precision", "recall", "f1", "true_pairs", "predicted_pairs"):
            res[k] = _median([m[k] for m in metrics])
        res["seconds"] = _median([r.seconds for r in runs])
        res["proc_seconds"] = _median([r.proc_seconds for r in runs])
        res["peak_mb"] = _median([r.peak_mb for r in runs])
        res["runs"] = [
            {"seconds": r.seconds, "proc_seconds": r.proc_seconds, "peak_mb": r.peak_mb, **r.extra}
            for r in runs
        ]
        results.append(res)
    return results, last, rows, id_col


def print_table(results: list[dict[str, Any]]) -> None:
    print(
        "| data set | rows | engine | precision | recall | F1 | wall s | proc s | peak MB "
        "| ours/peer wall | ours/peer proc |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    by_data: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in results:
        by_data[r["data"]][r["engine"]] = r
    for r in results:
        if "failed" in r:
            print(
                f"| {r['data']} | {r['rows']} | {r['engine']} | failed: {r['failed']} "
                "| | | | | | | |"
            )
            continue
        ratio_wall = ratio_proc = ""
        both = by_data[r["data"]]
        peer = next((e for e in ("reference", "splink") if e in both), None)
        if r["engine"] == "ours" and peer and "failed" not in both[peer]:
            ratio_wall = f"{r['seconds'] / both[peer]['seconds']:.2f}"
            ratio_proc = f"{r['proc_seconds'] / both[peer]['proc_seconds']:.2f}"
        print(
            f"| {r['data']} | {r['rows']} | {r['engine']} | {r['precision']:.4f} "
            f"| {r['recall']:.4f} | {r['f1']:.4f} | {r['seconds']:.2f} "
            f"| {r['proc_seconds']:.2f} | {r['peak_mb']:.0f} | {ratio_wall} | {ratio_proc} |"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", nargs="+", required=True, help="input CSV file(s)")
    ap.add_argument(
        "--spec", nargs="+", help="spec per CSV (default: <csv without .csv>.spec.yaml)"
    )
    ap.add_argument("--truth", default="entity", help="the truth column (not in the spec)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    ap.add_argument("--ours-cmd", choices=["chub", "module"], default="chub")
    ap.add_argument(
        "--reference-python",
        default=REFERENCE_PYTHON,
        help="the Python (of a venv with Splink) that runs the reference engine",
    )
    ap.add_argument(
        "--reference",
        default=str(REFERENCE),
        help="the peer script (default: ../shared/reference/splink_reference.py beside the "
        "repository this file is in)",
    )
    ap.add_argument(
        "--engine-src",
        help="run our engine from this source tree (e.g. `git archive HEAD` unpacked) "
        "instead of the installed one: put first on PYTHONPATH",
    )
    ap.add_argument(
        "--errors", type=int, default=0, help="show N sample FN / FP pairs of ours per file"
    )
    ap.add_argument("--json", help="also write all results (and per-run figures) here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        splink_worker(args.csv[0], args.spec[0], args.out)
        return 0
    if args.engine_src:  # the children inherit it; engine_view imports from it too
        src = str(Path(args.engine_src).resolve())
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (src, os.environ.get("PYTHONPATH")) if p
        )
        sys.path.insert(0, src)
    specs = args.spec or [str(Path(c).with_suffix("")) + ".spec.yaml" for c in args.csv]
    if len(specs) == 1 and len(args.csv) > 1:
        specs = specs * len(args.csv)
    if len(specs) != len(args.csv):
        ap.error("give one --spec, or one per --csv")
    results: list[dict[str, Any]] = []
    for csv_path, spec_path in zip(args.csv, specs, strict=True):
        print(f"{csv_path} ...", file=sys.stderr, flush=True)
        res, last, rows, id_col = bench_file(
            csv_path,
            spec_path,
            args.truth,
            args.engines,
            args.repeat,
            args.ours_cmd,
            args.reference_python,
            Path(args.reference),
        )
        results.extend(res)
        if args.errors and "ours" in last:
            name = Path(csv_path).name.removesuffix(".csv")
            clusters = last["ours"].clusters
            print_errors(name, csv_path, spec_path, rows, id_col, args.truth, clusters, args.errors)
    print()
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
