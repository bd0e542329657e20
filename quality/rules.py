"""Quality rules as data: the ``quality:`` section of ``chub.yaml`` → a :class:`RuleSet`.

Config shape (every key optional; anything not given keeps the shipped default, a field
set to ``null`` under ``formats``/``allowed``/``completeness`` switches that rule off)::

    quality:
      sources:                      # per-source settings; "default" applies to every source
        default:
          required: [name]
          required_any: [[mobile, email, wecom_external_userid]]
          completeness: {mobile: 0.5}   # batch: at least 50 % of rows have a mobile
          max_failure_rate: 0.2         # batch blocked when > 20 % of rows fail
          blocking: true                # false: report only, never block
        erp:                        # merged over "default", key by key
          required: [name, company_name]
          formats: {uscc: uscc}     # merged over the global formats for this scope only
      golden:                       # golden records; failing rows are never published,
        required: [name]            # and above max_failure_rate nothing is published
        required_any: [[mobile, email, wecom_external_userid]]
        max_failure_rate: 0.05
      formats:  {name: real_name, company_name: plain_text, address: plain_text,
                 mobile: cn_mobile, phones: cn_phone, email: email, uscc: uscc,
                 province: cn_province, city: cn_city, source_updated_at: past_datetime}
      allowed:  {customer_type: [person, company]}
      unique:   {golden: [golden_id], sources: [source_key]}
      region: true                  # the city must lie in the province when both are known

Formats: cn_mobile, cn_phone, email, uscc, cn_province, cn_city, past_datetime, identifier,
real_name (no control characters, at most 200 characters, no placeholder such as 微信用户,
未知, 匿名, test, N/A), plain_text (no control characters, at most 500 characters).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from quality.formats import DESCRIPTIONS, FORMATS

GOLDEN = "golden"
DEFAULT_SOURCE = "default"
CONTACT_FIELDS = ["mobile", "email", "wecom_external_userid"]

DEFAULT_CONFIG: dict[str, Any] = {
    "sources": {
        DEFAULT_SOURCE: {
            "required": ["name"],
            "required_any": [CONTACT_FIELDS],
            "completeness": {},
            "max_failure_rate": 0.2,
            "blocking": True,
        }
    },
    GOLDEN: {
        "required": ["name"],
        "required_any": [CONTACT_FIELDS],
        "completeness": {},
        "max_failure_rate": 0.05,
        "blocking": True,
    },
    "formats": {
        # garbage in a name or an address (control characters, a pasted page, 微信用户)
        # is quarantined with its reason instead of passing as ok
        "name": "real_name",
        "company_name": "plain_text",
        "address": "plain_text",
        "mobile": "cn_mobile",
        "phones": "cn_phone",
        "email": "email",
        "uscc": "uscc",
        "province": "cn_province",
        "city": "cn_city",
        "source_updated_at": "past_datetime",
    },
    "allowed": {"customer_type": ["person", "company"]},
    "unique": {GOLDEN: ["golden_id"], "sources": ["source_key"]},
    "region": True,
}

_TOP_KEYS = {"sources", GOLDEN, "formats", "allowed", "unique", "region"}
_SCOPE_KEYS = {
    "required",
    "required_any",
    "completeness",
    "max_failure_rate",
    "blocking",
    "formats",
    "allowed",
    "unique",
}


class QualityConfigError(ValueError):
    """A bad ``quality:`` config; ``key_path`` names the offending key."""

    def __init__(self, key_path: str, message: str) -> None:
        self.key_path = f"quality.{key_path}" if key_path else "quality"
        self.message = message
        super().__init__(f"{self.key_path}: {message}")


# --- rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Required:
    field: str
    rule = "required"

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.field}"


@dataclass(frozen=True)
class RequiredAny:
    fields: tuple[str, ...]
    rule = "required_any"

    @property
    def field(self) -> str:
        return "|".join(self.fields)

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.field}"


@dataclass(frozen=True)
class Format:
    field: str
    format: str
    rule = "format"

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.field}"


@dataclass(frozen=True)
class Allowed:
    field: str
    values: tuple[str, ...]
    rule = "allowed"

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.field}"


@dataclass(frozen=True)
class Unique:
    """Batch rule: no two rows share a value."""

    field: str
    rule = "unique"

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.field}"


@dataclass(frozen=True)
class Completeness:
    """Batch rule: at least ``min`` of the rows have a value."""

    field: str
    min: float
    rule = "completeness"

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.field}"


@dataclass(frozen=True)
class Region:
    """Row rule: when both are known, the city lies in the province."""

    province_field: str = "province"
    city_field: str = "city"
    rule = "region"

    @property
    def field(self) -> str:
        return self.city_field

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.city_field}"


Rule = Required | RequiredAny | Format | Allowed | Unique | Completeness | Region
ROW_RULES = (Required, RequiredAny, Format, Allowed, Region)


@dataclass(frozen=True)
class ScopeRules:
    """The rules of one scope (a source name, or ``golden``)."""

    scope: str
    rules: tuple[Rule, ...]
    max_failure_rate: float | None = None
    blocking: bool = True

    @cached_property
    def row_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if isinstance(r, ROW_RULES))

    def of(self, kind: type) -> list[Any]:
        return [r for r in self.rules if isinstance(r, kind)]

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """Every field some rule looks at, in rule order."""
        seen: dict[str, None] = {}
        for r in self.rules:
            names = r.fields if isinstance(r, RequiredAny) else (r.field,)
            if isinstance(r, Region):
                names = (r.province_field, r.city_field)
            for name in names:
                seen.setdefault(name, None)
        return tuple(seen)

    def blocks(self, failure_rate: float) -> bool:
        """True when a batch with this row failure rate must not go on."""
        if not self.blocking or self.max_failure_rate is None:
            return False
        return failure_rate > self.max_failure_rate


@dataclass(frozen=True)
class RuleSet:
    """All scopes' rules; ``for_scope`` gives any source its own or the default rules."""

    scopes: Mapping[str, ScopeRules]
    config: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def for_scope(self, scope: str) -> ScopeRules:
        found = self.scopes.get(scope)
        if found is not None:
            return found
        default = self.scopes[DEFAULT_SOURCE]
        return ScopeRules(scope, default.rules, default.max_failure_rate, default.blocking)

    @property
    def sources(self) -> list[str]:
        return [s for s in self.scopes if s not in (GOLDEN, DEFAULT_SOURCE)]


