"""Survivorship: which member's value becomes the golden value, field by field.

The rules (``golden.survivorship`` in chub.yaml, defaults in ``integration/sections/golden.py``):

- ``source_trust``: the first source of the field's ``trust`` list (a source name or a
  connector type) that has a value wins; untrusted sources come after, most recent first.
- ``most_recent``: the value of the member changed most recently.
- ``most_complete``: the longest value (a full street address over "海淀区").
- ``most_frequent``: the value most members agree on.

Whatever the rule, **a valid value beats an invalid one**: a field with a format check
(统一社会信用代码 with its GB 32100 check character, a well-formed mobile, an e-mail) only
considers the members whose value passes, unless none does. Ties always go to the most
recent member, then to the smaller record reference, so the result never depends on the
order members were loaded in.

Multi-valued fields are kept whole with the records each value came from: every mobile,
e-mail, WeCom external id, follow staff member, tag, phone, and the crosswalk of source
ids per source.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from integration.golden.facts import parse_time
from integration.sections.golden import FieldRule, SurvivorshipSettings
from quality.formats import is_cn_mobile, is_email, is_uscc

__all__ = [
    "LIST_FIELDS",
    "SINGLE_FIELDS",
    "Member",
    "Survived",
    "survive",
    "valid_value",
]

#: single-valued fields that survive by a rule (the order they appear in a record)
SINGLE_FIELDS: tuple[str, ...] = tuple(SurvivorshipSettings.model_fields)
#: multi-valued fields kept whole, with their sources
LIST_FIELDS: tuple[str, ...] = (
    "mobiles",
    "emails",
    "phones",
    "wecom_external_userids",
    "follow_staff",
    "tags",
    "source_ids",
)

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def _valid_mobile(value: Any) -> bool:
    text = str(value)
    if text.startswith("+86") or not text.startswith("+"):
        return is_cn_mobile(text)
    return bool(_E164.fullmatch(text))  # outside mainland China: any E.164 number


#: fields with a format check: "valid beats invalid" applies to them
VALIDATORS: dict[str, Callable[[Any], bool]] = {
    "uscc": is_uscc,
    "mobile": _valid_mobile,
    "email": is_email,
}


def valid_value(name: str, value: Any) -> bool | None:
    """True / False for a field with a format check, None for a field without one."""
    check = VALIDATORS.get(name)
    return None if check is None else bool(check(value))


@dataclass(frozen=True)
class Member:
    """One member record of a golden customer, as survivorship sees it."""

    ref: str  # source:stream:source_key
    source: str  # the source's name in chub.yaml
    source_type: str  # its connector type (kingdee, wecom, ...); "" when unknown
    stream: str
    key: str
    fields: dict[str, Any]
    at: str  # when the source says it last changed (or when the hub saw the change)
    #: WeCom follow relations of this record: {"userid", "since" (ISO), "external_userid"}
    follows: tuple[dict[str, Any], ...] = ()


@dataclass
class Survived:
    fields: dict[str, Any] = field(default_factory=dict)
    #: field -> {"from", "source", "rule", "at", "valid"} (single) or {"rule", "values"} (lists)
    lineage: dict[str, Any] = field(default_factory=dict)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _recency_key(m: Member) -> tuple[float, str]:
    # most recent first; on equal times the smaller ref wins (sorted ascending below).
    # Times are compared as instants: sources write their own zones and formats
    # (2026-05-01 10:00:00 and 2026-05-01T09:00:00+08:00), which text order gets wrong.
    # A time that is no time at all counts as the oldest.
    return (-_instant(m.at), m.ref)


def _instant(text: str) -> float:
    try:
        return parse_time(text).timestamp()
    except (ValueError, TypeError):
        return float("-inf")


def _completeness(value: Any) -> int:
    return len(str(value).strip())


def _trust_rank(m: Member, trust: Sequence[str]) -> int:
    for rank, name in enumerate(trust):
        if name in (m.source, m.source_type):
            return rank
    return len(trust)


def _choose(name: str, rule: FieldRule, members: Sequence[Member]) -> tuple[Member, bool] | None:
    """The winning member for one field and whether its value passed the format check."""
    candidates = [m for m in members if not _empty(m.fields.get(name))]
    if not candidates:
        return None
    valid = [m for m in candidates if valid_value(name, m.fields[name]) is not False]
    pool = valid or candidates
    if rule.rule == "most_recent":
        best = min(pool, key=_recency_key)
    elif rule.rule == "source_trust":
        best = min(pool, key=lambda m: (_trust_rank(m, rule.trust), *_recency_key(m)))
    elif rule.rule == "most_complete":
        best = min(pool, key=lambda m: (-_completeness(m.fields[name]), *_recency_key(m)))
    else:  # most_frequent
        counts = Counter(_hashable(m.fields[name]) for m in pool)
        best = min(pool, key=lambda m: (-counts[_hashable(m.fields[name])], *_recency_key(m)))
    return best, bool(valid)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _collect(
    pairs: Iterable[tuple[Any, Member]], first: Any = None
) -> tuple[list[Any], dict[str, list[str]]]:
    """Distinct values in order (``first`` leading, then most recent member first) and the
    refs of the records each came from."""
    sources: dict[Any, set[str]] = {}
    order: dict[Any, tuple[float, str]] = {}
    for value, m in pairs:
        if _empty(value):
            continue
        sources.setdefault(value, set()).add(m.ref)
        key = _recency_key(m)
        if value not in order or key < order[value]:
            order[value] = key
    values = sorted(sources, key=lambda v: (v != first, order[v], str(v)))
    return values, {str(v): sorted(sources[v]) for v in values}


def survive(members: Sequence[Member], rules: SurvivorshipSettings | None = None) -> Survived:
    """Apply the rules to one golden customer's members."""
    rules = rules or SurvivorshipSettings()
    out = Survived()
    for name in SINGLE_FIELDS:
        rule: FieldRule = getattr(rules, name)
        chosen = _choose(name, rule, members)
        if chosen is None:
            continue
        m, valid = chosen
        out.fields[name] = m.fields[name]
        entry: dict[str, Any] = {"from": m.ref, "source": m.source, "rule": rule.rule, "at": m.at}
        if name in VALIDATORS:
            entry["valid"] = valid
        out.lineage[name] = entry
    _lists(members, out)
    return out


