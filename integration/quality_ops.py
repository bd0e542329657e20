"""Quality glue over the hub store: scorecards, Data Docs, the quarantine and its fixes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

import quality
from connectors.contract import CANONICAL_FIELDS
from integration.pipeline.standardize import standardize_fields
from integration.store import CustomerRow, Decision, GoldenCustomer, QualityRun, session_scope
from integration.store.models import utcnow

__all__ = [
    "QuarantineError",
    "scope_rows",
    "build_docs",
    "build_report",
    "correct_row",
    "current_scorecards",
    "list_quarantine",
    "override_row",
]


class QuarantineError(Exception):
    """An admin action on the quarantine cannot be done; the message says why."""


def scope_rows(engine: Engine, scope: str) -> list[dict[str, Any]]:
    """The rows a scope's suite checks: a source's live rows, or the active golden records."""
    with session_scope(engine) as session:
        if scope == "golden":
            q = select(GoldenCustomer).where(
                GoldenCustomer.status == "active", GoldenCustomer.version > 0
            )
            return [{**g.fields, "golden_id": g.golden_id} for g in session.scalars(q)]
        q2 = select(CustomerRow).where(
            CustomerRow.source == scope, CustomerRow.verdict != "deleted"
        )
        return [
            {**r.fields, "source_key": f"{r.stream}:{r.source_key}"} for r in session.scalars(q2)
        ]


def current_scorecards(
    engine: Engine, rules: quality.RuleSet, scopes: list[str]
) -> dict[str, quality.Scorecard]:
    """Completeness and validity of what the hub holds now, per scope (source or golden)."""
    cards = {}
    for scope in scopes:
        rows = scope_rows(engine, scope)
        cards[scope] = quality.scorecard(
            rows, quality.check_rows(rows, rules, scope), scope, rules=rules
        )
    return cards


def _history(engine: Engine) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        runs = session.scalars(select(QualityRun).order_by(QualityRun.id))
        return [dict(r.scorecard) for r in runs if r.scorecard]


def build_report(engine: Engine, out_dir: Path) -> tuple[str, Path, Path]:
    """Scorecard history as HTML and PNG charts; returns (text summary, html, png)."""
    history = _history(engine)
    out_dir.mkdir(parents=True, exist_ok=True)
    html = quality.render_scorecard_html(history, out_dir / "scorecards.html")
    png = quality.render_scorecard_png(history, out_dir / "scorecards.png")
    latest: dict[str, dict[str, Any]] = {}
    for entry in history:
        latest[str(entry.get("scope"))] = entry
    lines = [f"{'scope':<14}{'rows':>7}{'complete':>10}{'valid':>8}{'pass':>8}  measured at"]
    for scope, e in sorted(latest.items()):
        o = e.get("overall") or {}
        lines.append(
            f"{scope:<14}{e.get('rows', 0):>7}{o.get('completeness', 0):>10.1%}"
            f"{o.get('validity', 0):>8.1%}{o.get('pass_rate', 0):>8.1%}  {e.get('at', '')[:19]}"
        )
    if not latest:
        lines.append("(no quality runs yet: run `chub run` first)")
    return "\n".join(lines), Path(html), Path(png)


def build_docs(engine: Engine, out_dir: Path, *, last: int = 20) -> Path:
    """Great Expectations Data Docs of the kept validation results (the newest ``last``)."""
    with session_scope(engine) as session:
        runs = list(session.scalars(select(QualityRun).order_by(QualityRun.id.desc()).limit(last)))
        results = [r.result for r in reversed(runs) if r.result.get("gx_result")]
    if not results:
        raise QuarantineError("no validation results are kept yet: run `chub run` first")
    return quality.build_data_docs(results, out_dir)


@dataclass(frozen=True)
class QuarantinedRow:
    row_id: int
    source: str
    key: str
    reasons: list[dict[str, Any]]


def list_quarantine(
    engine: Engine, source: str | None = None, limit: int = 50
) -> list[QuarantinedRow]:
    with session_scope(engine) as session:
        q = select(CustomerRow).where(CustomerRow.verdict == "quarantined")
        if source:
            q = q.where(CustomerRow.source == source)
        rows = session.scalars(q.order_by(CustomerRow.id).limit(limit))
        return [
            QuarantinedRow(r.id, r.source, f"{r.stream}:{r.source_key}", list(r.reasons))
            for r in rows
        ]


def _row(session: Any, row_id: int) -> CustomerRow:
    row = session.get(CustomerRow, row_id)
    if row is None:
        raise QuarantineError(f"there is no customer row {row_id}")
    return row


def correct_row(
    engine: Engine,
    rules: quality.RuleSet,
    row_id: int,
    corrections: dict[str, Any],
    *,
    actor: str,
    reason: str | None = None,
) -> str:
    """Apply an admin's corrected values and check the row again; returns the new verdict.

    The corrections are kept with the row and applied again whenever the source record
    changes, so a fix is not lost on the next sync; the source's own values stay as landed.
    """
    unknown = sorted(set(corrections) - set(CANONICAL_FIELDS))
    if unknown:
        raise QuarantineError(f"not a customer field: {', '.join(unknown)}")
    with session_scope(engine) as session:
        row = _row(session, row_id)
        merged = {**(row.corrections or {}), **corrections}
        fields = standardize_fields({**row.fields, **merged})
        verdict = quality.check_row(fields, rules, row.source)
        now = utcnow()
        row.corrections = merged
        row.fields = fields
        row.verdict = "ok" if verdict.ok else "quarantined"
        row.reasons = [r.to_dict() for r in verdict.reasons]
        row.verdict_history = [
            *(row.verdict_history or []),
            {
                "at": now.isoformat(),
                "verdict": row.verdict,
                "reasons": row.reasons,
                "by": actor,
                "action": "correct",
            },
        ]
        row.updated_at = now
        session.add(
            Decision(
                actor=actor,
                action="correct",
                left_id=row_id,
                reason=reason,
                detail={"corrections": sorted(corrections)},
            )
        )
        return row.verdict


def override_row(engine: Engine, row_id: int, *, actor: str, reason: str) -> None:
    """Accept a quarantined row as it is, until its source changes it."""
    if not reason.strip():
        raise QuarantineError("an override needs a reason")
    with session_scope(engine) as session:
        row = _row(session, row_id)
        if row.verdict != "quarantined":
            raise QuarantineError(f"row {row_id} is not quarantined (it is {row.verdict})")
        now = utcnow()
        row.verdict = "overridden"
        row.verdict_history = [
            *(row.verdict_history or []),
            {
                "at": now.isoformat(),
                "verdict": "overridden",
                "reasons": row.reasons,
                "by": actor,
                "action": "override",
            },
        ]
        row.updated_at = now
        session.add(Decision(actor=actor, action="override", left_id=row_id, reason=reason))
