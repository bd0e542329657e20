"""Jobs and their schedules.

One job runs the whole graph (land every source, resolve, publish); one job per source
lands just that source and everything downstream of it, on the cron given in chub.yaml
(``sources.<name>.schedule``).
"""

from __future__ import annotations

import dagster as dg

__all__ = ["FULL_SYNC_JOB", "build_jobs", "build_schedules"]

FULL_SYNC_JOB = "customer_hub_sync"
#: the whole graph, hourly unless chub.yaml says otherwise per source
DEFAULT_CRON = "0 * * * *"


def build_jobs(sources: list[str]) -> list[dg.UnresolvedAssetJobDefinition]:
    jobs = [
        dg.define_asset_job(
            FULL_SYNC_JOB,
            selection=dg.AssetSelection.all(),
            description="Land every source, standardize, resolve, build golden records, publish.",
        )
    ]
    for name in sorted(sources):
        jobs.append(
            dg.define_asset_job(
                f"sync_{name}",
                selection=dg.AssetSelection.assets(f"land_{name}").downstream(),
                description=f"Land source '{name}' and bring everything downstream up to date.",
            )
        )
    return jobs


def build_schedules(source_crons: dict[str, str | None]) -> list[dg.ScheduleDefinition]:
    schedules = [
        dg.ScheduleDefinition(
            name=f"{FULL_SYNC_JOB}_hourly",
            job_name=FULL_SYNC_JOB,
            cron_schedule=DEFAULT_CRON,
            default_status=dg.DefaultScheduleStatus.STOPPED,
            description="The whole graph every hour (start it in the Dagster UI).",
        )
    ]
    for name, cron in sorted(source_crons.items()):
        if cron:
            schedules.append(
                dg.ScheduleDefinition(
                    name=f"sync_{name}_schedule",
                    job_name=f"sync_{name}",
                    cron_schedule=cron,
                    default_status=dg.DefaultScheduleStatus.RUNNING,
                )
            )
    return schedules