# --- config -------------------------------------------------------------------------------


def default_rules() -> RuleSet:
    return rules_from_config({})


def rules_from_config(cfg: Mapping[str, Any] | None) -> RuleSet:
    """Build a RuleSet from the ``quality:`` section (None or {} → the shipped defaults)."""
    if cfg is None:
        cfg = {}
    if not isinstance(cfg, Mapping):
        raise QualityConfigError("", f"must be a mapping, got {type(cfg).__name__}")
    _no_unknown(cfg, _TOP_KEYS, "")
    merged = copy.deepcopy(DEFAULT_CONFIG)
    for key in ("formats", "allowed"):
        merged[key].update(_mapping(cfg.get(key, {}), key))
    unique = _mapping(cfg.get("unique", {}), "unique")
    _no_unknown(unique, {GOLDEN, "sources"}, "unique")
    merged["unique"].update(unique)
    merged["region"] = _bool(cfg.get("region", True), "region")
    merged[GOLDEN].update(_mapping(cfg.get(GOLDEN, {}), GOLDEN))
    sources = _mapping(cfg.get("sources", {}), "sources")
    default = dict(merged["sources"][DEFAULT_SOURCE])
    default.update(_mapping(sources.get(DEFAULT_SOURCE, {}), f"sources.{DEFAULT_SOURCE}"))
    scopes: dict[str, ScopeRules] = {}
    scopes[GOLDEN] = _scope(GOLDEN, merged[GOLDEN], merged, GOLDEN, "golden")
    scopes[DEFAULT_SOURCE] = _scope(
        DEFAULT_SOURCE, default, merged, "sources", f"sources.{DEFAULT_SOURCE}"
    )
    for name, settings in sources.items():
        if name == DEFAULT_SOURCE:
            continue
        if not isinstance(name, str) or not name or name == GOLDEN:
            raise QualityConfigError(f"sources.{name}", "source names must be text, not 'golden'")
        combined = dict(default)
        combined.update(_mapping(settings or {}, f"sources.{name}"))
        scopes[name] = _scope(name, combined, merged, "sources", f"sources.{name}")
    merged["sources"] = {DEFAULT_SOURCE: default, **{k: v for k, v in sources.items()}}
    return RuleSet(scopes=scopes, config=merged)


