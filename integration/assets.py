"""Dagster assets and checks: thin wrappers over integration.pipeline.

Assets pass nothing in memory: each reads from and writes to the hub store, so any asset
can be re-materialized on its own and the graph runs the same in one process or on many.

Operations (issue 18):
- a landing asset retries with backoff; when its last attempt fails it still
  materializes (the source's last good rows stay in the hub), with a failed
  ``sync_succeeded`` check and an alert, so one broken source never stops the others;
- resolve, golden and publish are the hub's writers: they share the Dagster concurrency
  pool ``hub_writer`` (limit 1 in deploy/dagster.yaml) and take the hub lock ``resolve``,
  which also holds off writers outside Dagster (`chub run`, a second code location);
- everything below landing runs when its upstream changes (automation conditions), and
  each source carries a freshness policy from ``operations.max_lag_minutes``.
"""

import importlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import dagster as dg

from integration.config import Settings
from integration.hub import Hub
from integration.locks import hub_lock
from integration.pipeline.golden import build_golden
from integration.pipeline.land import LandingReport, sync_source
from integration.pipeline.publish import publish
from integration.pipeline.resolve import resolve_customers
from integration.pipeline.standardize import standardize
from integration.quality_ops import current_scorecards
from integration.resources import HubResource
from integration.sections.operations import OperationsSettings
from integration.status import recorded_run, review_queue_size, sink_counts, source_status

__all__ = [
    "HUB_WRITER_POOL",
    "LandConfig",
    "ResolveConfig",
    "build_assets",
    "operations_of",
]

LANDING, STANDARDIZE, RESOLVE, GOLDEN, PUBLISH = (
    "landing",
    "standardize",
    "resolve",
    "golden",
    "publish",
)
#: the Dagster concurrency pool of the stages that rewrite identities and push them
HUB_WRITER_POOL = "hub_writer"
#: the hub lock those stages take (the same name outside Dagster)
RESOLVE_LOCK = "resolve"
SYNC_CHECK = "sync_succeeded"


def operations_of(settings: Settings) -> OperationsSettings:
    ops = settings.operations
    return ops if isinstance(ops, OperationsSettings) else OperationsSettings()


def _md(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, bool) or value is None:
            out[key] = dg.MetadataValue.text(str(value))
        elif isinstance(value, int):
            out[key] = dg.MetadataValue.int(value)
        elif isinstance(value, float):
            out[key] = dg.MetadataValue.float(value)
        elif isinstance(value, (dict, list)):
            out[key] = dg.MetadataValue.json(value)
        else:
            out[key] = dg.MetadataValue.text(str(value))
    return out


@contextmanager
def one_writer(h: Hub) -> Iterator[None]:
    """The hub lock of the writing stages, waited for as long as the other writer takes."""
    with hub_lock(h.engine, RESOLVE_LOCK):
        yield


class LandConfig(dg.Config):
    """How a landing run reads its source (the defaults: incremental from the cursor)."""

    #: re-read every stream from the beginning (a backfill); the hub keeps what it had
    full: bool = False
    #: land the queued callback events of the source instead of pulling it
    inbox_only: bool = False


class ResolveConfig(dg.Config):
    #: re-learn the matching model from all rows before resolving (the nightly job)
    refit: bool = False


class PublishConfig(dg.Config):
    #: push every golden record to the sink again, not only the changed ones (a replay)
    republish_all: bool = False


def _retry(count: int, delay: float) -> dg.RetryPolicy | None:
    if count <= 0:
        return None
    return dg.RetryPolicy(
        max_retries=count, delay=delay, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    )


def _land_once(h: Hub, source_name: str, config: LandConfig, run_id: str) -> LandingReport:
    with recorded_run(h.engine, "sync", source_name, run_id) as detail:
        if config.inbox_only:
            report = _process_inbox(h, source_name)
        else:
            report = sync_source(
                h.engine, source_name, h.sources[source_name], full=config.full, progress=None
            )
        detail.update(report.as_metadata())
    return report


