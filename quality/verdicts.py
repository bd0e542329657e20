"""Row verdicts: every reason a row fails, never dropping the row.

``check_row`` applies the row rules of a scope; ``check_rows`` adds the batch rule
``unique`` (duplicates within the batch). An admin override is a *waiver*: a rule key
such as ``"format:uscc"`` (or ``"*"`` for all) whose reasons move to ``Verdict.waived``,
so the history stays visible while the row passes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from quality.formats import EXPLAIN, check_format, is_blank
from quality.masking import mask_value
from quality.regions import fold, regions
from quality.rules import (
    Allowed,
    Format,
    Region,
    Required,
    RequiredAny,
    RuleSet,
    ScopeRules,
    Unique,
    describe,
)


@dataclass(frozen=True)
class Reason:
    rule: str  # required | required_any | format | allowed | unique | region
    field: str
    value: str  # masked
    message: str

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.field}"

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Reason:
        return cls(str(d["rule"]), str(d["field"]), str(d.get("value", "")), str(d["message"]))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reasons: tuple[Reason, ...] = ()
    waived: tuple[Reason, ...] = ()

    @property
    def rule_keys(self) -> set[str]:
        return {r.key for r in self.reasons}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reasons": [r.to_dict() for r in self.reasons],
            "waived": [r.to_dict() for r in self.waived],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Verdict:
        return cls(
            bool(d["ok"]),
            tuple(Reason.from_dict(r) for r in d.get("reasons", ())),
            tuple(Reason.from_dict(r) for r in d.get("waived", ())),
        )


def _scope_rules(rules: RuleSet | ScopeRules, scope: str) -> ScopeRules:
    return rules if isinstance(rules, ScopeRules) else rules.for_scope(scope)


def _row_reasons(row: Mapping[str, Any], scope: ScopeRules) -> list[Reason]:
    reasons: list[Reason] = []
    get = row.get
    for rule in scope.row_rules:
        if isinstance(rule, Required):
            if is_blank(get(rule.field)):
                reasons.append(Reason(rule.rule, rule.field, "", describe(rule)))
        elif isinstance(rule, RequiredAny):
            if all(is_blank(get(f)) for f in rule.fields):
                reasons.append(Reason(rule.rule, rule.field, "", describe(rule)))
        elif isinstance(rule, Format):
            value = get(rule.field)
            if not is_blank(value) and not check_format(rule.format, value):
                shown = mask_value(rule.field, value)
                reasons.append(Reason(rule.rule, rule.field, shown, _format_message(rule, value)))
        elif isinstance(rule, Allowed):
            value = get(rule.field)
            if not is_blank(value) and str(value) not in rule.values:
                shown = mask_value(rule.field, value)
                reasons.append(Reason(rule.rule, rule.field, shown, describe(rule)))
        elif isinstance(rule, Region):
            reason = _region_reason(rule, get(rule.province_field), get(rule.city_field))
            if reason:
                reasons.append(reason)
    return reasons


def _format_message(rule: Format, value: Any) -> str:
    """Say what is wrong when the format can tell (``name is a placeholder ('未知')``),
    else what the value should be."""
    explain = EXPLAIN.get(rule.format)
    values = value if isinstance(value, (list, tuple, set)) else [value]
    for item in values:
        problem = explain(item) if explain and not is_blank(item) else None
        if problem:
            return f"{rule.field} {problem}"
    return describe(rule)


def _region_reason(rule: Region, province: Any, city: Any) -> Reason | None:
    if is_blank(province) or is_blank(city):
        return None
    reg = regions()
    if reg.province(str(province)) is None or reg.city(str(city)) is None:
        return None  # unknown names are the format rules' business
    if reg.city_in_province(str(city), str(province)):
        return None
    shown = f"{fold(str(city))} / {fold(str(province))}"
    return Reason(rule.rule, rule.city_field, shown, describe(rule))


def _verdict(reasons: list[Reason], waive: Collection[str]) -> Verdict:
    if not waive:
        return Verdict(not reasons, tuple(reasons))
    kept = [r for r in reasons if r.key not in waive and r.rule not in waive and "*" not in waive]
    waived = [r for r in reasons if r not in kept]
    return Verdict(not kept, tuple(kept), tuple(waived))


def check_row(
    row: Mapping[str, Any],
    rules: RuleSet | ScopeRules,
    scope: str,
    *,
    waive: Iterable[str] = (),
) -> Verdict:
    """Verdict of one row under the row rules of ``scope`` (``unique`` needs a batch)."""
    return _verdict(_row_reasons(row, _scope_rules(rules, scope)), set(waive))


def check_rows(
    rows: Sequence[Mapping[str, Any]],
    rules: RuleSet | ScopeRules,
    scope: str,
    *,
    waivers: Mapping[int, Iterable[str]] | None = None,
) -> list[Verdict]:
    """Verdicts of a batch, in row order; ``waivers`` maps row index → waived rule keys."""
    sr = _scope_rules(rules, scope)
    all_reasons = [_row_reasons(row, sr) for row in rows]
    for rule in sr.of(Unique):
        keys = [None if is_blank(r.get(rule.field)) else str(r.get(rule.field)) for r in rows]
        counts = Counter(k for k in keys if k is not None)
        for i, k in enumerate(keys):
            if k is not None and counts[k] > 1:
                shown = mask_value(rule.field, rows[i].get(rule.field))
                msg = f"{describe(rule)} ({counts[k]} rows share it)"
                all_reasons[i].append(Reason(rule.rule, rule.field, shown, msg))
    waivers = waivers or {}
    return [_verdict(reasons, set(waivers.get(i, ()))) for i, reasons in enumerate(all_reasons)]


def failure_rate(verdicts: Sequence[Verdict]) -> float:
    """Share of rows whose verdict is not ok (0.0 for an empty batch)."""
    return sum(not v.ok for v in verdicts) / len(verdicts) if verdicts else 0.0
