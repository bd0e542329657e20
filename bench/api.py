"""Benchmark of the golden-record API: a real HTTP client against `chub serve` on PostgreSQL.

    psql -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE chub_bench_api"
    nice .venv/bin/python bench/api.py --golden 1000000 \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/chub_bench_api --json /tmp/api.json

What it does:

1. wipes the database's ``public`` schema, migrates it to head, and bulk-loads (COPY)
   ``--golden`` synthetic golden records straight into the hub tables: one source record,
   customer row and crosswalk member each (``erp`` / ``customers`` / ``C-<n>``), their
   search keys, a ``created`` identity event each, and ``--merged`` (1 % by default) of
   them merged into another record (``merged`` + ``retired`` events, ``merged_into`` set);
2. starts ``chub serve`` on a free loopback port (a child process, as an operator runs it)
   and makes a ``read`` token with ``chub token create``;
3. times, with one keep-alive ``httpx`` client, sequential requests of each kind, after a
   warm-up: a golden record by id (a tenth of them retired ids, answered with their
   survivor), a lookup by source id, a change-feed page of 500 from a random cursor, and a
   search by mobile and by name prefix. Each time is the client's, request sent to body
   read (JSON decoded), so it includes HTTP, auth, the queries and serialization.

It prints p50 / p95 / p99 / max per kind in milliseconds and the targets (lookup by golden
id or source id p95 < 20 ms, feed page of 500 < 200 ms), and writes them as JSON with
``--json``. The machine is a shared 2-core box: other work moves the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integration.store import upgrade  # noqa: E402
from integration.web.api.index import keys_of  # noqa: E402

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文辉力"
_COMPANY = ["科技", "贸易", "网络", "实业", "咨询", "物流", "电子", "食品"]
_CITIES = ["上海", "北京", "杭州", "深圳", "成都", "南京", "广州", "苏州"]
NOW = datetime.now(UTC).isoformat()
PAGE = 500


def _golden_id(i: int) -> str:
    return f"G{i:09d}"


def _fields(i: int, rng: random.Random) -> dict[str, Any]:
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
    fields: dict[str, Any] = {
        "customer_type": "person",
        "name": name,
        "mobile": f"+861{rng.choice('3589')}{i:09d}",
        "email": f"c{i}@example.com",
        "city": rng.choice(_CITIES),
    }
    if i % 4 == 0:
        fields["company_name"] = f"{rng.choice(_CITIES)}{name}{rng.choice(_COMPANY)}有限公司"
    return fields


def _copy(engine: Engine, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """COPY rows into table (one transaction per table); returns how many."""
    raw = engine.raw_connection()
    n = 0
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
                n += 1
        raw.commit()
    finally:
        raw.close()
    return n


def load(engine: Engine, golden: int, merged_share: float, seed: int) -> dict[str, float]:
    """Wipe, migrate and bulk-load the hub; returns seconds per step."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    timings["migrate_s"] = time.monotonic() - started
    rng = random.Random(seed)
    fields = [_fields(i, rng) for i in range(golden)]
    merged = set(rng.sample(range(1, golden), int(golden * merged_share)))
    survivors = {i: rng.randrange(0, golden) for i in merged}
    for i, s in list(survivors.items()):
        while s in merged or s == i:
            s = rng.randrange(0, golden)
        survivors[i] = s

    def step(name: str, fn: Callable[[], int]) -> None:
        t = time.monotonic()
        n = fn()
        timings[f"{name}_s"] = round(time.monotonic() - t, 2)
        print(f"  {name}: {n} rows in {timings[f'{name}_s']} s", file=sys.stderr, flush=True)

    step(
        "source_record",
        lambda: _copy(
            engine,
            "source_record",
            [
                "id",
                "source",
                "stream",
                "source_key",
                "payload",
                "payload_hash",
                "hash_history",
                "deleted",
                "first_seen",
                "last_seen",
                "changed_at",
            ],
            (
                (i + 1, "erp", "customers", f"C-{i}", "{}", "h", "[]", False, NOW, NOW, NOW)
                for i in range(golden)
            ),
        ),
    )
    step(
        "customer_row",
        lambda: _copy(
            engine,
            "customer_row",
            [
                "id",
                "source",
                "stream",
                "source_key",
                "fields",
                "verdict",
                "reasons",
                "record_hash",
                "verdict_history",
                "updated_at",
            ],
            (
                (
                    i + 1,
                    "erp",
                    "customers",
                    f"C-{i}",
                    json.dumps(fields[i], ensure_ascii=False),
                    "ok",
                    "[]",
                    "h",
                    "[]",
                    NOW,
                )
                for i in range(golden)
            ),
        ),
    )

    def golden_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(golden):
            gone = i in merged
            lineage = {
                k: {"from": f"erp:customers:C-{i}", "rule": "most_recent_non_empty"}
                for k in fields[i]
            }
            facts = {"orders": i % 7, "revenue": float(i % 7) * 120.5, "lifecycle_stage": "repeat"}
            yield (
                _golden_id(i),
                json.dumps(fields[i], ensure_ascii=False),
                json.dumps(lineage),
                json.dumps(facts),
                2 if gone else 1,
                f"{i:064x}",
                "retired" if gone else "active",
                _golden_id(survivors[i]) if gone else None,
                "ok",
                "[]",
                NOW,
                NOW,
            )

    step(
        "golden_customer",
        lambda: _copy(
            engine,
            "golden_customer",
            [
                "golden_id",
                "fields",
                "lineage",
                "facts",
                "version",
                "content_hash",
                "status",
                "merged_into",
                "verdict",
                "reasons",
                "created_at",
                "updated_at",
            ],
            golden_rows(),
        ),
    )
    step(
        "golden_member",
        lambda: _copy(
            engine,
            "golden_member",
            ["row_id", "golden_id", "source", "stream", "source_key"],
            (
                (i + 1, _golden_id(survivors.get(i, i)), "erp", "customers", f"C-{i}")
                for i in range(golden)
            ),
        ),
    )

    def events() -> Iterator[tuple[Any, ...]]:
        for i in range(golden):
            yield ("created", _golden_id(i), None, "engine", "bench", "{}", NOW)
        for i, s in sorted(survivors.items()):
            yield ("merged", _golden_id(i), _golden_id(s), "engine", "bench", "{}", NOW)
            yield ("retired", _golden_id(i), _golden_id(s), "engine", "bench", "{}", NOW)

    step(
        "identity_event",
        lambda: _copy(
            engine,
            "identity_event",
            ["kind", "golden_id", "other_id", "cause", "run_id", "detail", "at"],
            events(),
        ),
    )

    def key_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(golden):
            if i not in merged:
                for kind, key in sorted(keys_of(fields[i])):
                    yield (_golden_id(i), kind, key)

    step(
        "golden_search_key",
        lambda: _copy(engine, "golden_search_key", ["golden_id", "kind", "key"], key_rows()),
    )
    with engine.begin() as conn:
        head = conn.execute(
            text("SELECT txid, id FROM identity_event ORDER BY txid DESC, id DESC LIMIT 1")
        ).one()
        conn.execute(
            text(
                "INSERT INTO search_index_state (name, cursor, built_at, updated_at)"
                " VALUES ('golden', :c, now(), now())"
            ),
            {"c": f"{head.txid}-{head.id}"},
        )
    t = time.monotonic()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    timings["analyze_s"] = round(time.monotonic() - t, 2)
    return timings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1], 2),
    }