def _process_inbox(h: Hub, source_name: str) -> LandingReport:
    """The queued callback events of the source, landed by the callbacks module."""
    callbacks = importlib.import_module("integration.callbacks")
    process = getattr(callbacks, "process_inbox", None)
    if process is None:
        raise RuntimeError("this chub cannot process queued callback events yet")
    started = time.monotonic()
    result = process(h, source_name, limit=100)
    if isinstance(result, LandingReport):
        return result
    report = LandingReport(source=source_name)
    report.seen = int(getattr(result, "processed", result) or 0)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def landing_asset(
    source_name: str, source_type: str, ops: OperationsSettings
) -> dg.AssetsDefinition:
    retries = ops.landing_retries

    @dg.asset(
        name=f"land_{source_name}",
        group_name=LANDING,
        kinds={"python", source_type},
        # one sync of a source at a time across runs (pool limit 1 in deploy/dagster.yaml)
        pool=f"sync_{source_name}",
        retry_policy=_retry(retries, ops.retry_delay_seconds),
        freshness_policy=dg.FreshnessPolicy.time_window(
            fail_window=timedelta(minutes=ops.max_lag(source_name))
        ),
        check_specs=[
            dg.AssetCheckSpec(
                SYNC_CHECK,
                asset=f"land_{source_name}",
                description=(
                    f"The last sync of '{source_name}' succeeded. When it fails after every "
                    "retry, the source's last good rows stay in the hub and the run goes on."
                ),
            )
        ],
        description=(
            f"Raw records of source '{source_name}' ({source_type}), landed page by page with "
            "the cursor that follows each page, in one transaction."
        ),
    )
    def _land(
        context: dg.AssetExecutionContext, hub: HubResource, config: LandConfig
    ) -> dg.MaterializeResult:
        h = hub.get()
        try:
            report = _land_once(h, source_name, config, context.run_id)
        except Exception as exc:
            if context.retry_number < retries:
                raise  # Dagster retries with backoff
            return _failed_landing(context, h, source_name, exc)
        h.say(
            f"  landed {source_name}: {report.seen} records ({report.new} new, "
            f"{report.changed} changed, {report.flagged} flagged) in {report.seconds:.1f}s"
        )
        meta = report.as_metadata()
        meta.update(source_status(h.engine, source_name).as_metadata())
        return dg.MaterializeResult(
            metadata=_md(meta),
            check_results=[dg.AssetCheckResult(check_name=SYNC_CHECK, passed=True)],
        )

    return _land


def _failed_landing(
    context: dg.AssetExecutionContext, h: Hub, source_name: str, exc: Exception
) -> dg.MaterializeResult:
    from schedules.alerts import Alert, run_url, send_alert

    status = source_status(h.engine, source_name)
    error = status.last_error or type(exc).__name__
    context.log.error(f"source {source_name} failed after every retry: {error}")
    h.say(f"  source {source_name} FAILED (its last good rows stay in): {error}")
    ops = operations_of(h.settings)
    send_alert(
        ops,
        Alert(
            title=f"customer-hub: source {source_name} failed to sync",
            text=error,
            run_url=run_url(ops, context.run_id),
            facts={
                "source": source_name,
                "run": context.run_id,
                "last good sync": status.last_success.isoformat()
                if status.last_success
                else "never",
            },
        ),
    )
    meta = {"status": "failed", **status.as_metadata()}
    return dg.MaterializeResult(
        metadata=_md(meta),
        check_results=[
            dg.AssetCheckResult(
                check_name=SYNC_CHECK,
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata=_md({"error": error}),
            )
        ],
    )


def publish_asset(sink_name: str, sink_type: str, ops: OperationsSettings) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"publish_{sink_name}",
        group_name=PUBLISH,
        kinds={"python", sink_type},
        deps=["golden_customers"],
        pool=HUB_WRITER_POOL,
        retry_policy=_retry(ops.publish_retries, ops.retry_delay_seconds),
        automation_condition=dg.AutomationCondition.eager(),
        description=(
            f"Golden records pushed to sink '{sink_name}' ({sink_type}): only records whose "
            "content changed since the last accepted push; refusals kept as dead letters."
        ),
    )
    def _publish(
        context: dg.AssetExecutionContext, hub: HubResource, config: PublishConfig
    ) -> dg.MaterializeResult:
        h = hub.get()
        sink = h.sink(sink_name)
        try:
            with one_writer(h):
                if config.republish_all:
                    from integration.runner import forget_pushed

                    forget_pushed(h.engine, sink_name)
                report = publish(
                    h.engine,
                    sink_name,
                    sink,
                    require_quality=h.settings.publish.require_quality,
                    max_attempts=h.settings.publish.max_attempts,
                    source_name=h.sink_source(sink_name),
                    hold_lock=False,  # one_writer holds the hub lock "resolve" already
                )
        finally:
            sink.close()
        h.say(
            f"  published to {sink_name}: {report.pushed} pushed, {report.failed} refused, "
            f"{report.held_back_by_quality} held back by quality"
        )
        meta = report.as_metadata()
        meta["dead_letters"] = sink_counts(h.engine).get(sink_name, {}).get("dead", 0)
        return dg.MaterializeResult(metadata=_md(meta))

    return _publish


def _refit_and_resolve(h: Hub, exclude: set[str], run_id: str) -> Any:
    """The nightly job: learn the matching model again, then re-resolve every row."""
    from integration.pipeline.resolve import refit_and_resolve

    # one_writer holds the hub lock "resolve" already
    return refit_and_resolve(
        h.engine,
        h.match_spec,
        h.match_settings,
        run_id,
        exclude_sources=exclude,
        hold_lock=False,
    )


