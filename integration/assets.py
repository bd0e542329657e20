"""Dagster assets and checks: thin wrappers over integration.pipeline.

Assets pass nothing in memory: each reads from and writes to the hub store, so any asset
can be re-materialized on its own and the graph runs the same in one process or on many.
"""

import time
from typing import Any

import dagster as dg

from integration.pipeline.golden import build_golden
from integration.pipeline.land import sync_source
from integration.pipeline.publish import publish
from integration.pipeline.resolve import resolve_customers
from integration.pipeline.standardize import standardize
from integration.quality_ops import current_scorecards
from integration.resources import HubResource

__all__ = ["build_assets"]

LANDING, STANDARDIZE, RESOLVE, GOLDEN, PUBLISH = (
    "landing",
    "standardize",
    "resolve",
    "golden",
    "publish",
)


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


def landing_asset(source_name: str, source_type: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"land_{source_name}",
        group_name=LANDING,
        kinds={"python", source_type},
        description=(
            f"Raw records of source '{source_name}' ({source_type}), landed page by page with "
            "the cursor that follows each page, in one transaction."
        ),
    )
    def _land(context: dg.AssetExecutionContext, hub: HubResource) -> dg.MaterializeResult:
        h = hub.get()
        report = sync_source(h.engine, source_name, h.sources[source_name], progress=None)
        h.say(
            f"  landed {source_name}: {report.seen} records ({report.new} new, "
            f"{report.changed} changed, {report.flagged} flagged) in {report.seconds:.1f}s"
        )
        return dg.MaterializeResult(metadata=_md(report.as_metadata()))

    return _land


def publish_asset(sink_name: str, sink_type: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"publish_{sink_name}",
        group_name=PUBLISH,
        kinds={"python", sink_type},
        deps=["golden_customers"],
        description=(
            f"Golden records pushed to sink '{sink_name}' ({sink_type}): only records whose "
            "content changed since the last accepted push; refusals kept as dead letters."
        ),
    )
    def _publish(context: dg.AssetExecutionContext, hub: HubResource) -> dg.MaterializeResult:
        h = hub.get()
        sink = h.sink(sink_name)
        try:
            report = publish(
                h.engine,
                sink_name,
                sink,
                require_quality=h.settings.publish.require_quality,
                max_attempts=h.settings.publish.max_attempts,
                source_name=h.sink_source(sink_name),
            )
        finally:
            sink.close()
        h.say(
            f"  published to {sink_name}: {report.pushed} pushed, {report.failed} refused, "
            f"{report.held_back_by_quality} held back by quality"
        )
        return dg.MaterializeResult(metadata=_md(report.as_metadata()))

    return _publish


def build_assets(sources: dict[str, str], sinks: dict[str, str]) -> list[dg.AssetsDefinition]:
    """``sources``/``sinks``: name -> connector type, from chub.yaml."""
    landing = [landing_asset(name, kind) for name, kind in sorted(sources.items())]

    @dg.asset(
        group_name=STANDARDIZE,
        deps=[a.key for a in landing],
        kinds={"python"},
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
        # flat numbers per source: the Dagster UI plots each as a time series across runs
        for scope, card in current_scorecards(h.engine, h.rules, sorted(h.sources)).items():
            meta.update({f"{scope}.{k}": round(v, 4) for k, v in card.overall.items()})
        return dg.MaterializeResult(metadata=_md(meta))

    @dg.asset(
        group_name=RESOLVE,
        deps=[customer_rows],
        kinds={"python"},
        description=(
            "Clusters of customer rows that are the same real customer, from the matching "
            "engine under the admins' merge / keep-apart decisions; stable cluster ids."
        ),
    )
    def customer_clusters(
        context: dg.AssetExecutionContext, hub: HubResource
    ) -> dg.MaterializeResult:
        h = hub.get()
        blocked = h.blocked_sources()
        for source, rate in blocked.items():
            context.log.warning(
                f"source {source} held back from resolution: {rate:.0%} of its "
                "rows fail quality, above its threshold"
            )
        report = resolve_customers(
            h.engine, h.match_spec, h.match_settings, exclude_sources=set(blocked)
        )
        h.say(
            f"  resolved {report.rows} rows into {report.clusters} clusters: "
            f"{report.auto_merged_pairs} pairs auto-merged, {report.review_pairs} queued for review"
        )
        meta = report.as_metadata()
        meta["sample_changes"] = report.changes[:20]
        return dg.MaterializeResult(metadata=_md(meta))

    @dg.asset(
        group_name=GOLDEN,
        deps=[customer_clusters],
        kinds={"python"},
        description=(
            "One golden customer per cluster: most recent non-empty value wins per field, "
            "with per-field lineage, 360° facts (orders, revenue, last touch, lifecycle, tier) "
            "and a content hash that drives publishing."
        ),
    )
    def golden_customers(
        context: dg.AssetExecutionContext, hub: HubResource
    ) -> dg.MaterializeResult:
        h = hub.get()
        started = time.monotonic()
        report = build_golden(h.engine, h.rules)
        h.say(
            f"  golden customers: {report.golden} ({report.created} new, {report.updated} "
            f"updated, {report.retired} retired)"
        )
        meta = report.as_metadata()
        card = current_scorecards(h.engine, h.rules, ["golden"])["golden"]
        meta.update({f"golden.{k}": round(v, 4) for k, v in card.overall.items()})
        meta["seconds"] = round(time.monotonic() - started, 3)
        return dg.MaterializeResult(metadata=_md(meta))

    publishing = [publish_asset(name, kind) for name, kind in sorted(sinks.items())]
    return [*landing, customer_rows, customer_clusters, golden_customers, *publishing]
