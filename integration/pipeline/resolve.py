"""Resolving: customer rows -> clusters (golden ids), obeying admins' decisions."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, select

import dedupe
from integration.store import (
    CustomerRow,
    Decision,
    GoldenCustomer,
    GoldenMember,
    MatchPair,
    session_scope,
)
from integration.store.models import utcnow

__all__ = ["ResolveReport", "RESOLVABLE", "resolve_customers", "row_ref"]

#: row verdicts that take part in matching
RESOLVABLE = ("ok", "overridden")

_SPEC_FIELDS = (
    "name",
    "company_name",
    "mobile",
    "phones",
    "email",
    "uscc",
    "wecom_external_userid",
    "wechat_unionid",
    "province",
    "city",
    "district",
    "address",
)


def row_ref(row: CustomerRow | GoldenMember) -> str:
    """The engine's record id: readable and stable across hub rebuilds."""
    return f"{row.source}:{row.stream}:{row.source_key}"


@dataclass
class ResolveReport:
    rows: int = 0
    clusters: int = 0
    multi_member_clusters: int = 0
    auto_merged_pairs: int = 0
    review_pairs: int = 0
    changes: list[str] = field(default_factory=list)
    excluded_sources: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_metadata(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "clusters": self.clusters,
            "multi_member_clusters": self.multi_member_clusters,
            "auto_merged_pairs": self.auto_merged_pairs,
            "review_pairs": self.review_pairs,
            "cluster_changes": len(self.changes),
            "excluded_sources": self.excluded_sources,
            "seconds": self.seconds,
        }


def _pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _constraints(
    session: Any, refs: dict[int, str]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Replay the decision log in order: the newest word on a pair wins."""
    latest: dict[tuple[str, str], str] = {}
    for d in session.scalars(select(Decision).order_by(Decision.id)):
        if d.action not in ("merge", "apart", "split") or d.left_id is None or d.right_id is None:
            continue
        left, right = refs.get(d.left_id), refs.get(d.right_id)
        if left and right:
            latest[_pair_key(left, right)] = d.action
    must = [pair for pair, action in latest.items() if action == "merge"]
    cannot = [pair for pair, action in latest.items() if action in ("apart", "split")]
    return must, cannot


def resolve_customers(
    engine: Engine,
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    *,
    exclude_sources: Collection[str] = (),
) -> ResolveReport:
    """Cluster every resolvable row; write the crosswalk and the pairs worth remembering.

    Rows of ``exclude_sources`` (held back by a quality gate) keep their last cluster and do
    not take part in this run.
    """
    report = ResolveReport(excluded_sources=sorted(exclude_sources))
    started = time.monotonic()
    with session_scope(engine) as session:
        rows = [
            r
            for r in session.scalars(select(CustomerRow).where(CustomerRow.verdict.in_(RESOLVABLE)))
            if r.source not in exclude_sources
        ]
        refs = {r.id: row_ref(r) for r in rows}
        by_ref = {ref: rid for rid, ref in refs.items()}
        records = [{"id": refs[r.id], **{k: r.fields.get(k) for k in _SPEC_FIELDS}} for r in rows]
        members = list(session.scalars(select(GoldenMember)))
        previous = {row_ref(m): m.golden_id for m in members}
        must, cannot = _constraints(session, refs)
    result = dedupe.resolve(
        records, spec, settings=settings, must_link=must, cannot_link=cannot, previous=previous
    )
    report.rows = len(records)
    sizes = Counter(result.clusters.values())
    report.clusters = len(sizes)
    report.multi_member_clusters = sum(1 for n in sizes.values() if n > 1)
    report.changes = [str(c) for c in result.changes]
    decided = {pair: "merged" for pair in must} | {pair: "kept_apart" for pair in cannot}
    now = utcnow()
    with session_scope(engine) as session:
        kept_rows = set(refs)
        for m in session.scalars(select(GoldenMember)):
            ref = row_ref(m)
            if m.source in exclude_sources:
                continue
            if ref not in kept_rows:
                session.delete(m)  # quarantined, deleted upstream or gone
        session.flush()
        current = {m.row_id: m for m in session.scalars(select(GoldenMember))}
        _ensure_golden_shells(session, set(result.clusters.values()))
        for ref, cluster in result.clusters.items():
            rid = by_ref[ref]
            member = current.get(rid)
            if member is None:
                source, stream, key = ref.split(":", 2)
                session.add(
                    GoldenMember(
                        row_id=rid, golden_id=cluster, source=source, stream=stream, source_key=key
                    )
                )
            elif member.golden_id != cluster:
                member.golden_id = cluster
        session.execute(delete(MatchPair).where(MatchPair.status.in_(("auto", "pending"))))
        decided_rows = {(p.left_id, p.right_id): p for p in session.scalars(select(MatchPair))}
        for pair in result.pairs:
            if pair.decision == "apart":
                continue
            status = decided.get(_pair_key(pair.id_l, pair.id_r)) or (
                "auto" if pair.decision == "merge" else "pending"
            )
            report.auto_merged_pairs += status == "auto"
            report.review_pairs += status == "pending"
            left, right = sorted((by_ref[pair.id_l], by_ref[pair.id_r]))
            existing = decided_rows.get((left, right))
            if existing is None:
                session.add(
                    MatchPair(
                        left_id=left,
                        right_id=right,
                        score=pair.probability,
                        explanation=pair.explanation,
                        status=status,
                        updated_at=now,
                    )
                )
            else:
                existing.score, existing.explanation = pair.probability, pair.explanation
                existing.updated_at = now
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _ensure_golden_shells(session: Any, cluster_ids: set[str]) -> None:
    """Golden rows must exist before members point at them; the golden stage fills them."""
    have = set(session.scalars(select(GoldenCustomer.golden_id)))
    for cid in sorted(cluster_ids - have):
        session.add(
            GoldenCustomer(
                golden_id=cid,
                fields={},
                lineage={},
                facts={},
                content_hash="",
                version=0,
                status="active",
            )
        )
    session.flush()
