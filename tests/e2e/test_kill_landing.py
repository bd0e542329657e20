"""A sync killed (SIGKILL) inside a page's transaction or while tombstoning, then run again:
nothing lost, nothing twice, the deletions of the complete scan not missed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from integration.store import SourceRecord, SyncState, session_scope

# The worker: a real process landing a source; told to, it stops at a point inside the
# page's transaction (after the records were written, before the commit) and waits there
# to be killed.
WORKER = r"""
import sys, time
from pathlib import Path
from integration.pipeline import land
from integration.store import make_engine
from tests.integration.doubles import ListSource, rec
from connectors.contract import Page

url, mode, marker, phase = sys.argv[1:5]

class FullScan(ListSource):
    def pull(self, stream, cursor):
        pages = list(super().pull(stream, None))
        for i, page in enumerate(pages):
            last = i == len(pages) - 1
            yield Page(page.records, None if last else page.cursor, scan_complete=last)

def stop_here():
    Path(marker).write_text("in the transaction")
    time.sleep(120)

if mode == "page":  # the second page: its records written, its cursor not yet
    real_save, calls = land._save_state, []
    def save(conn, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            stop_here()
        return real_save(conn, *args, **kwargs)
    land._save_state = save
elif mode == "tombstone":  # the last page landed and its tombstones written, no commit
    real_tombstone = land._tombstone
    def tombstone(*args, **kwargs):
        result = real_tombstone(*args, **kwargs)
        stop_here()
        return result
    land._tombstone = tombstone

people = [rec(f"wm{i:03d}", name=f"n{i}") for i in range(10)]
if phase == "second":  # one contact gone upstream, one new
    people = people[:9] + [rec("wm100", name="new")]
cls = ListSource if phase == "paged" else FullScan
source = cls({"contacts": people}, page_size=4)
settings = land.LandingSettings(lock_wait_seconds=30)  # the killed run's lock may linger
report = land.sync_source(make_engine(url), "wecom", source, settings=settings)
print(f"new={report.new} changed={report.changed} unchanged={report.unchanged} "
      f"deleted={report.deleted}")
"""


def _run(url: str, mode: str, phase: str, marker: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, mode, str(marker), phase],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(url: str, phase: str, marker: Path) -> dict[str, int]:
    proc = _run(url, "none", phase, marker)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return {k: int(v) for k, v in (part.split("=") for part in out.split())}


def _kill_at_marker(proc: subprocess.Popen[str], marker: Path) -> None:
    deadline = time.monotonic() + 90
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the worker ended first: {proc.communicate()[1]}")
        assert time.monotonic() < deadline, "the worker never reached the kill point"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _state(engine) -> tuple[dict[str, bool], str | None]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        rows = {r.source_key: r.deleted for r in s.scalars(select(SourceRecord))}
        count = s.scalar(select(func.count()).select_from(SourceRecord))
        state = s.get(SyncState, ("wecom", "contacts"))
    assert count == len(rows)  # one row per key
    return rows, state.cursor if state else None


@pytest.mark.slow
def test_killed_inside_a_page_commit_then_rerun_lands_each_record_once(
    engine, hub_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "marker"
    _kill_at_marker(_run(hub_url, "page", "paged", marker), marker)
    rows, cursor = _state(engine)
    assert sorted(rows) == [f"wm{i:03d}" for i in range(4)]  # the first page, whole
    assert json.loads(cursor or "{}") == {"offset": 4}
    report = _finish(hub_url, "paged", marker)
    assert report["new"] == 6
    rows, cursor = _state(engine)
    assert sorted(rows) == [f"wm{i:03d}" for i in range(10)] and not any(rows.values())
    assert json.loads(cursor or "{}") == {"offset": 10}


@pytest.mark.slow
def test_killed_while_tombstoning_then_rerun_misses_no_deletion(
    engine, hub_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "marker"
    assert _finish(hub_url, "first", marker)["new"] == 10
    _kill_at_marker(_run(hub_url, "tombstone", "second", marker), marker)
    rows, _ = _state(engine)
    # the last page, its tombstone and its cursor went together
    assert "wm100" not in rows and rows["wm009"] is False
    report = _finish(hub_url, "second", marker)
    assert (report["new"], report["deleted"]) == (1, 1)
    rows, cursor = _state(engine)
    assert len(rows) == 11 and [k for k, gone in rows.items() if gone] == ["wm009"]
    assert cursor is None  # a full scan ends without a cursor
    again = _finish(hub_url, "second", marker)
    assert (again["new"], again["changed"], again["deleted"], again["unchanged"]) == (0, 0, 0, 10)
