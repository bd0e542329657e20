"""Score a clustering against known truth with pairwise precision / recall / F1.

    .venv/bin/python bench/score_clusters.py --csv IN.csv --clusters CLUSTERS.csv \\
        --truth entity --id "客户编号" [--spec IN.spec.yaml] [--pairs PAIRS.csv] [--show-errors 10]

Pairwise metrics come from the cluster x entity contingency table (numpy, no pair enumeration):
TP = sum C(n_ij, 2), predicted pairs = sum C(a_i, 2), true pairs = sum C(b_j, 2).  Rows of the
input that are missing from CLUSTERS.csv count as singletons.

"Findability": how many true pairs share at least one exact contact attribute after trivial
cleanup - phone digits (a cell is split on / ; , 、 first; masked values with `*` and runs shorter
than 7 digits are ignored) or lowercased, trimmed email.  The phone and email columns are taken
from the spec (`--spec`, default `<csv without .csv>.spec.yaml`); without a spec, columns whose
values look like emails / phone numbers are used.  Recall is also split by findable / unfindable
pairs, and cross-entity pairs that share such a key (the hard negatives) are counted.

`--show-errors N` prints N sampled false-negative and N false-positive pairs with their raw rows
(and the engine's line from `--pairs` when that pair was scored).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import numpy as np

SPLIT = re.compile(r"[/;,、，；|]| or |\s{2,}")


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s: str, n: int) -> str:
    return s + " " * max(n - width(s), 0)


def c2(x: np.ndarray) -> int:
    x = x.astype(np.int64)
    return int((x * (x - 1) // 2).sum())


def read_spec_fields(path: Path) -> dict[str, str]:
    """Tiny reader for the flat spec format (`fields:` then `  "col": type` lines)."""
    out: dict[str, str] = {}
    in_fields = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            in_fields = line.strip().startswith("fields:")
            continue
        if in_fields and ":" in line:
            k, _, v = line.strip().rpartition(":")
            out[k.strip().strip("\"'")] = v.strip()
    return out


def phone_keys(v: str) -> list[str]:
    keys = []
    for part in SPLIT.split(v):
        if "*" in part:
            continue
        d = re.sub(r"\D", "", part)
        if len(d) >= 7:
            keys.append("p:" + d)
    return keys


def email_keys(v: str) -> list[str]:
    e = v.strip().lower()
    return ["e:" + e] if "@" in e else []


def guess_columns(header: list[str], rows: list[dict[str, str]]) -> tuple[list[str], list[str]]:
    phones, emails = [], []
    sample = rows[:2000]
    for c in header:
        vals = [r[c] for r in sample if r[c]]
        if not vals:
            continue
        if sum("@" in v for v in vals) > 0.5 * len(vals):
            emails.append(c)
        elif sum(len(re.sub(r"\D", "", v)) >= 7 for v in vals) > 0.7 * len(vals):
            phones.append(c)
    return phones, emails


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", required=True, type=Path)
    ap.add_argument("--clusters", required=True, type=Path)
    ap.add_argument("--truth", default="entity")
    ap.add_argument("--id", required=True, help="the id column (as in the spec)")
    ap.add_argument("--spec", type=Path, help="spec YAML; default <csv without .csv>.spec.yaml")
    ap.add_argument("--pairs", type=Path, help="the engine's --pairs output, to annotate examples")
    ap.add_argument("--show-errors", type=int, default=0, metavar="N")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    with args.csv.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    n = len(rows)
    ids = [r[args.id] for r in rows]
    pos = {x: i for i, x in enumerate(ids)}
    if len(pos) != n:
        sys.exit("duplicate ids in the input")
    cl: list[str | None] = [None] * n
    with args.clusters.open(encoding="utf-8", newline="") as fh:
        creader = csv.reader(fh)
        next(creader)
        for rec in creader:
            i = pos.get(rec[0])
            if i is not None:
                cl[i] = rec[1]
    missing = sum(c is None for c in cl)
    cl_labels = [c if c is not None else f"__singleton_{i}" for i, c in enumerate(cl)]

    _, e_idx = np.unique(np.array([r[args.truth] for r in rows], dtype=object), return_inverse=True)
    _, c_idx = np.unique(np.array(cl_labels, dtype=object), return_inverse=True)
    ne = int(e_idx.max()) + 1
    _, n_ij = np.unique(c_idx.astype(np.int64) * ne + e_idx, return_counts=True)
    tp = c2(n_ij)
    pred = c2(np.bincount(c_idx))
    true = c2(np.bincount(e_idx))
    prec = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * prec * recall / (prec + recall) if prec + recall else 0.0

    # ---- findability -------------------------------------------------------------------
    spec_path = args.spec or args.csv.with_suffix("").with_name(args.csv.stem + ".spec.yaml")
    if spec_path.exists():
        fields = read_spec_fields(spec_path)
        phones = [c for c, t in fields.items() if t == "phone" and c in header]
        emails = [c for c, t in fields.items() if t == "email" and c in header]
    else:
        phones, emails = guess_columns(header, rows)
    keys: list[list[str]] = []
    for r in rows:
        rk: list[str] = []
        for c in phones:
            rk += phone_keys(r[c])
        for c in emails:
            rk += email_keys(r[c])
        keys.append(rk)
    by_entity: dict[int, list[int]] = defaultdict(list)
    for i, e in enumerate(e_idx):
        by_entity[int(e)].append(i)
    findable = found_findable = found_unfindable = 0
    fn_pairs: list[tuple[int, int]] = []
    for members in by_entity.values():
        if len(members) < 2:
            continue
        groups: dict[str, list[int]] = defaultdict(list)
        for i in members:
            for key in set(keys[i]):
                groups[key].append(i)
        shared: set[tuple[int, int]] = set()
        for g in groups.values():
            for a in range(len(g)):
                for b in range(a + 1, len(g)):
                    shared.add((g[a], g[b]) if g[a] < g[b] else (g[b], g[a]))
        findable += len(shared)
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                i, j = members[a], members[b]
                same = c_idx[i] == c_idx[j]
                if (min(i, j), max(i, j)) in shared:
                    found_findable += int(same)
                else:
                    found_unfindable += int(same)
                if not same:
                    fn_pairs.append((i, j))
    # cross-entity pairs sharing a key (hard negatives); huge groups (junk values) are skipped
    key_groups: dict[str, list[int]] = defaultdict(list)
    for i, ks in enumerate(keys):
        for key in set(ks):
            key_groups[key].append(i)
    cross: set[int] = set()
    cross_co = 0
    for g in key_groups.values():
        if len(g) < 2 or len(g) > 500:
            continue
        for a in range(len(g)):
            for b in range(a + 1, len(g)):
                i, j = g[a], g[b]
                if e_idx[i] != e_idx[j]:
                    code = min(i, j) * n + max(i, j)
                    if code not in cross:
                        cross.add(code)
                        cross_co += int(c_idx[i] == c_idx[j])

    print(
        f"rows                 {n}"
        + (f"   ({missing} missing from clusters -> singletons)" if missing else "")
    )
    print(f"entities / clusters  {ne} / {int(c_idx.max()) + 1}")
    print(f"true pairs           {true}")
    print(f"predicted pairs      {pred}")
    print(f"true positives       {tp}")
    print(f"precision            {prec:.4f}")
    print(f"recall               {recall:.4f}")
    print(f"F1                   {f1:.4f}")
    unf = true - findable
    print(f"phone cols {phones}  email cols {emails}")
    print(f"findable true pairs  {findable} ({findable / max(true, 1):.1%}) share a phone/email")
    print(f"recall | findable    {found_findable / max(findable, 1):.4f}")
    print(f"recall | unfindable  {found_unfindable / max(unf, 1):.4f}   ({unf} pairs)")
    print(
        f"hard negatives       {len(cross)} cross-entity pairs share a phone/email; "
        f"{cross_co} of them were merged"
    )

    if args.show_errors:
        show_errors(args, header, rows, ids, e_idx, c_idx, n_ij, fn_pairs)
    return 0


def format_explanation(header: list[str], rec: list[str]) -> str:
    """One engine pair line, with a JSON per-field explanation shown as field=level(weight)."""
    parts = []
    for h, v in zip(header[2:], rec[2:], strict=False):
        if v.startswith("{"):
            try:
                d = json.loads(v)
            except ValueError:
                parts.append(f"{h}={v}")
                continue
            fields = []
            for f, e in d.items():
                if isinstance(e, dict):
                    lvl = e.get("level", "?")
                    if lvl == "missing":
                        continue
                    fields.append(f"{f}={lvl}({e.get('weight', 0):+.1f})")
                else:
                    fields.append(f"{f}={e}")
            parts.append(" ".join(fields))
        else:
            parts.append(f"{h}={v}")
    return "  ".join(parts)


def show_chain(
    i: int,
    j: int,
    merged: dict[int, list[int]],
    explain: dict[frozenset[str], str],
    ids: list[str],
    rows: list[dict[str, str]],
    cols: list[str],
    e_idx: np.ndarray,
) -> None:
    """The shortest path of engine `merge` pairs linking two records (transitive false positive)."""
    prev = {i: i}
    queue = [i]
    for node in queue:
        if node == j:
            break
        for nb in merged.get(node, []):
            if nb not in prev:
                prev[nb] = node
                queue.append(nb)
    if j not in prev:
        print("  chain: (no path of merge pairs; linked by review pairs or the clusterer)")
        return
    path = [j]
    while path[-1] != i:
        path.append(prev[path[-1]])
    path.reverse()
    print(f"  chain of {len(path) - 1} merge pairs:")
    show = [c for c in cols if c != "entity"]
    for a, b in zip(path, path[1:], strict=False):
        ra, rb = rows[a], rows[b]
        same = "same entity" if e_idx[a] == e_idx[b] else "DIFFERENT entities"
        print(f"    {ids[a]} -> {ids[b]} ({same}): {explain.get(frozenset((ids[a], ids[b])), '')}")
        if e_idx[a] != e_idx[b]:
            for c in show:
                if ra[c] or rb[c]:
                    print(f"        {pad(c, 14)} | {pad(ra[c], 40)} | {rb[c]}")


def show_errors(
    args: argparse.Namespace,
    header: list[str],
    rows: list[dict[str, str]],
    ids: list[str],
    e_idx: np.ndarray,
    c_idx: np.ndarray,
    n_ij: np.ndarray,
    fn_pairs: list[tuple[int, int]],
) -> None:
    rng = random.Random(args.seed)
    explain: dict[frozenset[str], str] = {}
    merged: dict[int, list[int]] = defaultdict(list)
    pos = {x: i for i, x in enumerate(ids)}
    pairs_header = ""
    if args.pairs and args.pairs.exists():
        with args.pairs.open(encoding="utf-8", newline="") as fh:
            pr = csv.reader(fh)
            ph = next(pr)
            pairs_header = ",".join(ph)
            dec = ph.index("decision") if "decision" in ph else -1
            for rec in pr:
                explain[frozenset(rec[:2])] = format_explanation(ph, rec)
                if dec < 0 or rec[dec] == "merge":
                    a, b = pos.get(rec[0]), pos.get(rec[1])
                    if a is not None and b is not None:
                        merged[a].append(b)
                        merged[b].append(a)
    # false positives: sample clusters weighted by their number of wrong pairs
    by_cluster: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(c_idx):
        by_cluster[int(c)].append(i)
    fp_weight: list[tuple[int, int]] = []
    for c, members in by_cluster.items():
        if len(members) < 2:
            continue
        ents: dict[int, int] = defaultdict(int)
        for i in members:
            ents[int(e_idx[i])] += 1
        wrong = len(members) * (len(members) - 1) // 2 - sum(
            k * (k - 1) // 2 for k in ents.values()
        )
        if wrong:
            fp_weight.append((c, wrong))
    fps: list[tuple[int, int]] = []
    for _ in range(args.show_errors if fp_weight else 0):
        c = rng.choices([x for x, _ in fp_weight], weights=[w for _, w in fp_weight])[0]
        m = by_cluster[c]
        while True:
            i, j = rng.sample(m, 2)
            if e_idx[i] != e_idx[j]:
                break
        fps.append((i, j))
    fns = rng.sample(fn_pairs, min(args.show_errors, len(fn_pairs)))
    cols = [h for h in header]
    if pairs_header:
        print(f"\n(engine pairs columns: {pairs_header})")
    for title, sample in (("FALSE NEGATIVES (same entity, different clusters)", fns),
                          ("FALSE POSITIVES (different entities, same cluster)", fps)):  # fmt: skip
        print(f"\n==== {title}: {len(sample)} sampled ====")
        for k, (i, j) in enumerate(sample, 1):
            size_i = int((c_idx == c_idx[i]).sum())
            size_j = int((c_idx == c_idx[j]).sum())
            print(f"\n--- #{k}  ids {ids[i]} / {ids[j]}  cluster sizes {size_i} / {size_j}")
            w = max(width(c) for c in cols)
            for c in cols:
                va, vb = rows[i][c], rows[j][c]
                if va or vb:
                    mark = "  " if va == vb else "≠ "
                    print(f"  {mark}{pad(c, w)} | {pad(va, 42)} | {vb}")
            ex = explain.get(frozenset((ids[i], ids[j])))
            print(f"  engine: {ex if ex else '(pair not in --pairs output)'}")
            if not ex and merged and c_idx[i] == c_idx[j]:
                show_chain(i, j, merged, explain, ids, rows, cols, e_idx)


if __name__ == "__main__":
    raise SystemExit(main())
