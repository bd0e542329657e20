"""Survivorship: one golden record per cluster, with per-field lineage and 360° facts."""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

import quality
from connectors.contract import CANONICAL_FIELDS
from integration.store import (
    ActivityRow,
    CustomerRow,
    GoldenCustomer,
    GoldenMember,
    SourceRecord,
    session_scope,
)
from integration.store.models import utcnow

__all__ = ["GoldenReport", "build_golden", "lifecycle_stage", "survive", "value_tier"]

#: fields that survive from the members; the rest of a golden record is computed
SURVIVING = tuple(f for f in CANONICAL_FIELDS if f != "source_updated_at")
RULE = "most_recent_non_empty"
DORMANT_AFTER = timedelta(days=180)


@dataclass(frozen=True)
class Member:
    ref: str
    fields: dict[str, Any]
    at: str  # when the source says it last changed (or when we first saw the change)


def survive(members: Iterable[Member]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Most recent non-empty value wins, per field; ties go to the smaller record ref so the
    result does not depend on load order. Lists are unioned (phones, tags)."""
    ordered = sorted(members, key=lambda m: (m.at, _neg(m.ref)), reverse=True)
    fields: dict[str, Any] = {}
    lineage: dict[str, Any] = {}
    for name in SURVIVING:
        if name in ("phones", "tags"):
            union = sorted({v for m in ordered for v in m.fields.get(name) or []})
            if union:
                fields[name] = union
                lineage[name] = {
                    "rule": "union",
                    "from": sorted(m.ref for m in ordered if m.fields.get(name)),
                }
            continue
        for m in ordered:
            value = m.fields.get(name)
            if value not in (None, "", []):
                fields[name] = value
                lineage[name] = {"from": m.ref, "rule": RULE, "at": m.at}
                break
    if fields.get("mobile") and fields.get("phones"):
        fields["phones"] = [p for p in fields["phones"] if p != fields["mobile"]] or None
        if fields["phones"] is None:
            del fields["phones"]
    return fields, lineage


def _neg(ref: str) -> str:
    # reverse=True sorting would prefer the larger ref on ties; invert it
    return "".join(chr(0x10FFFF - ord(c)) for c in ref)


def lifecycle_stage(orders: int, last_order: str | None, now: datetime) -> str:
    if orders == 0:
        return "lead"
    if last_order and _parse(last_order) < now - DORMANT_AFTER:
        return "dormant"
    return "first_purchase" if orders == 1 else "repeat"


def value_tier(revenue: float) -> str:
    if revenue >= 50_000:
        return "A"
    if revenue >= 5_000:
        return "B"
    return "C" if revenue > 0 else "none"


def _parse(value: str) -> datetime:
    text = value.replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = datetime.fromisoformat(text[:10])
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _facts(acts: list[ActivityRow], now: datetime) -> dict[str, Any]:
    orders = sorted((a for a in acts if a.kind == "order"), key=lambda a: a.at)
    revenue = round(sum(a.amount or 0.0 for a in orders), 2)
    last_touch: dict[str, str] = {}
    for a in acts:
        if a.at > last_touch.get(a.channel, ""):
            last_touch[a.channel] = a.at
    last_order = orders[-1].at if orders else None
    return {
        "orders": len(orders),
        "revenue": revenue,
        "first_order_at": orders[0].at if orders else None,
        "last_order_at": last_order,
        "last_touch": dict(sorted(last_touch.items())),
        "lifecycle_stage": lifecycle_stage(len(orders), last_order, now),
        "value_tier": value_tier(revenue),
    }


def content_hash(fields: dict[str, Any], facts: dict[str, Any]) -> str:
    body = json.dumps({"f": fields, "x": facts}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class GoldenReport:
    golden: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    failing_quality: int = 0
    seconds: float = 0.0

    def as_metadata(self) -> dict[str, Any]:
        return dict(self.__dict__)


def build_golden(
    engine: Engine, rules: quality.RuleSet, *, now: datetime | None = None
) -> GoldenReport:
    """Recompute every golden record from its members; bump the version only on change."""
    report = GoldenReport()
    started = time.monotonic()
    # facts are computed as of the newest activity, not the wall clock, so that re-running
    # on unchanged data gives the same golden record (and pushes nothing)
    with session_scope(engine) as session:
        members: dict[str, list[Member]] = defaultdict(list)
        row_keys: dict[tuple[str, str, str], str] = {}
        q = (
            select(GoldenMember, CustomerRow, SourceRecord.changed_at)
            .join(CustomerRow, CustomerRow.id == GoldenMember.row_id)
            .join(SourceRecord, SourceRecord.id == GoldenMember.row_id)
        )
        for gm, row, changed_at in session.execute(q):
            at = row.fields.get("source_updated_at") or changed_at.isoformat()
            members[gm.golden_id].append(
                Member(f"{gm.source}:{gm.stream}:{gm.source_key}", row.fields, str(at))
            )
            row_keys[(gm.source, gm.stream, gm.source_key)] = gm.golden_id
        acts_by_golden: dict[str, list[ActivityRow]] = defaultdict(list)
        all_acts = list(session.scalars(select(ActivityRow)))
        contact_index = _contact_index(members)
        for a in all_acts:
            gid = None
            if a.customer_key is not None:
                gid = row_keys.get((a.source, a.customer_stream or "", a.customer_key))
            if gid is None and a.phone:
                gid = contact_index.get(a.phone)
            if gid is None and a.email:
                gid = contact_index.get(a.email)
            if gid is not None:
                acts_by_golden[gid].append(a)
        as_of = now or max(
            (_parse(a.at) for a in all_acts), default=datetime(2000, 1, 1, tzinfo=UTC)
        )
        goldens = {g.golden_id: g for g in session.scalars(select(GoldenCustomer))}
        stamp = utcnow()
        for gid, golden in goldens.items():
            group = members.get(gid)
            if not group:
                if golden.status != "retired":
                    golden.status = "retired"
                    golden.version += 1
                    golden.updated_at = stamp
                    report.retired += 1
                continue
            fields, lineage = survive(group)
            facts = _facts(acts_by_golden.get(gid, []), as_of)
            digest = content_hash(fields, facts)
            verdict = quality.check_row({**fields, "golden_id": gid}, rules, "golden")
            golden.verdict = "ok" if verdict.ok else "quarantined"
            golden.reasons = [r.to_dict() for r in verdict.reasons]
            report.failing_quality += not verdict.ok
            report.golden += 1
            if golden.content_hash == digest and golden.status == "active":
                report.unchanged += 1
                continue
            report.created += golden.version == 0
            report.updated += golden.version > 0
            golden.fields, golden.lineage, golden.facts = fields, lineage, facts
            golden.lineage["members"] = sorted(m.ref for m in group)
            golden.content_hash, golden.status = digest, "active"
            golden.version += 1
            golden.updated_at = stamp
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _contact_index(members: dict[str, list[Member]]) -> dict[str, str]:
    """Normalized mobile/phone/e-mail -> golden id, for activities known only by contact."""
    index: dict[str, str] = {}
    for gid, group in sorted(members.items()):
        for m in group:
            for value in [
                m.fields.get("mobile"),
                m.fields.get("email"),
                *(m.fields.get("phones") or []),
            ]:
                if value:
                    index.setdefault(value, gid)
    return index
