"""The production instance (deploy/dagster.yaml) on the local PostgreSQL with a real
``dagster-daemon run``: the code location from integration.definitions (a temporary
chub.yaml on a SQLite hub) is loaded by the daemon, a schedule ticks and launches a run,
the drop-folder sensor ticks and launches a run, and both runs, their ticks and their
events are in PostgreSQL. Skipped only when no PostgreSQL answers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from integration.store import make_engine, upgrade

REPO = Path(__file__).resolve().parents[2]
DAGSTER_YAML = REPO / "deploy" / "dagster.yaml"
DAEMON = Path(sys.executable).with_name("dagster-daemon")

#: where the server is: the PostgreSQL of CHUB_TEST_DATABASE_URL, else the local one
_test_url = os.environ.get("CHUB_TEST_DATABASE_URL", "")
_url = make_url(
    _test_url
    if _test_url.startswith("postgresql")
    else "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG = {
    "host": _url.host or "127.0.0.1",
    "port": str(_url.port or 5432),
    "user": _url.username or "postgres",
    "password": _url.password or "",
}


def _admin() -> Any:
    import psycopg

    return psycopg.connect(
        host=PG["host"],
        port=PG["port"],
        user=PG["user"],
        password=PG["password"],
        dbname="postgres",
        autocommit=True,
        connect_timeout=3,
    )


def _reachable() -> bool:
    try:
        _admin().close()
    except Exception:
        return False
    return True


pytestmark = pytest.mark.skipif(not _reachable(), reason="no PostgreSQL answers")


@pytest.fixture
def dagster_db() -> Iterator[str]:
    # a name of its own per process: the suite may run twice at once in CI
    name = f"chub_test_daemon_{os.getpid()}"
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _chub_yaml(tmp_path: Path) -> Path:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "fair.csv").write_text("name,mobile\n张三,13800138000\n", encoding="utf-8")
    hub = tmp_path / "hub.db"
    upgrade(make_engine(f"sqlite:///{hub}"))
    config = {
        "hub": {"database_url": f"sqlite:///{hub}"},
        "sources": {
            "leads": {"type": "dropfolder", "path": str(drop), "pattern": "*.csv"},
        },
        "operations": {
            "sync_schedule": "* * * * *",  # the next minute's tick is the test's
            "sensor_interval_seconds": 5,
            "landing_retries": 0,
            "running_by_default": True,
        },
    }
    path = tmp_path / "chub.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def _ticks(instance: Any) -> dict[str, list[Any]]:
    """Instigator name -> its ticks, newest first."""
    out: dict[str, list[Any]] = {}
    for state in instance.all_instigator_state():
        ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id)
        out[state.instigator_name] = list(ticks)
    return out


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT to the daemon's process group (the daemon, its code server and the runs it
    launched), wait until every process of it has ended; SIGKILL what is left after 20 s."""
    group = proc.pid
    if proc.poll() is None:
        os.killpg(group, signal.SIGINT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        proc.poll()
        try:
            os.killpg(group, 0)  # is any process of the group left?
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.killpg(group, signal.SIGKILL)
    proc.wait(timeout=10)


def test_the_daemon_ticks_a_schedule_and_a_sensor_on_postgres(
    tmp_path: Path, dagster_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DAGSTER_YAML, home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": PG["host"],
        "DAGSTER_PG_PORT": PG["port"],
        "DAGSTER_PG_USER": PG["user"],
        "DAGSTER_PG_PASSWORD": PG["password"],
        "DAGSTER_PG_DB": dagster_db,
        "CHUB_CONFIG": str(_chub_yaml(tmp_path)),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "GX_ANALYTICS_ENABLED": "false",
        "PYTHONPATH": str(REPO),
    }
    for key in ("HOST", "PORT", "USER", "PASSWORD", "DB"):  # for this process's reader
        monkeypatch.setenv(f"DAGSTER_PG_{key}", env[f"DAGSTER_PG_{key}"])
    instance = dg.DagsterInstance.from_config(str(home))
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"

    log = (tmp_path / "daemon.log").open("wb")
    proc = subprocess.Popen(
        [str(DAEMON), "run", "-m", "integration.definitions"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started = time.monotonic()
    schedule_tick = sensor_tick = sensor_run = landed = None
    try:
        # at most a minute for the next minute's schedule tick, plus the daemon's start;
        # meanwhile the sensor's run is launched and lands the file (its first step: the
        # whole run, a process per step, takes longer than the test may)
        while time.monotonic() - started < 85:
            assert proc.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
            ticks = _ticks(instance)
            schedule_tick = next(
                (t for t in ticks.get("sync_leads_schedule", []) if t.run_ids), None
            )
            sensor_tick = next((t for t in ticks.get("dropfolder_leads", []) if t.run_ids), None)
            if sensor_tick:
                sensor_run = instance.get_run_by_id(sensor_tick.run_ids[0])
                landed = instance.get_latest_materialization_event(dg.AssetKey("land_leads"))
            if schedule_tick and landed:
                break
            time.sleep(1)
        daemons = {s.daemon_type for s in instance.get_daemon_heartbeats().values()}
    finally:
        _stop(proc)
        log.close()
    output = (tmp_path / "daemon.log").read_text(errors="replace")
    assert sensor_tick is not None, f"no drop-folder sensor run; daemon log:\n{output[-3000:]}"
    assert schedule_tick is not None, f"no schedule tick with a run; daemon log:\n{output[-3000:]}"
    assert {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR"} <= daemons
    # the ticks' runs are in PostgreSQL's run storage, for the job they name
    for tick, tag, name in (
        (schedule_tick, "dagster/schedule_name", "sync_leads_schedule"),
        (sensor_tick, "dagster/sensor_name", "dropfolder_leads"),
    ):
        [run_id] = tick.run_ids
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.job_name == "sync_leads"
        assert run.tags.get(tag) == name
    assert schedule_tick.tick_data.instigator_name == "sync_leads_schedule"
    assert sensor_tick.tick_data.run_keys and sensor_tick.tick_data.run_keys[0].startswith("leads:")
    # a run went through the queue and ran: its events are in PostgreSQL's event log
    assert sensor_run is not None and sensor_run.status != dg.DagsterRunStatus.QUEUED
    assert landed is not None and landed.run_id in (sensor_run.run_id, *schedule_tick.run_ids)
    meta = landed.asset_materialization.metadata if landed.asset_materialization else {}
    assert meta["seen"].value == 1, meta  # the one row of the dropped file
    assert proc.returncode is not None  # stopped, not left behind
