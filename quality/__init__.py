"""Data quality for customer-hub: declarative rules, verdicts, GX suites, scorecards.

Pure domain package (stdlib, Great Expectations, pandas, OpenCC, matplotlib): it imports
nothing else of ours. Great Expectations is imported lazily, on first use of
``build_suite`` / ``validate_batch`` / ``SuiteResult`` / ``build_data_docs``, so the fast
row checks do not pay GX's import time. See ``quality/README.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quality.formats import FORMATS, check_format
from quality.masking import mask_value
from quality.rules import (
    Allowed,
    Completeness,
    Format,
    QualityConfigError,
    Region,
    Required,
    RequiredAny,
    Rule,
    RuleSet,
    ScopeRules,
    Unique,
    default_rules,
    rules_from_config,
)
from quality.scorecards import (
    Scorecard,
    render_scorecard_html,
    render_scorecard_png,
    scorecard,
)
from quality.verdicts import Reason, Verdict, check_row, check_rows, failure_rate

if TYPE_CHECKING:
    from quality.gx_suites import SuiteResult, build_data_docs, build_suite, validate_batch

_LAZY = {"SuiteResult", "build_data_docs", "build_suite", "validate_batch"}

__all__ = [
    "FORMATS",
    "Allowed",
    "Completeness",
    "Format",
    "QualityConfigError",
    "Reason",
    "Region",
    "Required",
    "RequiredAny",
    "Rule",
    "RuleSet",
    "ScopeRules",
    "Scorecard",
    "SuiteResult",
    "Unique",
    "Verdict",
    "build_data_docs",
    "build_suite",
    "check_format",
    "check_row",
    "check_rows",
    "default_rules",
    "failure_rate",
    "mask_value",
    "render_scorecard_html",
    "render_scorecard_png",
    "rules_from_config",
    "scorecard",
    "validate_batch",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from quality import gx_suites

        return getattr(gx_suites, name)
    raise AttributeError(f"module 'quality' has no attribute {name!r}")
