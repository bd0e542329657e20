"""Run jobs of the asset graph in this process (``chub run``, ``chub demo``, the backfill
and replay commands), one `chub run` at a time per hub.

A run outside Dagster's daemon holds the hub lock ``run`` for its whole length, so a
second `chub run` waits for it (or says that one is running); inside the run, the writing
stages take the lock ``resolve`` like the daemon's runs do, so the two worlds never write
the hub at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import Engine, update

from integration.definitions import build_definitions
from integration.errors import ChubError
from integration.hub import Hub
from integration.locks import LockBusy, hub_lock
from integration.status import recorded_run
from integration.store import Outbound, SyncState, session_scope
from schedules import FULL_SYNC_JOB, RUN_RECORDED_TAG

__all__ = [
    "RUN_LOCK",
    "SINCE_CURSORS",
    "dagster_instance",
    "forget_pushed",
    "rewind_source",
    "run_job",
]

_DAGSTER_YAML = "telemetry:\n  enabled: false\n"
#: the hub lock one `chub run` (or backfill) holds from start to end
RUN_LOCK = "run"


def dagster_instance(home: Path | None = None) -> dg.DagsterInstance:
    """The persistent instance under $DAGSTER_HOME (or ``home``): `dagster dev` shows its runs."""
    if home is not None:
        os.environ["DAGSTER_HOME"] = str(home.resolve())
    if not os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.ephemeral()
    path = Path(os.environ["DAGSTER_HOME"])
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        config.write_text(_DAGSTER_YAML)
    return dg.DagsterInstance.get()


def forget_pushed(engine: Engine, sink: str) -> int:
    """Make every golden record due for ``sink`` again (a re-publish); returns how many.

    The target ids stay, so the sink updates the records it holds instead of creating
    them twice; dead letters get a fresh set of attempts.
    """
    with session_scope(engine) as session:
        result = session.execute(
            update(Outbound)
            .where(Outbound.sink == sink)
            .values(last_hash=None, attempts=0, status="failed")
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _callcenter_since(when: datetime) -> str:
    # connectors/callcenter/source.py: {"start_time": <unix s>} (re)opens the export there
    return json.dumps({"start_time": int(when.timestamp())})


def _hubspot_since(when: datetime) -> str:
    # connectors/hubspot/source.py: an incremental pull searches lastmodifieddate >= floor
    return json.dumps(
        {"floor_ms": int(when.timestamp() * 1000), "seen_ids_at_floor": [], "tie_after_id": None}
    )


#: source type -> the cursor that makes its next pull start at a moment (the connectors
#: whose cursor is a point in time, as their modules document it)
SINCE_CURSORS: dict[str, Callable[[datetime], str]] = {
    "callcenter": _callcenter_since,
    "hubspot": _hubspot_since,
}


def rewind_source(
    engine: Engine, source: str, source_type: str, streams: Iterable[str], when: datetime
) -> None:
    """Set every stream's cursor of ``source`` to ``when``: the next sync re-reads from there.

    Records the re-read brings again land as unchanged (same payload hash), changed ones
    as changes; nothing is deleted, since a partial re-read proves nothing is gone.
    """
    make = SINCE_CURSORS.get(source_type)
    if make is None:
        known = ", ".join(sorted(SINCE_CURSORS))
        raise ChubError(
            f"source {source!r} ({source_type}) cannot re-read from a date (its cursor is not "
            f"a point in time; the ones that can: {known}): use --full to re-read it all"
        )
    cursor = make(when)
    # the same lock a sync takes: never move a cursor under a sync that is landing pages
    with hub_lock(engine, f"sync:{source}"), session_scope(engine) as session:
        for stream in streams:
            state = session.get(SyncState, (source, stream))
            if state is None:
                state = SyncState(source=source, stream=stream, pages=0, records=0)
                session.add(state)
            state.cursor = cursor


def _report(result: dg.ExecuteInProcessResult, say: Callable[[str], None]) -> None:
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            blocked = (
                " (blocking: what depends on it did not run)"
                if evaluation.severity == dg.AssetCheckSeverity.ERROR
                and evaluation.check_name != "sync_succeeded"
                else ""
            )
            if evaluation.check_name == "sync_succeeded":
                source = evaluation.asset_key.to_user_string().removeprefix("land_")
                say(f"source {source} failed to sync: its last good rows stay in, the run went on")
            else:
                say(f"check {evaluation.check_name} failed{blocked}")
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure and event.step_key:
                data = event.step_failure_data
                error = data.error if data else None
                # Dagster wraps the asset's own exception: the innermost cause is the news
                while error is not None and error.cause is not None:
                    error = error.cause
                message = error.message.strip() if error else "failed"
                say(f"step {event.step_key} failed: {message.splitlines()[-1]}")


def failed_sources(result: dg.ExecuteInProcessResult) -> list[str]:
    """Sources whose landing failed after every retry in this run (the run went on)."""
    return sorted(
        e.asset_key.to_user_string().removeprefix("land_")
        for e in result.get_asset_check_evaluations()
        if e.check_name == "sync_succeeded" and not e.passed
    )


def run_job(
    config_path: str | Path,
    *,
    say: Callable[[str], None] | None = None,
    instance: dg.DagsterInstance | None = None,
    job_name: str = FULL_SYNC_JOB,
    run_config: dict[str, Any] | None = None,
    wait: float | None = None,
) -> bool:
    """Run a job of the graph (the whole graph by default); True when it fully succeeded.

    ``wait``: how long to wait for another `chub run` on this hub (None: as long as it
    takes, 0: not at all); LockBusy when it is still running after that.
    """
    defs = build_definitions(str(config_path), verbose=say is not None)
    job = defs.resolve_job_def(job_name)
    hub = Hub.from_config(config_path)
    try:
        with _run_lock(hub.engine, wait, say):
            with recorded_run(hub.engine, "job", job_name) as detail:
                result = _execute(job, instance, run_config)
                detail["run_id"] = result.run_id
                detail["failed_sources"] = failed_sources(result)
                if not result.success:
                    # recorded as a failure, with the first failed step as the error
                    raise _RunFailed(_first_failure(result))
    except _RunFailed:
        ok = False
    else:
        ok = not detail["failed_sources"]
    finally:
        hub.close()
    if say is not None:
        _report(result, say)
    return ok


class _RunFailed(Exception):
    pass


def _first_failure(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_key:
            data = event.step_failure_data
            error = data.error if data else None
            while error is not None and error.cause is not None:
                error = error.cause
            text = error.message.strip().splitlines()[-1] if error else "failed"
            return f"{event.step_key}: {text}"
    return "the run failed"


def _execute(
    job: dg.JobDefinition, instance: dg.DagsterInstance | None, run_config: dict[str, Any] | None
) -> dg.ExecuteInProcessResult:
    own = instance is None
    instance = instance or dagster_instance()
    config: dict[str, Any] = dict(run_config or {})
    # the hub prints its own one line per stage; Dagster's event log stays in the UI
    config.setdefault("loggers", {"console": {"config": {"log_level": "WARNING"}}})
    try:
        return job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=config,
            tags={RUN_RECORDED_TAG: "1"},
        )
    finally:
        if own:
            instance.dispose()


class _run_lock:
    """Hold the hub lock ``run``; say once that we wait when another run has it."""

    def __init__(self, engine: Engine, wait: float | None, say: Callable[[str], None] | None):
        self.engine, self.wait, self.say = engine, wait, say
        self._held: Any = None

    def __enter__(self) -> None:
        try:
            self._held = hub_lock(self.engine, RUN_LOCK, wait=0)
            self._held.__enter__()
            return
        except LockBusy:
            if self.wait == 0:
                raise LockBusy(
                    "another `chub run` is running on this hub: wait for it to end, or "
                    "run again without --no-wait to queue behind it"
                ) from None
        if self.say is not None:
            self.say("another `chub run` is running on this hub: waiting for it to end")
        self._held = hub_lock(self.engine, RUN_LOCK, wait=self.wait)
        try:
            self._held.__enter__()
        except LockBusy:
            raise LockBusy(
                f"another `chub run` is still running on this hub after {self.wait:g} s"
            ) from None

    def __exit__(self, *exc: object) -> None:
        if self._held is not None:
            self._held.__exit__(*exc)