def _lists(members: Sequence[Member], out: Survived) -> None:
    mobile = out.fields.get("mobile")
    mobile_pairs: list[tuple[Any, Member]] = []
    phone_pairs: list[tuple[Any, Member]] = []
    for m in members:
        mobile_pairs.append((m.fields.get("mobile"), m))
        for phone in m.fields.get("phones") or []:
            (mobile_pairs if _valid_mobile(phone) else phone_pairs).append((phone, m))
    lists: dict[str, tuple[list[Any], dict[str, list[str]]]] = {
        "mobiles": _collect(mobile_pairs, first=mobile),
        "emails": _collect(((m.fields.get("email"), m) for m in members), out.fields.get("email")),
        "phones": _collect(phone_pairs),
        "wecom_external_userids": _collect(
            ((m.fields.get("wecom_external_userid"), m) for m in members),
            out.fields.get("wecom_external_userid"),
        ),
        "follow_staff": _collect(
            [
                *((f.get("userid"), m) for m in members for f in m.follows),
                *((m.fields.get("owner"), m) for m in members),
            ],
            out.fields.get("owner"),
        ),
        "tags": _collect((t, m) for m in members for t in m.fields.get("tags") or []),
    }
    for name, (values, sources) in lists.items():
        if name == "tags":
            values = sorted(values)
        if values:
            out.fields[name] = values
            out.lineage[name] = {"rule": "all", "values": sources}
    crosswalk: dict[str, list[str]] = {}
    for m in members:
        crosswalk.setdefault(m.source, []).append(f"{m.stream}:{m.key}")
    out.fields["source_ids"] = {s: sorted(keys) for s, keys in sorted(crosswalk.items())}
    out.lineage["source_ids"] = {"rule": "all", "values": sorted(m.ref for m in members)}
