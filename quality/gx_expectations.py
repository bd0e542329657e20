"""Custom GX 1.x expectations that call the same validators as the fast row checks.

* ``expect_column_values_to_match_chub_format`` (kwarg ``format``: cn_mobile, uscc, ...)
* ``expect_column_pair_values_to_be_chub_region`` (the city lies in the province)

Importing this module registers them with GX (needed before suites holding them load).
"""

from __future__ import annotations

import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"

from typing import Any, ClassVar, Literal  # noqa: E402

import pandas as pd  # noqa: E402
from great_expectations.execution_engine import PandasExecutionEngine  # noqa: E402
from great_expectations.expectations.expectation import (  # noqa: E402
    ColumnMapExpectation,
    ColumnPairMapExpectation,
)
from great_expectations.expectations.metrics import ColumnMapMetricProvider  # noqa: E402
from great_expectations.expectations.metrics.map_metric_provider import (  # noqa: E402
    ColumnPairMapMetricProvider,
    column_condition_partial,
    column_pair_condition_partial,
)
from great_expectations.render import (  # noqa: E402
    LegacyRendererType,
    RenderedStringTemplateContent,
)
from great_expectations.render.renderer.renderer import renderer  # noqa: E402

from quality.formats import DESCRIPTIONS, check_format  # noqa: E402
from quality.regions import regions  # noqa: E402


def _template(template: str, params: dict[str, Any], runtime: dict | None) -> list[Any]:
    styling = (runtime or {}).get("styling")
    return [
        RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={"template": template, "params": params, "styling": styling},
        )
    ]


class ColumnValuesMatchChubFormat(ColumnMapMetricProvider):
    condition_metric_name = "column_values.match_chub_format"
    condition_value_keys = ("format",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, format: str, **kwargs: Any) -> pd.Series:
        return column.map(lambda v: check_format(format, v)).astype(bool)


class ExpectColumnValuesToMatchChubFormat(ColumnMapExpectation):
    """Expect column values to match a customer-hub format (cn_mobile, uscc, cn_city, ...)."""

    format: str
    map_metric: ClassVar[str] = "column_values.match_chub_format"
    success_keys: ClassVar[tuple[str, ...]] = ("format", "mostly")
    args_keys: ClassVar[tuple[str, ...]] = ("column", "format")

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(  # type: ignore[override]
        cls,
        configuration: Any = None,
        result: Any = None,
        runtime_configuration: dict | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        kw = configuration.kwargs if configuration is not None else {}
        fmt = kw.get("format", "")
        params = {"column": kw.get("column"), "format": fmt}
        text = DESCRIPTIONS.get(fmt, fmt)
        return _template(f"$column values must be {text} ($format).", params, runtime_configuration)


def _in_province(province: Any, city: Any) -> bool:
    reg = regions()
    if reg.province(str(province)) is None or reg.city(str(city)) is None:
        return True  # unknown names are the format rules' business
    return reg.city_in_province(str(city), str(province))


class ColumnPairValuesChubRegion(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.chub_region"
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_A",
        "column_B",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )
    condition_value_keys = ()

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs: Any) -> pd.Series:
        values = [_in_province(p, c) for p, c in zip(column_A, column_B, strict=True)]
        return pd.Series(values, index=column_A.index, dtype=bool)


class ExpectColumnPairValuesToBeChubRegion(ColumnPairMapExpectation):
    """Expect the city (column_B) to lie in the province (column_A) when both are known."""

    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = (
        "either_value_is_missing"
    )
    map_metric: ClassVar[str] = "column_pair_values.chub_region"
    success_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "ignore_row_if", "mostly")
    args_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B")

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(  # type: ignore[override]
        cls,
        configuration: Any = None,
        result: Any = None,
        runtime_configuration: dict | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        kw = configuration.kwargs if configuration is not None else {}
        params = {"column_A": kw.get("column_A"), "column_B": kw.get("column_B")}
        return _template(
            "$column_B must be a city of the province in $column_A.", params, runtime_configuration
        )