def build_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    ops = operations_of(settings)
    landing = [landing_asset(name, cfg.type, ops) for name, cfg in sorted(settings.sources.items())]

    @dg.asset(
        group_name=STANDARDIZE,
        deps=[a.key for a in landing],
        kinds={"python"},
        automation_condition=dg.AutomationCondition.eager(),
        description=(
            "Canonical customer rows: each changed source record mapped, normalized (E.164 "
            "phones, simplified Chinese, lower-case e-mail) and checked; failing rows are "
            "quarantined with every reason, never dropped."
        ),
    )
    def customer_rows(context: dg.AssetExecutionContext, hub: HubResource) -> dg.MaterializeResult:
        h = hub.get()
        report = standardize(h.engine, h.sources, h.rules)
        h.say(
            f"  standardized: {report.rows_ok} ok, {report.rows_quarantined} quarantined, "
            f"{report.activities} activities ({report.unchanged} unchanged)"
        )
        meta = report.as_metadata()
        meta["by_source"] = report.by_source
        meta["failure_rate_by_source"] = {k: round(v, 4) for k, v in h.failure_rates().items()}
        # what `chub status` says of each source, now that its rows have verdicts
        meta["status_by_source"] = {
            name: source_status(h.engine, name).as_metadata() for name in sorted(h.sources)
        }
        # flat numbers per source: the Dagster UI plots each as a time series across runs
        for scope, card in current_scorecards(h.engine, h.rules, sorted(h.sources)).items():
            meta.update({f"{scope}.{k}": round(v, 4) for k, v in card.overall.items()})
        return dg.MaterializeResult(metadata=_md(meta))

    @dg.asset(
        group_name=RESOLVE,
        deps=[customer_rows],
        kinds={"python"},
        pool=HUB_WRITER_POOL,
        automation_condition=dg.AutomationCondition.eager(),
        description=(
            "Clusters of customer rows that are the same real customer, from the matching "
            "engine under the admins' merge / keep-apart decisions; stable cluster ids."
        ),
    )
    def customer_clusters(
        context: dg.AssetExecutionContext, hub: HubResource, config: ResolveConfig
    ) -> dg.MaterializeResult:
        h = hub.get()
        blocked = h.blocked_sources()
        for source, rate in blocked.items():
            context.log.warning(
                f"source {source} held back from resolution: {rate:.0%} of its "
                "rows fail quality, above its threshold"
            )
        with one_writer(h):
            if config.refit:
                report = _refit_and_resolve(h, set(blocked), context.run_id)
            else:
                report = resolve_customers(
                    h.engine,
                    h.match_spec,
                    h.match_settings,
                    exclude_sources=set(blocked),
                    run_id=context.run_id,
                    hold_lock=False,  # one_writer holds the hub lock "resolve" already
                )
        h.say(
            f"  resolved {report.rows} rows into {report.clusters} clusters: "
            f"{report.auto_merged_pairs} pairs auto-merged, {report.review_pairs} queued for review"
        )
        meta = report.as_metadata()
        meta["sample_changes"] = report.changes[:20]
        meta["review_queue"] = review_queue_size(h.engine)
        return dg.MaterializeResult(metadata=_md(meta))

    @dg.asset(
        group_name=GOLDEN,
        deps=[customer_clusters],
        kinds={"python"},
        pool=HUB_WRITER_POOL,
        automation_condition=dg.AutomationCondition.eager(),
        description=(
            "One golden customer per cluster: survivorship rules per field (golden.survivorship), "
            "lineage of every field, version history, 360° facts (orders and revenue per "
            "currency, last touch per channel, WeCom follows, lifecycle, RFM tier, churn risk); "
            "only records whose inputs changed are rebuilt."
        ),
    )
    def golden_customers(
        context: dg.AssetExecutionContext, hub: HubResource
    ) -> dg.MaterializeResult:
        h = hub.get()
        started = time.monotonic()
        with one_writer(h):
            report = build_golden(
                h.engine,
                h.rules,
                settings=h.settings.golden,
                source_types={name: src.type for name, src in h.settings.sources.items()},
                run_id=context.run_id,
            )
        h.say(
            f"  golden customers: {report.golden} ({report.created} new, {report.updated} "
            f"updated, {report.retired} retired)"
        )
        meta = report.as_metadata()
        card = current_scorecards(h.engine, h.rules, ["golden"])["golden"]
        meta.update({f"golden.{k}": round(v, 4) for k, v in card.overall.items()})
        meta["seconds"] = round(time.monotonic() - started, 3)
        return dg.MaterializeResult(metadata=_md(meta))

    publishing = [
        publish_asset(name, cfg.type, ops) for name, cfg in sorted(settings.sinks.items())
    ]
    return [*landing, customer_rows, customer_clusters, golden_customers, *publishing]
