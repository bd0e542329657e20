"""Publishing: push golden records whose content changed since the last push.

The ``outbound`` table remembers, per sink and golden id, the hash last accepted and the
id the target gave it. A record the target refused is retried on later runs while the
error is retryable and attempts remain; otherwise it is a dead letter until replayed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, select, update

from connectors.contract import OutboundRecord, PushResult, Sink
from integration.store import GoldenCustomer, GoldenMember, Outbound, session_scope
from integration.store.models import utcnow

__all__ = ["PublishReport", "publish", "replay_dead_letters"]


@dataclass
class PublishReport:
    sink: str
    candidates: int = 0
    pushed: int = 0
    created: int = 0
    failed: int = 0
    dead: int = 0
    held_back_by_quality: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_metadata(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "sink"}


def _outbound_fields(golden: GoldenCustomer) -> dict[str, Any]:
    facts = golden.facts or {}
    return {
        **golden.fields,
        "golden_id": golden.golden_id,
        "version": golden.version,
        "orders_count": facts.get("orders", 0),
        "revenue": facts.get("revenue", 0.0),
        "first_order_at": facts.get("first_order_at"),
        "last_order_at": facts.get("last_order_at"),
        "lifecycle_stage": facts.get("lifecycle_stage"),
        "value_tier": facts.get("value_tier"),
    }


def publish(
    engine: Engine,
    sink_name: str,
    sink: Sink,
    *,
    require_quality: bool = True,
    max_attempts: int = 5,
    source_name: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> PublishReport:
    """Push changed golden records to one sink.

    ``source_name``: when the sink is also a source (write-back to the ERP or WeCom), only
    golden records with a member from that source are pushed, with those members' keys.
    """
    report = PublishReport(sink=sink_name)
    started = time.monotonic()
    with session_scope(engine) as session:
        goldens = list(
            session.scalars(
                select(GoldenCustomer).where(
                    GoldenCustomer.status == "active", GoldenCustomer.version > 0
                )
            )
        )
        sent = {
            o.golden_id: o
            for o in session.scalars(select(Outbound).where(Outbound.sink == sink_name))
        }
        keys: dict[str, list[str]] = {}
        if source_name is not None:
            for m in session.scalars(
                select(GoldenMember).where(GoldenMember.source == source_name)
            ):
                keys.setdefault(m.golden_id, []).append(m.source_key)
    todo: list[OutboundRecord] = []
    hashes: dict[str, str] = {}
    for g in sorted(goldens, key=lambda g: g.golden_id):
        out = sent.get(g.golden_id)
        if out is not None and out.last_hash == g.content_hash and out.status == "ok":
            continue
        if out is not None and out.status == "dead" and out.last_hash == g.content_hash:
            continue  # a dead letter waits for a replay or a new version
        if out is not None and out.status == "failed" and out.attempts >= max_attempts:
            continue
        if source_name is not None and g.golden_id not in keys:
            continue
        if require_quality and g.verdict != "ok":
            report.held_back_by_quality += 1
            continue
        todo.append(
            OutboundRecord(
                g.golden_id,
                _outbound_fields(g),
                target_id=out.target_id if out else None,
                source_keys=tuple(sorted(keys.get(g.golden_id, ()))),
            )
        )
        hashes[g.golden_id] = g.content_hash
    report.candidates = len(todo)
    size = max(1, sink.batch_size)
    for i in range(0, len(todo), size):
        batch = todo[i : i + size]
        results = sink.push(batch)
        _record(engine, sink_name, batch, results, hashes, max_attempts, report)
        if progress:
            progress(f"{sink_name}: pushed {report.pushed}/{report.candidates}")
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _record(
    engine: Engine,
    sink_name: str,
    batch: list[OutboundRecord],
    results: list[PushResult],
    hashes: dict[str, str],
    max_attempts: int,
    report: PublishReport,
) -> None:
    by_id = {r.golden_id: r for r in results}
    now = utcnow()
    with session_scope(engine) as session:
        for record in batch:
            result = by_id.get(record.golden_id) or PushResult(
                record.golden_id, ok=False, error="the sink returned no result", retryable=True
            )
            out = session.get(Outbound, (sink_name, record.golden_id))
            if out is None:
                out = Outbound(sink=sink_name, golden_id=record.golden_id, attempts=0)
                session.add(out)
            if result.ok:
                out.last_hash, out.status, out.last_error = hashes[record.golden_id], "ok", None
                out.attempts = 0
                out.target_id = result.target_id or out.target_id
                out.pushed_at = now
                report.pushed += 1
                report.created += result.created
                continue
            out.attempts = (out.attempts or 0) + 1
            out.last_error = result.error
            dead = not result.retryable or out.attempts >= max_attempts
            out.status = "dead" if dead else "failed"
            if dead:
                # remember which version died, so an unchanged record is not retried forever
                out.last_hash = hashes[record.golden_id]
            report.failed += 1
            report.dead += dead
            key = (result.error or "unknown error")[:80]
            report.errors[key] = report.errors.get(key, 0) + 1


def replay_dead_letters(engine: Engine, sink_name: str) -> int:
    """Make dead letters of one sink eligible again; returns how many."""
    with session_scope(engine) as session:
        result = session.execute(
            update(Outbound)
            .where(Outbound.sink == sink_name, Outbound.status == "dead")
            .values(status="failed", attempts=0, last_hash=None)
        )
        return int(cast(CursorResult[Any], result).rowcount or 0)
