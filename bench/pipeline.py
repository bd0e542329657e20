"""The whole pipeline, full then incremental, and whether incremental equals a full run.

    python bench/pipeline.py --people 100000 --changed 0.01 [--database URL] [--json OUT]

Generates N people spread over the four silos (the demo's generator), served by
in-process sources that speak the connector contract with a cursor; runs the stages of
the asset graph once (landing of each source, customer rows, clusters, golden records;
no sink is configured, so nothing is published): the full run, which fits the matching
model and stores its state. Then changes a share F of the source records (a third
edited, a third new noisy copies of people already there, a third deleted upstream),
served after each source's cursor as a changed-since feed serves them, and runs the
stages again: the incremental run. Finally resolves every row again from scratch under
the same stored model and the same previous ids, and compares its clusters with what
the incremental run wrote (`equivalent`, `records_differing`: records whose cluster, as
a set of members, differs).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, inspect, select, text  # noqa: E402

import dedupe  # noqa: E402
import quality  # noqa: E402
from connectors.contract import RawRecord  # noqa: E402
from integration.demo.data import generate  # noqa: E402
from integration.identity import effective_constraints  # noqa: E402
from integration.pipeline.golden import build_golden  # noqa: E402
from integration.pipeline.land import sync_source  # noqa: E402
from integration.pipeline.resolve import (  # noqa: E402
    RESOLVABLE,
    SPEC_FIELDS,
    load_matching_state,
    resolve_customers,
)
from integration.pipeline.standardize import standardize  # noqa: E402
from integration.store import (  # noqa: E402
    CustomerRow,
    GoldenMember,
    make_engine,
    session_scope,
    upgrade,  # noqa: E402
)
from tests.integration.doubles import ListSource  # noqa: E402

FIELDS = ("name", "mobile", "email", "province", "city", "district", "address", "company_name")
SPEC = dedupe.CUSTOMER_SPEC
SETTINGS = dedupe.MatchSettings()


def fresh_hub(url: str | None, wipe: bool) -> Engine:
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='chub-pipeline-')}/hub.db"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        if inspect(engine).get_table_names() and not wipe:
            raise SystemExit(f"{url} is not empty: give an empty database or --wipe")
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


def demo_sources(people: int, seed: int) -> dict[str, ListSource]:
    data = generate(people, seed=seed)
    out = {}
    for silo, rows in data.silos.items():
        records = [
            RawRecord(key=f"{r.get('id', 'X')}-{i}", payload={k: r[k] for k in FIELDS if r.get(k)})
            for i, r in enumerate(rows)
        ]
        out[silo] = ListSource({"customers": records}, page_size=2000)
    return out


def change(sources: dict[str, ListSource], share: float, rng: random.Random) -> dict[str, int]:
    """A share of the records edited, added (noisy copies) or deleted, served after the
    cursors."""
    pool = [(name, r) for name, s in sources.items() for r in s.data["customers"]]
    k = max(3, round(share * len(pool)))
    picked = rng.sample(pool, k)
    counts = Counter[str]()
    for j, (name, record) in enumerate(picked):
        served = sources[name].data["customers"]
        payload = dict(record.payload or {})
        if j % 3 == 0:  # an edit: a typo in the name, or the e-mail gone
            if payload.get("email") and rng.random() < 0.5:
                del payload["email"]
            elif payload.get("name"):
                payload["name"] = payload["name"][:-1] + rng.choice("伟芳娜敏静丽强磊")
            served.append(RawRecord(key=record.key, payload=payload))
            counts["edited"] += 1
        elif j % 3 == 1:  # a new record of someone already there
            payload.pop("email", None)
            served.append(RawRecord(key=f"NEW-{j}", payload=payload))
            counts["new"] += 1
        else:
            served.append(RawRecord(key=record.key, payload=None, deleted=True))
            counts["deleted"] += 1
    return dict(counts)


def run_stages(engine: Engine, sources: dict[str, ListSource]) -> dict[str, float]:
    rules = quality.default_rules()
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    for name, source in sources.items():
        s = time.perf_counter()
        sync_source(engine, name, source)
        seconds[f"land_{name}"] = round(time.perf_counter() - s, 2)
    t = time.perf_counter()
    standardize(engine, sources, rules)
    seconds["customer_rows"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    report = resolve_customers(engine, SPEC, SETTINGS)
    seconds["customer_clusters"] = round(time.perf_counter() - t, 2)
    seconds["_mode"] = report.mode  # type: ignore[assignment]
    seconds["_rows_matched"] = report.rows_matched
    t = time.perf_counter()
    golden = build_golden(engine, rules)
    seconds["golden_customers"] = round(time.perf_counter() - t, 2)
    seconds["_golden_mode"] = golden.mode  # type: ignore[assignment]
    seconds["_golden_looked_at"] = golden.candidates
    return seconds


def records_differing(a: dict[str, str], b: dict[str, str]) -> int:
    """Records whose cluster (its set of members) is not the same in both."""
    refs = set(a) | set(b)
    size_a, size_b = Counter(a.values()), Counter(b.values())
    both = Counter((a.get(r), b.get(r)) for r in refs)
    return sum(
        1
        for r in refs
        if r not in a or r not in b or not (both[(a[r], b[r])] == size_a[a[r]] == size_b[b[r]])
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--changed", type=float, default=0.01, help="share of records changed")
    ap.add_argument("--database", help="hub URL (default: a new SQLite file)")
    ap.add_argument("--wipe", action="store_true", help="wipe the PostgreSQL database given")
    ap.add_argument("--json", help="write the figures here as JSON")
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument(
        "--profile",
        help="profile the incremental run under cProfile: the stats go to this file and "
        "the 30 costliest functions (cumulative) are printed",
    )
    args = ap.parse_args()
    engine = fresh_hub(args.database, args.wipe)
    rng = random.Random(args.seed)
    sources = demo_sources(args.people, args.seed)
    records = sum(len(s.data["customers"]) for s in sources.values())
    print(f"{args.people} people, {records} source records ({engine.dialect.name})", flush=True)
    full = run_stages(engine, sources)
    full_s = sum(v for k, v in full.items() if not k.startswith("_"))
    rss_full = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"full run {full_s:.1f}s {full}", flush=True)
    with session_scope(engine) as session:
        loaded = load_matching_state(session)
        assert loaded is not None
        model, before = loaded.base.model, dict(loaded.base.clusters)
        del loaded
    changes = change(sources, args.changed, rng)
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    inc = run_stages(engine, sources)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue(), flush=True)
    inc_s = sum(v for k, v in inc.items() if not k.startswith("_"))
    print(f"incremental run {inc_s:.1f}s {inc}", flush=True)
    with session_scope(engine) as session:
        q = select(
            CustomerRow.source, CustomerRow.stream, CustomerRow.source_key, CustomerRow.fields
        ).where(CustomerRow.verdict.in_(RESOLVABLE))
        rows = [
            {"id": f"{s}:{t}:{k}", **{f: (v or {}).get(f) for f in SPEC_FIELDS}}
            for s, t, k, v in session.execute(q)
        ]
        constraints = effective_constraints(session)
        written = {
            f"{m.source}:{m.stream}:{m.source_key}": m.golden_id
            for m in session.scalars(select(GoldenMember))
        }
    t = time.perf_counter()
    again = dedupe.resolve(
        rows,
        SPEC,
        SETTINGS,
        must_link=constraints.must_refs,
        cannot_link=constraints.cannot_refs,
        previous=before,
        model=model,
    )
    re_resolve_s = time.perf_counter() - t
    differing = records_differing(again.clusters, written)
    figures: dict[str, Any] = {
        "people": args.people,
        "source_records": records,
        "changed": args.changed,
        "changes": changes,
        "database": engine.dialect.name,
        "full_s": round(full_s, 2),
        "incremental_s": round(inc_s, 2),
        "incremental_share": round(inc_s / full_s, 4) if full_s else None,
        "per_asset_full_s": full,
        "per_asset_incremental_s": inc,
        "peak_rss_mb_after_full": round(rss_full, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "full_re_resolve_same_model_s": round(re_resolve_s, 2),
        "equivalent": differing == 0 and again.clusters == written,
        "same_ids": again.clusters == written,
        "records_differing": differing,
        "records_differing_share": round(differing / max(len(rows), 1), 6),
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
