"""Run the whole asset graph in this process (``chub run``, ``chub demo``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from integration.definitions import build_definitions
from schedules import FULL_SYNC_JOB

__all__ = ["dagster_instance", "run_job"]

_DAGSTER_YAML = "telemetry:\n  enabled: false\n"


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


def run_job(
    config_path: str | Path,
    *,
    say: Callable[[str], None] | None = None,
    instance: dg.DagsterInstance | None = None,
) -> bool:
    """Materialize every asset and run every check; True when the run succeeded."""
    defs = build_definitions(str(config_path), verbose=say is not None)
    job = defs.resolve_job_def(FULL_SYNC_JOB)
    own = instance is None
    instance = instance or dagster_instance()
    try:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            # the hub prints its own one line per stage; Dagster's event log stays in the UI
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    finally:
        if own:
            instance.dispose()
    if say is not None:
        for evaluation in result.get_asset_check_evaluations():
            if not evaluation.passed:
                blocked = (
                    " (blocking: what depends on it did not run)"
                    if (evaluation.severity == dg.AssetCheckSeverity.ERROR)
                    else ""
                )
                say(f"check {evaluation.check_name} failed{blocked}")
    if not result.success and say is not None:
        for event in result.all_events:
            if event.is_step_failure and event.step_key:
                data = event.step_failure_data
                error = data.error if data else None
                # Dagster wraps the asset's own exception: the innermost cause is the news
                while error is not None and error.cause is not None:
                    error = error.cause
                message = error.message.strip() if error else "failed"
                say(f"step {event.step_key} failed: {message.splitlines()[-1]}")
    return result.success
