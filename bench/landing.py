"""Landing speed: an initial load of N records into an empty hub, then a re-sync of the
same N (all unchanged), on SQLite and PostgreSQL; records/s as medians of a few runs.

    .venv/bin/python bench/landing.py --records 200000 --runs 3
    .venv/bin/python bench/landing.py --records 200000 --runs 3 --source sql \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/chub_test_landing

``--database`` (repeatable; default: a SQLite file in a temporary folder) names hubs that
are WIPED before each run (PostgreSQL: ``DROP SCHEMA public CASCADE``): give it only a
database of your own. ``--source synthetic`` (default) lands generated ERP-like customer
payloads straight from memory; ``--source sql`` lands them through the ``type: sql``
connector from an ERP table in a SQLite file, as ``chub sync`` of such a source would.

"Not slowing as the table grows": the load is timed per tenth of the records, and the last
tenth's rate is printed beside the first's (``last/first``; 1.0 = no slowdown).

The synthetic source builds its pages before the clock starts, so the figures are landing's
own (building 200k payloads in Python costs about as much as landing them). The time spent
inside the source's ``pull`` is measured anyway (``source_s``) and landing's own rate,
``land_rps`` = records / (load_s - source_s), printed beside the end-to-end ``load_rps``:
with ``--source sql`` that separates the connector's reading from the landing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.contract import Mapped, Page, RawRecord, Source, StreamKind  # noqa: E402
from integration.pipeline.land import sync_source  # noqa: E402
from integration.store import make_engine, upgrade  # noqa: E402

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
_CITIES = ["上海市浦东新区", "北京市朝阳区", "广东省深圳市南山区", "浙江省杭州市西湖区"]


def _customer(i: int) -> dict[str, Any]:
    return {
        "cust_no": f"C{i:08d}",
        "name": _SURNAMES[i % 20] + _GIVEN[(i // 20) % 20] + _GIVEN[(i // 400) % 20],
        "mobile": f"13{i % 10}{i:08d}"[-11:],
        "email": f"user{i}@example.cn",
        "addr": f"{_CITIES[i % 4]}科技路{i % 997}号",
        "credit_code": f"91310000{i:010d}",
        "modified_at": (datetime(2026, 1, 1) + timedelta(seconds=i)).isoformat(),
    }


class SyntheticErp:
    """A customer stream served from memory in pages, keyed like an ERP's table."""

    streams: dict[str, StreamKind] = {"customers": "customer"}

    def __init__(self, n: int, page_size: int) -> None:
        self.n, self.page_size = n, page_size
        # built once, before any clock starts; the re-sync serves the same records again
        self.pages = [
            [RawRecord(f"C{i:08d}", _customer(i)) for i in range(lo, min(lo + page_size, n))]
            for lo in range(0, n, page_size)
        ]

    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        done = int(cursor or 0)
        for records in self.pages[done // self.page_size :]:
            done += len(records)
            yield Page(records, str(done))

    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        return Mapped(customer={"name": payload["name"]})

    def close(self) -> None:
        pass


def _erp_file(folder: Path, n: int) -> str:
    url = f"sqlite:///{folder / 'erp.db'}"
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table(
        "customers",
        meta,
        sa.Column("cust_no", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(100)),
        sa.Column("mobile", sa.String(30)),
        sa.Column("email", sa.String(100)),
        sa.Column("addr", sa.String(200)),
        sa.Column("credit_code", sa.String(18)),
        sa.Column("modified_at", sa.DateTime),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        for lo in range(0, n, 10_000):
            rows = [_customer(i) for i in range(lo, min(lo + 10_000, n))]
            for row in rows:
                row["modified_at"] = datetime.fromisoformat(row["modified_at"])
            conn.execute(table.insert(), rows)
    engine.dispose()
    return url


def _sql_source(erp_url: str, page_size: int) -> Source:
    from connectors.sql_erp import Settings, build_source

    settings = Settings.model_validate(
        {
            "url": erp_url,
            "page_size": page_size,
            "streams": {
                "customers": {
                    "kind": "customer",
                    "table": "customers",
                    "key": "cust_no",
                    "watermark": "modified_at",
                    "columns": {
                        "name": "name",
                        "mobile": "mobile",
                        "email": "email",
                        "address": "addr",
                        "uscc": "credit_code",
                    },
                }
            },
        }
    )
    return build_source(settings)


def _fresh_hub(url: str | None, folder: Path, run: int) -> sa.Engine:
    if url is None:
        url = f"sqlite:///{folder / f'hub{run}.db'}"
    elif url.startswith("postgresql"):
        wipe = sa.create_engine(url)
        with wipe.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        wipe.dispose()
    engine = make_engine(url)
    upgrade(engine)
    return engine


def _backend_cpu(engine: sa.Engine) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend of this database (same machine)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        pids = conn.scalars(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend'"
            )
        ).all()
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # another machine, or gone
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return out


def _cpu_now(engine: sa.Engine) -> tuple[float, dict[int, float]]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime, _backend_cpu(engine)


def _cpu_since(engine: sa.Engine, before: tuple[float, dict[int, float]]) -> tuple[float, float]:
    """(this process's, the database backends') CPU seconds since ``before``."""
    own, backends = _cpu_now(engine)
    server = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in backends.items())
    return own - before[0], server


