"""Two real processes syncing one source at the same moment: one writer at a time, no
IntegrityError, the cursor never behind what landed, every record once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from integration.store import SourceRecord, SyncState, session_scope

WORKER = r"""
import sys, time
from pathlib import Path
from integration.errors import ChubError
from integration.pipeline.land import LandingSettings, sync_source
from integration.store import make_engine
from tests.integration.doubles import ListSource, rec

url, go, wait = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])

class Slow(ListSource):  # slow enough for the two runs to overlap
    def pull(self, stream, cursor):
        for page in super().pull(stream, cursor):
            time.sleep(0.05)
            yield page

source = Slow({"customers": [rec(f"k{i:04d}", name=f"n{i}") for i in range(600)]}, page_size=50)
engine = make_engine(url)
while not go.exists():
    time.sleep(0.01)
try:
    report = sync_source(engine, "crm", source, settings=LandingSettings(lock_wait_seconds=wait))
except ChubError as exc:
    print(f"refused: {exc}")
    sys.exit(2)
print(f"landed new={report.new} seen={report.seen}")
"""


def _two_at_once(url: str, tmp_path: Path, wait: float) -> list[tuple[int, str, str]]:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(go), str(wait)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.5)  # both imported and waiting
    go.write_text("go")
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append((proc.returncode, out.strip(), err))
    return results


def _landed(engine) -> tuple[int, int, str | None]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        rows = s.scalar(select(func.count()).select_from(SourceRecord)) or 0
        keys = s.scalar(select(func.count(func.distinct(SourceRecord.source_key)))) or 0
        state = s.get(SyncState, ("crm", "customers"))
        return rows, keys, state.cursor if state else None


@pytest.mark.slow
def test_the_second_of_two_simultaneous_syncs_is_refused_clearly(engine, hub_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    results = _two_at_once(hub_url, tmp_path, wait=0)
    assert not any("Traceback" in err or "IntegrityError" in err for _, _, err in results)
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    refused = next(out for code, out, _ in results if code == 2)
    assert "another run holds the hub lock 'sync:crm'" in refused
    assert next(out for code, out, _ in results if code == 0) == "landed new=600 seen=600"
    assert _landed(engine) == (600, 600, json.dumps({"offset": 600}))


@pytest.mark.slow
def test_two_syncs_that_wait_for_each_other_land_everything_once(engine, hub_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    results = _two_at_once(hub_url, tmp_path, wait=60)
    assert [code for code, _, _ in results] == [0, 0], results
    outs = sorted(out for _, out, _ in results)
    # the second starts from the cursor the first left: nothing twice, nothing backwards
    assert outs == ["landed new=0 seen=0", "landed new=600 seen=600"]
    assert _landed(engine) == (600, 600, json.dumps({"offset": 600}))
