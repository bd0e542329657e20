"""Dagster asset checks: the Great Expectations suites of each source and of the golden
records, run on the rows the hub holds now. Results are kept in ``quality_run``."""

from typing import Any

import dagster as dg
from sqlalchemy import Engine

import quality
from integration.quality_ops import scope_rows
from integration.resources import HubResource
from integration.store import QualityRun, session_scope

__all__ = ["build_checks", "run_suite"]


def run_suite(engine: Engine, rules: quality.RuleSet, scope: str) -> quality.SuiteResult:
    """Validate the scope's current rows with its GX suite and keep the result and scorecard."""
    rows = scope_rows(engine, scope)
    result = quality.validate_batch(rows, rules, scope)
    verdicts = quality.check_rows(rows, rules, scope)
    card = quality.scorecard(rows, verdicts, scope, rules=rules)
    stored = result.to_dict()  # unexpected values in it are masked already
    with session_scope(engine) as session:
        session.add(
            QualityRun(
                suite=result.suite_name,
                scope=scope,
                success=result.success,
                evaluated=result.evaluated,
                failed=len(result.failed_rows),
                result=stored,
                scorecard=card.to_dict(),
            )
        )
    return result


def _metadata(result: quality.SuiteResult) -> dict[str, Any]:
    failing = {
        u["rule"] or u["expectation"]: u["unexpected_count"]
        for u in result.unexpected
        if not u["success"]
    }
    return {
        "suite": result.suite_name,
        "rows": result.evaluated,
        "failure_rate": dg.MetadataValue.float(round(result.failure_rate, 4)),
        "gx_success": result.success,
        "failing_expectations": dg.MetadataValue.json(failing),
    }


def source_check(source_name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset="customer_rows",
        name=f"quality_{source_name}",
        description=(
            f"Great Expectations suite of source '{source_name}'. Fails when the share of "
            "failing rows is above the source's threshold; the source is then held back from "
            "resolution while the other sources go on."
        ),
    )
    def _check(context: dg.AssetCheckExecutionContext, hub: HubResource) -> dg.AssetCheckResult:
        h = hub.get()
        result = run_suite(h.engine, h.rules, source_name)
        return dg.AssetCheckResult(
            passed=not result.blocks,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=_metadata(result),
        )

    return _check


@dg.asset_check(
    asset="golden_customers",
    name="quality_golden",
    blocking=True,
    description=(
        "Great Expectations suite of the golden records (required fields, formats, unique "
        "golden id). Blocking: when it fails, nothing is published in this run; single "
        "failing records are always held back from publishing."
    ),
)
def golden_check(context: dg.AssetCheckExecutionContext, hub: HubResource) -> dg.AssetCheckResult:
    h = hub.get()
    result = run_suite(h.engine, h.rules, "golden")
    return dg.AssetCheckResult(passed=not result.blocks, metadata=_metadata(result))


def build_checks(sources: list[str]) -> list[dg.AssetChecksDefinition]:
    return [*(source_check(name) for name in sorted(sources)), golden_check]
