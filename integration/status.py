"""What the hub holds now, for `chub status` and the demo's summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from integration.hub import Hub
from integration.store import (
    CustomerRow,
    GoldenCustomer,
    GoldenMember,
    MatchPair,
    Outbound,
    SourceRecord,
    SyncState,
    session_scope,
)

__all__ = ["HubSummary", "status_report", "summarize"]


@dataclass
class HubSummary:
    landed: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)
    cursors: dict[str, str | None] = field(default_factory=dict)
    rows_ok: int = 0
    rows_quarantined: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    clusters: int = 0
    multi_member_clusters: int = 0
    auto_merged_pairs: int = 0
    review_pairs: int = 0
    golden: int = 0
    golden_failing_quality: int = 0
    outbound: dict[str, dict[str, int]] = field(default_factory=dict)


def summarize(engine: Engine) -> HubSummary:
    s = HubSummary()
    with session_scope(engine) as session:
        for source, n in session.execute(
            select(SourceRecord.source, func.count()).group_by(SourceRecord.source)
        ):
            s.landed[source] = n
        for source, n in session.execute(
            select(SourceRecord.source, func.count())
            .where(SourceRecord.problem.is_not(None))
            .group_by(SourceRecord.source)
        ):
            s.flagged[source] = n
        for state in session.scalars(select(SyncState)):
            cursor = state.cursor
            s.cursors[f"{state.source}/{state.stream}"] = (
                None if cursor is None else (cursor if len(cursor) <= 60 else cursor[:57] + "...")
            )
        reasons: Counter[str] = Counter()
        for verdict, found in session.execute(select(CustomerRow.verdict, CustomerRow.reasons)):
            if verdict == "quarantined":
                s.rows_quarantined += 1
                for r in found or []:
                    reasons[_reason_label(r)] += 1
            elif verdict in ("ok", "overridden"):
                s.rows_ok += 1
        s.top_reasons = reasons.most_common(5)
        sizes = Counter(session.scalars(select(GoldenMember.golden_id)))
        s.clusters = len(sizes)
        s.multi_member_clusters = sum(1 for n in sizes.values() if n > 1)
        for status, n in session.execute(
            select(MatchPair.status, func.count()).group_by(MatchPair.status)
        ):
            if status == "auto":
                s.auto_merged_pairs = n
            elif status == "pending":
                s.review_pairs = n
        for verdict, n in session.execute(
            select(GoldenCustomer.verdict, func.count())
            .where(GoldenCustomer.status == "active", GoldenCustomer.version > 0)
            .group_by(GoldenCustomer.verdict)
        ):
            s.golden += n
            if verdict != "ok":
                s.golden_failing_quality += n
        for sink, status, n in session.execute(
            select(Outbound.sink, Outbound.status, func.count()).group_by(
                Outbound.sink, Outbound.status
            )
        ):
            s.outbound.setdefault(sink, {})[status] = n
    return s


def _reason_label(reason: Any) -> str:
    if isinstance(reason, dict):
        return f"{reason.get('field', '?')}: {reason.get('message') or reason.get('rule')}"
    return str(reason)


def status_report(hub: Hub) -> str:
    s = summarize(hub.engine)
    lines = [
        f"hub: {hub.settings.database_url.split('@')[-1]}",
        f"schema current: {'yes' if hub.schema_is_current() else 'no (run chub db upgrade)'}",
        "",
        "sources:",
    ]
    for name in sorted(hub.settings.sources):
        lines.append(
            f"  {name:<12} {s.landed.get(name, 0):>7} records, {s.flagged.get(name, 0)} flagged"
        )
        for key, cursor in sorted(s.cursors.items()):
            if key.startswith(name + "/"):
                lines.append(f"    {key:<24} cursor {cursor!r}")
    lines += [
        "",
        f"customer rows: {s.rows_ok} ok, {s.rows_quarantined} quarantined",
        *[f"  {n:>5} x {label}" for label, n in s.top_reasons],
        f"clusters: {s.clusters} ({s.multi_member_clusters} with several records)",
        f"pairs: {s.auto_merged_pairs} auto-merged, {s.review_pairs} waiting for review",
        f"golden customers: {s.golden} ({s.golden_failing_quality} failing quality, held back)",
        "",
        "sinks:",
    ]
    for name in sorted(hub.settings.sinks):
        counts = s.outbound.get(name, {})
        lines.append(
            f"  {name:<12} "
            + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing pushed yet")
        )
    return "\n".join(lines)
