"""The Dagster code location: ``dagster dev -m integration.definitions``.

Which chub.yaml it reads: ``$CHUB_CONFIG``, else ./chub.yaml. The ``operations:`` section
says when jobs run and who is told when one fails (integration/sections/operations.py).
"""

from __future__ import annotations

import os

import dagster as dg

from integration.assets import build_assets, operations_of
from integration.checks import build_checks
from integration.config import ConfigError, Settings, load_settings
from integration.partitioned_job import build_bucket_partition_job, build_partitioned_job
from integration.resources import HubResource
from integration.sections.operations import OperationsSettings, valid_cron
from schedules import build_jobs, build_schedules, build_sensors

__all__ = ["AUTOMATION_SENSOR", "build_definitions", "defs"]

AUTOMATION_SENSOR = "chub_automation"


def _check_operations(settings: Settings, ops: OperationsSettings) -> None:
    """What the section models cannot see alone: names of sources, the sources' crons."""
    for name in ops.sources:
        if name not in settings.sources:
            known = ", ".join(sorted(settings.sources)) or "none configured"
            raise ConfigError(
                settings.path, f"operations.sources.{name}", f"no such source (known: {known})"
            )
    for name, cfg in settings.sources.items():
        if cfg.schedule:
            try:
                valid_cron(cfg.schedule)
            except ValueError as exc:
                raise ConfigError(settings.path, f"sources.{name}.schedule", str(exc)) from None


def build_definitions(config_path: str, *, verbose: bool = False) -> dg.Definitions:
    settings = load_settings(config_path)
    ops = operations_of(settings)
    _check_operations(settings, ops)
    automation = dg.AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR,
        target=dg.AssetSelection.all(),
        default_status=(
            dg.DefaultSensorStatus.RUNNING
            if ops.running_by_default
            else dg.DefaultSensorStatus.STOPPED
        ),
        minimum_interval_seconds=30,
        description="Runs what is downstream of an asset that changed (automation conditions).",
    )
    return dg.Definitions(
        assets=build_assets(settings),
        asset_checks=build_checks(list(settings.sources)),
        jobs=[*build_jobs(settings), build_partitioned_job(), build_bucket_partition_job()],
        schedules=build_schedules(settings, ops),
        sensors=[*build_sensors(settings, ops), automation],
        resources={"hub": HubResource(config_path=str(config_path), verbose=verbose)},
    )


@dg.definitions
def defs() -> dg.Definitions:
    # loaded lazily by `dagster dev`, so importing this module needs no chub.yaml
    return build_definitions(os.environ.get("CHUB_CONFIG", "chub.yaml"))
