"""Sensors: what starts a run besides the clock, and what is told when a run fails.

- ``dropfolder_<source>``: a new or replaced file in a drop folder -> sync that source;
- ``wecom_callbacks_<source>``: queued change callbacks in the hub's inbox -> land those
  contacts (and what depends on them);
- ``review_decisions``: new merge / keep-apart / split decisions -> re-resolve and publish;
- ``run_failure_alert``: a failed run -> an alert (run link and error, no personal data)
  to every ``operations.alerts`` target, and a row in the hub's run log;
- ``run_success_log``: a finished run -> a row in the hub's run log (for `chub status`).

Cursors are plain JSON or an integer id, so a restarted daemon resumes where it was.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from integration.config import Settings
from integration.resources import HubResource
from integration.sections.operations import OperationsSettings
from schedules.jobs import RESOLVE_JOB, resync_run_config, sync_job_name

__all__ = ["RUN_RECORDED_TAG", "build_sensors", "drop_folder_files"]

#: runs that record themselves in the hub's run log (`chub run`) carry this tag
RUN_RECORDED_TAG = "chub/recorded"


def _status(ops: OperationsSettings) -> dg.DefaultSensorStatus:
    if ops.running_by_default:
        return dg.DefaultSensorStatus.RUNNING
    return dg.DefaultSensorStatus.STOPPED


def drop_folder_files(settings: Any) -> dict[str, list[float]]:
    """File name -> [mtime, size] of the files a drop-folder source would read now."""
    import time

    folder = Path(settings.path)
    if not folder.is_dir():
        return {}
    patterns = [settings.pattern] if isinstance(settings.pattern, str) else settings.pattern
    settled_before = time.time() - settings.settle_seconds
    found: dict[str, list[float]] = {}
    for pattern in patterns:
        for path in folder.glob(pattern):
            if not path.is_file() or path.name.startswith(("~$", ".")):
                continue
            stat = path.stat()
            if settings.settle_seconds and stat.st_mtime > settled_before:
                continue  # still being copied in: the next tick takes it
            found[str(path.relative_to(folder))] = [stat.st_mtime, float(stat.st_size)]
    return found


def dropfolder_sensor(source: str, source_settings: Any, ops: OperationsSettings) -> Any:
    @dg.sensor(
        name=f"dropfolder_{source}",
        job_name=sync_job_name(source),
        minimum_interval_seconds=ops.sensor_interval_seconds,
        default_status=_status(ops),
        description=f"A new or replaced file in the drop folder of '{source}' -> sync it.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        seen: dict[str, list[float]] = json.loads(context.cursor) if context.cursor else {}
        now = drop_folder_files(source_settings)
        new = sorted(name for name, stamp in now.items() if seen.get(name) != stamp)
        if not new:
            return dg.SkipReason(f"no new file in the drop folder of {source}")
        key = hashlib.sha256(json.dumps([[n, now[n]] for n in new]).encode()).hexdigest()[:16]
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(run_key=f"{source}:{key}", tags={"chub/new_files": str(len(new))})
            ],
            cursor=json.dumps(now, sort_keys=True),
        )

    return _sensor


def callback_sensor(source: str, ops: OperationsSettings) -> Any:
    @dg.sensor(
        name=f"wecom_callbacks_{source}",
        job_name=sync_job_name(source),
        minimum_interval_seconds=min(ops.sensor_interval_seconds, 30),
        default_status=_status(ops),
        description=(
            f"Change callbacks of '{source}' queued in the hub -> land those contacts and "
            "bring what depends on them up to date."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext, hub: HubResource) -> Any:
        from integration.store import CallbackInbox, session_scope

        after = int(context.cursor or 0)
        with session_scope(hub.get().engine) as session:
            newest, queued = session.execute(
                select(func.max(CallbackInbox.id), func.count()).where(
                    CallbackInbox.source == source,
                    CallbackInbox.status == "queued",
                    CallbackInbox.id > after,
                )
            ).one()
        if not queued:
            return dg.SkipReason(f"no queued callback of {source}")
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"{source}:inbox:{newest}",
                    run_config=resync_run_config(source, inbox_only=True),
                    tags={"chub/queued_events": str(queued)},
                )
            ],
            cursor=str(newest),
        )

    return _sensor


def review_sensor(ops: OperationsSettings) -> Any:
    @dg.sensor(
        name="review_decisions",
        job_name=RESOLVE_JOB,
        minimum_interval_seconds=ops.sensor_interval_seconds,
        default_status=_status(ops),
        description="New review decisions (merge, keep apart, split) -> re-resolve and publish.",
    )
    def _sensor(context: dg.SensorEvaluationContext, hub: HubResource) -> Any:
        from integration.store import Decision, session_scope

        after = int(context.cursor or 0)
        with session_scope(hub.get().engine) as session:
            newest, count = session.execute(
                select(func.max(Decision.id), func.count()).where(Decision.id > after)
            ).one()
        if not count:
            return dg.SkipReason("no new review decision")
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(run_key=f"decisions:{newest}", tags={"chub/decisions": str(count)})
            ],
            cursor=str(newest),
        )

    return _sensor


def _first_error(context: dg.RunFailureSensorContext) -> str:
    """The innermost error message of the run's first failed step (or the run's own)."""
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        error = data.error if data else None
        while error is not None and error.cause is not None:
            error = error.cause
        if error is not None:
            step = event.step_key or "a step"
            return f"{step}: {error.message.strip().splitlines()[-1]}"
    return context.failure_event.message or "the run failed"


def _log_finished(context: Any, hub: HubResource, status: str, error: str | None) -> None:
    from integration.status import record_finished_run

    run = context.dagster_run
    if run.tags.get(RUN_RECORDED_TAG):
        return
    stats = context.instance.get_run_stats(run.run_id)
    try:
        record_finished_run(
            hub.get().engine,
            "job",
            run.job_name,
            run_id=run.run_id,
            status=status,
            started=stats.start_time,
            finished=stats.end_time,
            error=error,
        )
    except SQLAlchemyError as exc:
        # a hub that cannot take the row must not keep the alert from going out
        context.log.warning(f"run {run.run_id} not written to the hub's run log: {exc}")


def failure_sensor(ops: OperationsSettings) -> Any:
    @dg.run_failure_sensor(
        name="run_failure_alert",
        default_status=_status(ops),
        description=(
            "A failed run -> an alert with the run link and the error (no personal data) to "
            "the WeCom robot / webhooks of operations.alerts, and a row in the hub's run log."
        ),
    )
    def _sensor(context: dg.RunFailureSensorContext, hub: HubResource) -> None:
        from integration.status import one_line
        from schedules.alerts import Alert, run_url, send_alert

        run = context.dagster_run
        error = one_line(_first_error(context))
        _log_finished(context, hub, "failure", error)
        problems = send_alert(
            ops,
            Alert(
                title=f"customer-hub: run of {run.job_name} failed",
                text=error,
                run_url=run_url(ops, run.run_id),
                facts={"job": run.job_name, "run": run.run_id},
            ),
        )
        for problem in problems:
            context.log.warning(f"alert not delivered: {problem}")

    return _sensor


def success_sensor(ops: OperationsSettings) -> Any:
    @dg.run_status_sensor(
        name="run_success_log",
        run_status=dg.DagsterRunStatus.SUCCESS,
        default_status=_status(ops),
        description="A finished run -> a row in the hub's run log, for `chub status`.",
    )
    def _sensor(context: dg.RunStatusSensorContext, hub: HubResource) -> None:
        _log_finished(context, hub, "success", None)

    return _sensor


def build_sensors(settings: Settings, ops: OperationsSettings) -> list[Any]:
    sensors: list[Any] = [review_sensor(ops), failure_sensor(ops), success_sensor(ops)]
    for name, cfg in sorted(settings.sources.items()):
        if cfg.type == "dropfolder":
            sensors.append(dropfolder_sensor(name, cfg.settings, ops))
        elif cfg.type == "wecom":
            sensors.append(callback_sensor(name, ops))
    return sensors