class _Timed:
    """``source`` with the time spent inside its ``pull`` (reading, not landing) summed."""

    def __init__(self, source: Source) -> None:
        self.source, self.streams, self.seconds = source, source.streams, 0.0

    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        pages = iter(self.source.pull(stream, cursor))
        while True:
            started = time.perf_counter()
            try:
                page = next(pages)
            except StopIteration:
                return
            finally:
                self.seconds += time.perf_counter() - started
            yield page

    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        return self.source.map_record(stream, payload)

    def close(self) -> None:
        self.source.close()


def _one_run(engine: sa.Engine, plain: Source, n: int) -> dict[str, float]:
    source = _Timed(plain)
    marks: list[tuple[float, int]] = []
    _backend_cpu(engine)  # the pool's connections exist before the clock starts
    cpu_before = _cpu_now(engine)
    started = time.perf_counter()

    def progress(message: str) -> None:  # "<source>/<stream>: <records so far> records"
        marks.append((time.perf_counter(), int(message.rsplit(": ", 1)[1].split()[0])))

    report = sync_source(engine, "erp", source, progress=progress)
    load_s = time.perf_counter() - started
    source_s, source.seconds = source.seconds, 0.0
    client_cpu, server_cpu = _cpu_since(engine, cpu_before)
    assert report.new == n, (report.new, n)
    tenth = max(1, n // 10)
    times = [started] + [t for t, done in marks]
    counts = [0] + [done for t, done in marks]

    def rate(lo: int, hi: int) -> float:  # records/s between two marks nearest these counts
        i = next(k for k, c in enumerate(counts) if c >= lo)
        j = next(k for k, c in enumerate(counts) if c >= hi)
        return (counts[j] - counts[i]) / max(times[j] - times[i], 1e-9)

    first, last = rate(0, tenth), rate(n - tenth, n)
    started = time.perf_counter()
    again = sync_source(engine, "erp", source, full=True)
    resync_s = time.perf_counter() - started
    assert again.unchanged == n, again
    return {
        "load_s": load_s,
        "load_rps": n / load_s,
        "source_s": source_s,
        "land_rps": n / max(load_s - source_s, 1e-9),
        # what the load costs whatever else the machine is doing (2 shared cores)
        "load_client_cpu_s": client_cpu,
        "load_server_cpu_s": server_cpu,
        "load_rps_per_cpu": n / (client_cpu + server_cpu),
        "first_tenth_rps": first,
        "last_tenth_rps": last,
        "resync_s": resync_s,
        "resync_rps": n / resync_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--source", choices=["synthetic", "sql"], default="synthetic")
    parser.add_argument("--database", action="append", help="a hub URL (wiped!); repeatable")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"records": args.records, "source": args.source, "hubs": {}}
    with tempfile.TemporaryDirectory(prefix="chub-bench-landing-") as tmp:
        folder = Path(tmp)
        erp_url = _erp_file(folder, args.records) if args.source == "sql" else None
        for url in args.database or [None]:
            name = "sqlite" if url is None else sa.engine.make_url(url).get_backend_name()
            runs = []
            for run in range(args.runs):
                engine = _fresh_hub(url, folder, run)
                source: Source = (
                    _sql_source(erp_url, args.page_size)
                    if erp_url
                    else SyntheticErp(args.records, args.page_size)
                )
                try:
                    runs.append(_one_run(engine, source, args.records))
                finally:
                    source.close()
                    engine.dispose()
                print(
                    f"  {name} run {run + 1}: "
                    + ", ".join(f"{k} {v:,.1f}" for k, v in runs[-1].items())
                )
            median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            results["hubs"][name] = {"median": median, "runs": runs}
            print(
                f"{name}: load {args.records:,} records {median['load_rps']:,.0f} records/s "
                f"({median['load_s']:.1f} s, of which {median['source_s']:.1f} s in the source: "
                f"landing {median['land_rps']:,.0f} records/s; "
                f"first tenth {median['first_tenth_rps']:,.0f}/s, "
                f"last tenth {median['last_tenth_rps']:,.0f}/s, last/first "
                f"{median['last_tenth_rps'] / median['first_tenth_rps']:.2f}; "
                f"{median['load_rps_per_cpu']:,.0f} records per CPU second: client "
                f"{median['load_client_cpu_s']:.1f} s + database "
                f"{median['load_server_cpu_s']:.1f} s); re-sync "
                f"unchanged {median['resync_rps']:,.0f} records/s; median of {args.runs}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
