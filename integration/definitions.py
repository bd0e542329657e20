"""The Dagster code location: ``dagster dev -m integration.definitions``.

Which chub.yaml it reads: ``$CHUB_CONFIG``, else ./chub.yaml.
"""

from __future__ import annotations

import os

import dagster as dg

from integration.assets import build_assets
from integration.checks import build_checks
from integration.config import load_settings
from integration.resources import HubResource
from schedules import build_jobs, build_schedules

__all__ = ["build_definitions", "defs"]


def build_definitions(config_path: str, *, verbose: bool = False) -> dg.Definitions:
    settings = load_settings(config_path)
    sources = {name: s.type for name, s in settings.sources.items()}
    sinks = {name: s.type for name, s in settings.sinks.items()}
    return dg.Definitions(
        assets=build_assets(sources, sinks),
        asset_checks=build_checks(list(sources)),
        jobs=build_jobs(list(sources)),
        schedules=build_schedules({n: s.schedule for n, s in settings.sources.items()}),
        resources={"hub": HubResource(config_path=str(config_path), verbose=verbose)},
    )


@dg.definitions
def defs() -> dg.Definitions:
    # loaded lazily by `dagster dev`, so importing this module needs no chub.yaml
    return build_definitions(os.environ.get("CHUB_CONFIG", "chub.yaml"))
