"""The rules of a scope as a Great Expectations 1.x ExpectationSuite, validated on a batch.

``validate_batch`` runs in an ephemeral context on a pandas frame of the rows; the kept
result (``SuiteResult.to_dict()``) holds the suite and the GX result with every unexpected
value masked, so ``build_data_docs`` can later render real GX Data Docs from stored dicts.
Formats that a regex cannot express (checksums, region lists, dates not in the future)
and the province/city consistency run through custom expectations (``gx_expectations``)
calling the same validators as ``check_rows``, so both agree on which rows fail.
"""

from __future__ import annotations

import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"

import uuid  # noqa: E402
from collections.abc import Iterable, Mapping, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import unquote, urlparse  # noqa: E402

import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.core.expectation_validation_result import (  # noqa: E402
    expectationSuiteValidationResultSchema,
)
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.data_context.types.resource_identifiers import (  # noqa: E402
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.expectations.conditions import Column  # noqa: E402

from quality.formats import is_blank  # noqa: E402
from quality.gx_expectations import (  # noqa: E402
    ExpectColumnPairValuesToBeChubRegion,
    ExpectColumnValuesToMatchChubFormat,
)
from quality.masking import mask_value  # noqa: E402
from quality.rules import (  # noqa: E402
    Allowed,
    Completeness,
    Format,
    Region,
    Required,
    RequiredAny,
    Rule,
    RuleSet,
    ScopeRules,
    Unique,
    describe,
)

ROW_INDEX = "__row"
SAMPLE = 20  # unexpected values kept per expectation (masked)


def _scope_rules(rules: RuleSet | ScopeRules, scope: str) -> ScopeRules:
    return rules if isinstance(rules, ScopeRules) else rules.for_scope(scope)


def suite_name(scope: str) -> str:
    return f"chub.{scope}"


def _expectations(rule: Rule) -> list[Any]:
    meta = {"chub_rule": rule.key, "chub_kind": rule.rule}
    common: dict[str, Any] = {"meta": meta, "notes": describe(rule)}
    if isinstance(rule, Required):
        return [gxe.ExpectColumnValuesToNotBeNull(column=rule.field, **common)]
    if isinstance(rule, RequiredAny):
        *others, last = rule.fields
        condition: Any = None
        for name in others:
            cond = Column(name).is_null()
            condition = cond if condition is None else condition & cond
        return [gxe.ExpectColumnValuesToNotBeNull(column=last, row_condition=condition, **common)]
    if isinstance(rule, Format):
        return [
            ExpectColumnValuesToMatchChubFormat(column=rule.field, format=rule.format, **common)
        ]
    if isinstance(rule, Allowed):
        return [
            gxe.ExpectColumnValuesToBeInSet(
                column=rule.field, value_set=list(rule.values), **common
            )
        ]
    if isinstance(rule, Unique):
        return [gxe.ExpectColumnValuesToBeUnique(column=rule.field, **common)]
    if isinstance(rule, Completeness):
        return [gxe.ExpectColumnValuesToNotBeNull(column=rule.field, mostly=rule.min, **common)]
    if isinstance(rule, Region):
        return [
            ExpectColumnPairValuesToBeChubRegion(
                column_A=rule.province_field, column_B=rule.city_field, **common
            )
        ]
    return []


def build_suite(rules: RuleSet | ScopeRules, scope: str) -> gx.ExpectationSuite:
    """A fresh ExpectationSuite ``chub.<scope>`` for the rules of ``scope``."""
    expectations = [e for rule in _scope_rules(rules, scope).rules for e in _expectations(rule)]
    return gx.ExpectationSuite(
        name=suite_name(scope), expectations=expectations, meta={"chub_scope": scope}
    )


def to_frame(rows: Sequence[Mapping[str, Any]], fields: Iterable[str]) -> pd.DataFrame:
    """Object frame of ``fields`` (blank → None) plus the ``__row`` index column."""
    columns = list(dict.fromkeys(fields))
    data = {
        name: [None if is_blank(r.get(name)) else r.get(name) for r in rows] for name in columns
    }
    frame = pd.DataFrame(data, columns=columns, dtype=object)
    frame[ROW_INDEX] = range(len(rows))
    return frame


@dataclass(frozen=True)
class SuiteResult:
    """Outcome of one GX validation, JSON-serialisable through ``to_dict``."""

    suite_name: str
    scope: str
    success: bool
    evaluated: int  # rows in the batch
    unexpected: list[dict[str, Any]]  # one entry per expectation
    statistics: dict[str, Any]
    failure_rate: float  # share of rows failing a row rule or uniqueness
    failed_rows: tuple[int, ...]
    blocks: bool  # the scope's threshold says this batch must not go on
    run_time: str
    gx_suite: dict[str, Any] = field(repr=False, default_factory=dict)
    gx_result: dict[str, Any] = field(repr=False, default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite_name": self.suite_name,
            "scope": self.scope,
            "success": self.success,
            "evaluated": self.evaluated,
            "unexpected": self.unexpected,
            "statistics": self.statistics,
            "failure_rate": self.failure_rate,
            "failed_rows": list(self.failed_rows),
            "blocks": self.blocks,
            "run_time": self.run_time,
            "gx_suite": self.gx_suite,
            "gx_result": self.gx_result,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SuiteResult:
        args = dict(d)
        args["failed_rows"] = tuple(args.get("failed_rows", ()))
        return cls(**args)


def _context() -> Any:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _mask_result(result: dict[str, Any], column: str | None) -> None:
    """Mask and trim the unexpected values of one expectation result in place."""
    name = column or ""
    res = result.get("result") or {}
    res.pop("unexpected_index_query", None)
    for key in ("partial_unexpected_list", "unexpected_list"):
        if key in res:
            res[key] = [mask_value(name, v) for v in res[key][:SAMPLE]]
    for key in ("partial_unexpected_counts",):
        if key in res:
            res[key] = [
                {"value": mask_value(name, c.get("value")), "count": c.get("count")}
                for c in res[key][:SAMPLE]
            ]
    for key in ("partial_unexpected_index_list", "unexpected_index_list"):
        if key in res:
            res[key] = [
                {k: (v if k == ROW_INDEX else mask_value(k, v)) for k, v in item.items()}
                if isinstance(item, dict)
                else item
                for item in res[key][:SAMPLE]
            ]


def validate_batch(
    rows: Sequence[Mapping[str, Any]], rules: RuleSet | ScopeRules, scope: str
) -> SuiteResult:
    """Validate a batch of rows with the scope's suite in an ephemeral GX context."""
    sr = _scope_rules(rules, scope)
    suite_obj = build_suite(sr, scope)
    context = _context()
    asset = context.data_sources.add_pandas("chub").add_dataframe_asset(scope)
    batch = asset.add_batch_definition_whole_dataframe("batch")
    suite = context.suites.add(suite_obj)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(
            name=f"{suite.name}.{uuid.uuid4().hex[:8]}", data=batch, suite=suite
        )
    )
    frame = to_frame(rows, sr.fields)
    result = definition.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_INDEX]},
    )
    raw = result.to_json_dict()
    failed: set[int] = set()
    unexpected: list[dict[str, Any]] = []
    for item in raw["results"]:
        config = item["expectation_config"]
        meta = config.get("meta") or {}
        column = config["kwargs"].get("column") or config["kwargs"].get("column_B")
        res = item.get("result") or {}
        rows_hit = [
            int(x[ROW_INDEX]) for x in res.get("unexpected_index_list") or [] if isinstance(x, dict)
        ]
        if meta.get("chub_kind") != "completeness":
            failed.update(rows_hit)
        _mask_result(item, column)
        unexpected.append(
            {
                "expectation": config["type"],
                "rule": meta.get("chub_rule"),
                "column": column,
                "success": bool(item["success"]),
                "element_count": res.get("element_count"),
                "unexpected_count": res.get("unexpected_count", 0),
                "unexpected_percent": res.get("unexpected_percent"),
                "sample": (item.get("result") or {}).get("partial_unexpected_list", [])[:5],
            }
        )
    n = len(rows)
    rate = len(failed) / n if n else 0.0
    run_time = str(raw.get("meta", {}).get("run_id", {}).get("run_time") or _now())
    return SuiteResult(
        suite_name=suite.name,
        scope=scope,
        success=bool(raw["success"]),
        evaluated=n,
        unexpected=unexpected,
        statistics=dict(raw["statistics"]),
        failure_rate=rate,
        failed_rows=tuple(sorted(failed)),
        blocks=sr.blocks(rate),
        run_time=run_time,
        gx_suite=suite.to_json_dict(),
        gx_result=raw,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat()


def build_data_docs(results: Iterable[SuiteResult | Mapping[str, Any]], out_dir: Path) -> Path:
    """Render GX Data Docs for kept results into a file context under ``out_dir``.

    Returns the path of the site's ``index.html``. Results from earlier runs stay in the
    context's store, so calling this again adds to the same site.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(out_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    store = context.validation_results_store
    for i, item in enumerate(results):
        d = item.to_dict() if isinstance(item, SuiteResult) else dict(item)
        if not d.get("gx_suite") or not d.get("gx_result"):
            raise ValueError(f"result {i} holds no gx_suite/gx_result (not a SuiteResult dict)")
        suite = gx.ExpectationSuite(**_suite_args(d["gx_suite"]))
        context.suites.add_or_update(suite)
        gx_result = dict(d["gx_result"])
        gx_result.pop("id", None)
        validation = expectationSuiteValidationResultSchema.load(gx_result)
        run_time = _parse_time(d.get("run_time"))
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
            run_id=RunIdentifier(run_name=f"{d.get('scope', suite.name)}", run_time=run_time),
            batch_identifier=f"{d.get('scope', 'batch')}-{run_time:%Y%m%dT%H%M%S%f}",
        )
        store.set(key, validation)
    context.build_data_docs()
    url = context.get_docs_sites_urls()[0]["site_url"]
    return Path(unquote(urlparse(url).path))


def _suite_args(d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": d["name"],
        "expectations": list(d.get("expectations", [])),
        "meta": d.get("meta") or {},
        "notes": d.get("notes"),
    }


def _parse_time(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)