def _time(client: httpx.Client, urls: list[str], warmup: int) -> list[float]:
    for url in urls[:warmup]:
        client.get(url).raise_for_status()
    times: list[float] = []
    for url in urls:
        t = time.perf_counter()
        r = client.get(url)
        r.json()
        times.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url}: {r.status_code} {r.text[:200]}")
    return times


def measure(url: str, engine: Engine, golden: int, requests: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "chub.yaml"
        config.write_text(f"hub:\n  database_url: {url}\n", encoding="utf-8")
        env = {**os.environ, "CHUB_CONFIG": str(config)}
        chub = [sys.executable, "-m", "integration.cli"]
        token = subprocess.run(
            [*chub, "token", "create", f"bench-{os.getpid()}", "--scope", "read"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.strip()
        port = _free_port()
        server = subprocess.Popen(
            [*chub, "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
            ) as client:
                for _ in range(300):
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.1)
                else:
                    raise SystemExit(f"chub serve did not start: {server.stderr}")
                with engine.connect() as conn:
                    retired = [
                        r[0]
                        for r in conn.execute(
                            text(
                                "SELECT golden_id FROM golden_customer WHERE status = 'retired'"
                                " ORDER BY random() LIMIT :n"
                            ),
                            {"n": requests // 10},
                        )
                    ]
                    positions = [
                        f"{t}-{i}"
                        for t, i in conn.execute(
                            text(
                                "SELECT txid, id - 1 FROM identity_event ORDER BY random() LIMIT :n"
                            ),
                            {"n": requests // 5},
                        )
                    ]
                ids = [_golden_id(rng.randrange(golden)) for _ in range(requests - len(retired))]
                by_id = [f"/api/golden/{g}" for g in ids + retired]
                rng.shuffle(by_id)
                by_source = [
                    f"/api/lookup?source=erp&id=C-{rng.randrange(golden)}" for _ in range(requests)
                ]
                feed = [f"/api/changes?cursor={p}&limit={PAGE}" for p in positions]
                mobiles = [
                    f"/api/search?mobile=1{rng.choice('3589')}{rng.randrange(golden):09d}"
                    for _ in range(requests // 4)
                ]
                names = [
                    f"/api/search?name={rng.choice(_SURNAMES)}{rng.choice(_GIVEN)}&limit=20"
                    for _ in range(requests // 4)
                ]
                results = {
                    "golden_by_id": _percentiles(_time(client, by_id, 50)),
                    "lookup_by_source_id": _percentiles(_time(client, by_source, 50)),
                    "feed_page_500": _percentiles(_time(client, feed, 5)),
                    "search_mobile": _percentiles(_time(client, mobiles, 20)),
                    "search_name_prefix": _percentiles(_time(client, names, 20)),
                }
                sample = client.get(feed[0]).json()
                if len(sample["events"]) != PAGE and sample["more"]:
                    raise SystemExit("a feed page came back short")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--golden", type=int, default=100_000, help="golden records to load")
    ap.add_argument("--merged", type=float, default=0.01, help="share of them merged away")
    ap.add_argument("--database", required=True, help="a PostgreSQL URL: its schema is wiped")
    ap.add_argument("--requests", type=int, default=2000, help="timed requests per lookup kind")
    ap.add_argument("--skip-load", action="store_true", help="reuse the hub loaded last time")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args()
    if not args.database.startswith("postgresql"):
        raise SystemExit("--database must be a PostgreSQL URL (the benchmark bulk-loads with COPY)")
    engine = create_engine(args.database)
    out: dict[str, Any] = {"golden": args.golden, "merged_share": args.merged}
    if not args.skip_load:
        print(f"loading {args.golden} golden records ...", file=sys.stderr, flush=True)
        out["load"] = load(engine, args.golden, args.merged, args.seed)
    out["requests"] = measure(args.database, engine, args.golden, args.requests, args.seed)
    engine.dispose()
    targets = {
        "golden_by_id": ("p95_ms", 20.0),
        "lookup_by_source_id": ("p95_ms", 20.0),
        "feed_page_500": ("p95_ms", 200.0),
    }
    print(f"{'request':<22} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  target")
    for kind, r in out["requests"].items():
        target = targets.get(kind)
        verdict = ""
        if target:
            verdict = f"p95 < {target[1]:g} ms: {'met' if r[target[0]] < target[1] else 'MISSED'}"
        print(
            f"{kind:<22} {r['n']:>5} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8}"
            f" {r['max_ms']:>8}  {verdict}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
