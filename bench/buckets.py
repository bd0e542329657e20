"""Single-step incremental resolve against the partitioned path (`resolve_in_buckets`).

    python bench/buckets.py PEOPLE BUCKETS WORKERS

Two twin SQLite hubs under /tmp/bucket_bench get the same demo people and, after a first
resolve that learns the model, the same change of 20 records per source; one is resolved
by `resolve_customers`, the other by `resolve_in_buckets`; the script prints both times
and checks the hubs came out equal (crosswalk, ids, events, pairs, state).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import yaml

    from integration.partitioned_job import resolve_in_buckets
    from integration.pipeline.resolve import resolve_customers
    from integration.resources import HubResource
    from integration.store import make_engine, upgrade
    from tests.integration.test_identity import SETTINGS, SPEC, demo_sources
    from tests.integration.test_partitioned_writes import _change, _hub, _land, _same

    people, buckets, workers = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    root = Path("/tmp/bucket_bench/run")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    a = root / "a.db"
    eng = make_engine(f"sqlite:///{a}")
    upgrade(eng)
    src = demo_sources(people, seed=9)
    _land(eng, src)
    t = time.monotonic()
    r = resolve_customers(eng, SPEC, SETTINGS)
    print(f"first (learns): {time.monotonic() - t:.1f}s rows={r.rows}")
    _change(src, seed=1, size=20)
    _land(eng, src)
    eng.dispose()
    shutil.copy(a, root / "b.db")
    eng = make_engine(f"sqlite:///{a}")
    engb = make_engine(f"sqlite:///{root / 'b.db'}")
    cfg = {
        "hub": {"database_url": f"sqlite:///{root / 'b.db'}", "artifacts_dir": str(root / "art")},
        "matching": {"upper": SETTINGS.upper, "lower": SETTINGS.lower},
        "sources": {"x": {"type": "dropfolder", "path": str(root), "pattern": "*.none"}},
    }
    (root / "chub.yaml").write_text(yaml.safe_dump(cfg))
    t = time.monotonic()
    r = resolve_customers(eng, SPEC, SETTINGS)
    print(f"single-step {r.mode}: {time.monotonic() - t:.1f}s")
    t = time.monotonic()
    hub = HubResource(config_path=str(root / "chub.yaml"))
    r2 = resolve_in_buckets(hub, buckets, workers=workers)
    print(f"partitioned {buckets} buckets / {workers} workers: {time.monotonic() - t:.1f}s")
    _same(_hub(eng), _hub(engb))
    print("hubs equal; events", r.events, r2.events)


if __name__ == "__main__":
    main()