def _scope(name: str, s: Mapping[str, Any], top: Mapping[str, Any], group: str, path: str):
    _no_unknown(s, _SCOPE_KEYS, path)
    rules: list[Rule] = []
    for i, f in enumerate(_list(s.get("required") or [], f"{path}.required")):
        rules.append(Required(_field(f, f"{path}.required[{i}]")))
    for i, group_fields in enumerate(_list(s.get("required_any") or [], f"{path}.required_any")):
        p = f"{path}.required_any[{i}]"
        names = [_field(f, f"{p}[{j}]") for j, f in enumerate(_list(group_fields, p))]
        if not names:
            raise QualityConfigError(p, "needs at least one field")
        rules.append(RequiredAny(tuple(names)))
    formats = dict(top["formats"])
    formats.update(_mapping(s.get("formats") or {}, f"{path}.formats"))
    for f, fmt in formats.items():
        if fmt is None:
            continue
        key = f"{path}.formats.{f}" if f in (s.get("formats") or {}) else f"formats.{f}"
        if fmt not in FORMATS:
            raise QualityConfigError(
                key, f"unknown format {fmt!r}; known formats: {', '.join(sorted(FORMATS))}"
            )
        rules.append(Format(_field(f, key), fmt))
    allowed = dict(top["allowed"])
    allowed.update(_mapping(s.get("allowed") or {}, f"{path}.allowed"))
    for f, values in allowed.items():
        if values is None:
            continue
        key = f"{path}.allowed.{f}" if f in (s.get("allowed") or {}) else f"allowed.{f}"
        vals = _list(values, key)
        if not vals:
            raise QualityConfigError(key, "needs at least one allowed value")
        rules.append(Allowed(_field(f, key), tuple(str(v) for v in vals)))
    if top["region"]:
        rules.append(Region())
    unique = s.get("unique", top["unique"].get(group) or [])
    for i, f in enumerate(_list(unique or [], f"{path}.unique")):
        rules.append(Unique(_field(f, f"{path}.unique[{i}]")))
    for f, minimum in _mapping(s.get("completeness") or {}, f"{path}.completeness").items():
        if minimum is None:
            continue
        rules.append(
            Completeness(
                _field(f, f"{path}.completeness"), _rate(minimum, f"{path}.completeness.{f}")
            )
        )
    rate = s.get("max_failure_rate")
    rate = None if rate is None else _rate(rate, f"{path}.max_failure_rate")
    return ScopeRules(name, tuple(rules), rate, _bool(s.get("blocking", True), f"{path}.blocking"))


def _no_unknown(m: Mapping[str, Any], known: set[str], path: str) -> None:
    for key in m:
        if key not in known:
            where = f"{path}.{key}" if path else str(key)
            raise QualityConfigError(
                where, f"unknown key; expected one of {', '.join(sorted(known))}"
            )


def _mapping(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise QualityConfigError(path, f"must be a mapping, got {type(value).__name__}")
    return dict(value)


def _list(value: Any, path: str) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise QualityConfigError(path, f"must be a list, got {type(value).__name__}")
    return list(value)


def _field(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise QualityConfigError(path, f"must be a field name, got {value!r}")
    return value.strip()


def _rate(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise QualityConfigError(path, f"must be a number between 0 and 1, got {value!r}")
    return float(value)


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise QualityConfigError(path, f"must be true or false, got {value!r}")
    return value


def describe(rule: Rule) -> str:
    """One line of human text for a rule (used in reasons and GX notes)."""
    if isinstance(rule, Required):
        return f"{rule.field} is required"
    if isinstance(rule, RequiredAny):
        return f"at least one of {', '.join(rule.fields)} is required"
    if isinstance(rule, Format):
        return f"{rule.field} must be {DESCRIPTIONS[rule.format]}"
    if isinstance(rule, Allowed):
        return f"{rule.field} must be one of {', '.join(rule.values)}"
    if isinstance(rule, Unique):
        return f"{rule.field} must be unique"
    if isinstance(rule, Completeness):
        return f"at least {rule.min:.0%} of rows must have {rule.field}"
    return f"{rule.city_field} must lie in {rule.province_field}"
