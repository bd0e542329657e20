"""One golden record as a steward reads it: fields, lineage, members, facts, status and
(with ``history``) every earlier version. ``chub golden show`` prints it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.errors import ChubError
from integration.events import follow
from integration.store import GoldenCustomer, GoldenHistory, GoldenMember

__all__ = ["UnknownGolden", "golden_view", "render_text"]


class UnknownGolden(ChubError):
    """No golden record has that id."""


def golden_view(session: Session, golden_id: str, *, history: bool = False) -> dict[str, Any]:
    golden = session.get(GoldenCustomer, golden_id)
    if golden is None:
        raise UnknownGolden(f"no golden record {golden_id!r} (chub status lists the hub's records)")
    members = [
        f"{m.source}:{m.stream}:{m.source_key}"
        for m in session.scalars(
            select(GoldenMember)
            .where(GoldenMember.golden_id == golden_id)
            .order_by(GoldenMember.source, GoldenMember.stream, GoldenMember.source_key)
        )
    ]
    lineage = {k: v for k, v in (golden.lineage or {}).items() if k not in ("_build", "members")}
    status: dict[str, Any] = {"status": "active" if golden.status != "retired" else "retired"}
    if golden.merged_into:
        status = {"status": "merged", "merged_into": follow(session, golden_id)}
    view: dict[str, Any] = {
        "golden_id": golden.golden_id,
        **status,
        "version": golden.version,
        "verdict": golden.verdict,
        "reasons": golden.reasons or [],
        "updated_at": golden.updated_at.isoformat() if golden.updated_at else None,
        "fields": golden.fields,
        "lineage": lineage,
        "members": members,
        "facts": golden.facts,
    }
    if history:
        view["history"] = [
            {
                "version": h.version,
                "status": h.status,
                "valid_from": h.valid_from.isoformat(),
                "valid_to": h.valid_to.isoformat(),
                "run_id": h.run_id,
                "fields": h.fields,
                "facts": h.facts,
            }
            for h in session.scalars(
                select(GoldenHistory)
                .where(GoldenHistory.golden_id == golden_id)
                .order_by(GoldenHistory.version.desc())
            )
        ]
    return view


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def render_text(view: dict[str, Any]) -> str:
    head = f"golden {view['golden_id']}  version {view['version']}  {view['status']}"
    if view.get("merged_into"):
        head += f" into {view['merged_into']}"
    lines = [head, f"quality: {view['verdict']}", "", "fields (value  <- record, rule, as of):"]
    for name, value in view["fields"].items():
        where = view["lineage"].get(name) or {}
        if "from" in where:
            origin = f"<- {where['from']}, {where['rule']}, {where.get('at', '')}"
            if where.get("valid") is False:
                origin += ", fails its format check"
        else:
            origin = f"<- {where.get('rule', '')}"
        lines.append(f"  {name:<24} {_value(value)}  {origin}")
    lines += ["", "members:"] + [f"  {m}" for m in view["members"]]
    lines += ["", "facts:"] + [f"  {k:<24} {_value(v)}" for k, v in view["facts"].items()]
    for old in view.get("history") or []:
        lines += ["", f"version {old['version']} ({old['valid_from']} .. {old['valid_to']}):"]
        for name, value in old["fields"].items():
            mark = "" if view["fields"].get(name) == value else "   (since changed)"
            lines.append(f"  {name:<24} {_value(value)}{mark}")
    return "\n".join(lines)
