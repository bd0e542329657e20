"""Jobs and their schedules, from the ``operations:`` section of chub.yaml.

Jobs:
- ``customer_hub_sync``: the whole graph (what `chub run` runs);
- ``sync_<source>``: land one source and bring everything downstream of it up to date;
  its landing config re-reads from the beginning (``full``) or lands queued callback
  events (``inbox_only``);
- ``resolve_and_publish``: re-resolve every row, rebuild golden records, publish (review
  decisions, and the "re-resolve everything" replay); ``nightly_refit`` is the same with
  the model re-learnt first;
- ``republish_<sink>``: push every golden record to one sink again;
- ``weekly_quality_report``: the quality report, and a summary to the alert targets.

Schedules: an incremental sync per source (``operations.sync_schedule``, every 15
minutes by default, per-source override), the nightly refit, the weekly report.
"""

from typing import Any

import dagster as dg

from integration.config import Settings
from integration.resources import HubResource
from integration.sections.operations import OperationsSettings

__all__ = [
    "FULL_SYNC_JOB",
    "NIGHTLY_JOB",
    "QUALITY_REPORT_JOB",
    "RESOLVE_JOB",
    "build_jobs",
    "build_schedules",
    "republish_job_name",
    "republish_run_config",
    "resync_run_config",
    "sync_job_name",
]

FULL_SYNC_JOB = "customer_hub_sync"
RESOLVE_JOB = "resolve_and_publish"
NIGHTLY_JOB = "nightly_refit"
QUALITY_REPORT_JOB = "weekly_quality_report"


def sync_job_name(source: str) -> str:
    return f"sync_{source}"


def republish_job_name(sink: str) -> str:
    return f"republish_{sink}"


def resync_run_config(
    source: str, *, full: bool = False, inbox_only: bool = False
) -> dict[str, Any]:
    config = {"full": full, "inbox_only": inbox_only}
    return {"ops": {f"land_{source}": {"config": config}}}


def republish_run_config(sink: str) -> dict[str, Any]:
    return {"ops": {f"publish_{sink}": {"config": {"republish_all": True}}}}


NIGHTLY_RUN_CONFIG: dict[str, Any] = {"ops": {"customer_clusters": {"config": {"refit": True}}}}


@dg.op(description="Write the quality report (text, HTML and PNG charts) and post a summary.")
def write_quality_report(context: dg.OpExecutionContext, hub: HubResource) -> None:
    from integration.quality_ops import build_report
    from schedules.alerts import Alert, run_url, send_alert

    h = hub.get()
    out = h.settings.resolve_path(h.settings.hub.artifacts_dir) / "quality"
    text, html, png = build_report(h.engine, out)
    context.log.info(f"quality report written to {html} and {png}")
    ops = h.settings.operations
    if isinstance(ops, OperationsSettings) and ops.alerts:
        # the report is scores per source and rule: no record, no personal data
        summary = "\n".join(text.splitlines()[:30])
        send_alert(
            ops,
            Alert(
                title="customer-hub: weekly quality report",
                text=summary,
                severity="info",
                run_url=run_url(ops, context.run_id),
            ),
        )


@dg.job(name=QUALITY_REPORT_JOB, description="The weekly quality report.")
def quality_report_job() -> None:
    write_quality_report()


def build_jobs(settings: Settings) -> list[Any]:
    jobs: list[Any] = [
        dg.define_asset_job(
            FULL_SYNC_JOB,
            selection=dg.AssetSelection.all(),
            description="Land every source, standardize, resolve, build golden records, publish.",
        ),
        dg.define_asset_job(
            RESOLVE_JOB,
            selection=dg.AssetSelection.assets("customer_clusters").downstream(),
            description=(
                "Re-resolve every customer row under the review decisions, rebuild the golden "
                "records and publish what changed."
            ),
        ),
        dg.define_asset_job(
            NIGHTLY_JOB,
            selection=dg.AssetSelection.assets("customer_clusters").downstream(),
            config=NIGHTLY_RUN_CONFIG,
            description="Re-learn the matching model, re-resolve everything, publish.",
        ),
        quality_report_job,
    ]
    for name in sorted(settings.sources):
        jobs.append(
            dg.define_asset_job(
                sync_job_name(name),
                selection=dg.AssetSelection.assets(f"land_{name}").downstream(),
                description=(
                    f"Land source '{name}' and bring everything downstream up to date. In the "
                    "launchpad, `full: true` re-reads it from the beginning (a backfill)."
                ),
            )
        )
    for name in sorted(settings.sinks):
        jobs.append(
            dg.define_asset_job(
                republish_job_name(name),
                selection=dg.AssetSelection.assets(f"publish_{name}"),
                config=republish_run_config(name),
                description=f"Push every golden record to sink '{name}' again (a replay).",
            )
        )
    return jobs


def build_schedules(settings: Settings, ops: OperationsSettings) -> list[dg.ScheduleDefinition]:
    status = (
        dg.DefaultScheduleStatus.RUNNING
        if ops.running_by_default
        else dg.DefaultScheduleStatus.STOPPED
    )
    schedules = [
        dg.ScheduleDefinition(
            name=f"{NIGHTLY_JOB}_schedule",
            job_name=NIGHTLY_JOB,
            cron_schedule=ops.nightly_schedule,
            execution_timezone=ops.timezone,
            default_status=status,
            description="Nightly: re-learn the matching model and re-resolve every row.",
        ),
        dg.ScheduleDefinition(
            name=f"{QUALITY_REPORT_JOB}_schedule",
            job_name=QUALITY_REPORT_JOB,
            cron_schedule=ops.quality_report_schedule,
            execution_timezone=ops.timezone,
            default_status=status,
            description="Weekly: the quality report, with a summary to the alert targets.",
        ),
    ]
    for name, cfg in sorted(settings.sources.items()):
        schedules.append(
            dg.ScheduleDefinition(
                name=f"sync_{name}_schedule",
                job_name=sync_job_name(name),
                cron_schedule=ops.sync_cron(name, cfg.schedule),
                execution_timezone=ops.timezone,
                default_status=status,
                description=f"Incremental sync of '{name}' from its stored cursor.",
            )
        )
    return schedules
