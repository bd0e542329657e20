"""The one-record path's latency: `place_rows` for one new contact on a hub of N rows.

    python bench/place_one.py --rows 100000 --samples 200 [--database URL] [--json OUT]

Builds a hub of about N customer rows from the demo generator (source records and
customer rows written in bulk, with the fields `standardize_fields` gives: landing speed
is not what is measured here), resolves it once (the full fit that stores the matching
state), then lands one new customer row at a time (half of them a noisy copy of someone
already in the hub, half a new person) and times `place_rows` on it. The first call
loads the stored state and builds the key index (reported as `cold_ms`); the
percentiles are over the calls after it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, insert, inspect, text  # noqa: E402

import dedupe  # noqa: E402
from integration.demo.data import generate  # noqa: E402
from integration.pipeline.resolve import resolve_customers  # noqa: E402
from integration.pipeline.standardize import standardize_fields  # noqa: E402
from integration.placement import place_rows  # noqa: E402
from integration.store import CustomerRow, SourceRecord, make_engine, upgrade  # noqa: E402
from integration.store.models import utcnow  # noqa: E402

FIELDS = ("name", "mobile", "email", "province", "city", "district", "address", "company_name")
#: the demo's silos hold about 1.83 copies per person
ROWS_PER_PERSON = 1.83


def fresh_hub(url: str | None, wipe: bool) -> Engine:
    """An empty hub: a new SQLite file, or the PostgreSQL database given (empty, or
    wiped with --wipe)."""
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='chub-bench-')}/hub.db"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        if inspect(engine).get_table_names() and not wipe:
            raise SystemExit(f"{url} is not empty: give an empty database or --wipe")
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


def _payload_hash(fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def write_rows(engine: Engine, rows: list[tuple[str, str, dict[str, Any]]]) -> list[int]:
    """(source, key, raw fields) as source records and standardized customer rows."""
    now = utcnow()
    ids: list[int] = []
    with engine.begin() as conn:
        start = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM source_record")).scalar_one()
        for i in range(0, len(rows), 5000):
            chunk = rows[i : i + 5000]
            recs, custs = [], []
            for k, (source, key, raw) in enumerate(chunk):
                rid = start + i + k + 1
                digest = _payload_hash(raw)
                recs.append(
                    dict(
                        id=rid,
                        source=source,
                        stream="customers",
                        source_key=key,
                        payload=raw,
                        payload_hash=digest,
                        hash_history=[],
                        deleted=False,
                        first_seen=now,
                        last_seen=now,
                        changed_at=now,
                    )
                )
                custs.append(
                    dict(
                        id=rid,
                        source=source,
                        stream="customers",
                        source_key=key,
                        fields=standardize_fields(dict(raw)),
                        verdict="ok",
                        reasons=[],
                        record_hash=digest,
                        verdict_history=[],
                        updated_at=now,
                    )
                )
                ids.append(rid)
            conn.execute(insert(SourceRecord), recs)
            conn.execute(insert(CustomerRow), custs)
    return ids


def demo_rows(n_rows: int, seed: int) -> list[tuple[str, str, dict[str, Any]]]:
    data = generate(max(2, int(n_rows / ROWS_PER_PERSON)), seed=seed)
    out = []
    for silo, rows in data.silos.items():
        for i, r in enumerate(rows):
            raw = {k: r[k] for k in FIELDS if r.get(k)}
            if raw.get("mobile") or raw.get("email"):
                out.append((silo, f"{r.get('id', 'X')}-{i}", raw))
    return out


def _noisy_copy(rng: random.Random, raw: dict[str, Any]) -> dict[str, Any]:
    copy = dict(raw)
    if copy.get("email") and rng.random() < 0.5:
        del copy["email"]
    if copy.get("address") and rng.random() < 0.5:
        copy["address"] = copy["address"] + "附近"
    return copy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000, help="customer rows in the hub")
    ap.add_argument("--samples", type=int, default=200, help="rows placed one by one")
    ap.add_argument("--database", help="hub URL (default: a new SQLite file)")
    ap.add_argument("--wipe", action="store_true", help="wipe the PostgreSQL database given")
    ap.add_argument("--json", help="write the figures here as JSON")
    ap.add_argument("--seed", type=int, default=20261207)
    args = ap.parse_args()
    engine = fresh_hub(args.database, args.wipe)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    rows = demo_rows(args.rows, args.seed)
    write_rows(engine, rows)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = resolve_customers(engine, dedupe.CUSTOMER_SPEC, dedupe.MatchSettings())
    resolve_s = time.perf_counter() - t0
    print(
        f"hub: {len(rows)} rows written in {build_s:.1f}s, resolved in {resolve_s:.1f}s "
        f"({report.clusters} clusters)",
        flush=True,
    )
    fresh = demo_rows(args.samples * 2 + 10, args.seed + 1)
    timings: list[float] = []
    outcomes: dict[str, int] = {}
    for k in range(args.samples + 1):
        if k % 2 == 0:
            source, key, raw = rows[rng.randrange(len(rows))]
            raw = _noisy_copy(rng, raw)
        else:
            source, key, raw = fresh[k]
        [rid] = write_rows(engine, [(source, f"placed-{k}-{key}", raw)])
        t = time.perf_counter()
        placed = place_rows(engine, [rid])
        timings.append((time.perf_counter() - t) * 1000)
        for p in placed.placed:
            outcomes[p.outcome] = outcomes.get(p.outcome, 0) + 1
    cold, warm = timings[0], sorted(timings[1:])

    def pct(q: float) -> float:
        return round(warm[min(len(warm) - 1, int(q * len(warm)))], 2)

    figures = {
        "rows": len(rows),
        "database": engine.dialect.name,
        "samples": len(warm),
        "cold_ms": round(cold, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(warm[-1], 2),
        "outcomes": outcomes,
        "hub_build_s": round(build_s, 1),
        "full_resolve_s": round(resolve_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
