"""Publishing: push to a sink exactly the golden records whose pushed content changed.

The ``outbound`` table remembers, per sink and golden id, a hash of what the sink last
accepted (its *wire* content: the fields it maps, and the keys of its own member records
for a write-back) and the id the target gave the record. So a golden record whose
change touches no field this sink receives pushes nothing, and a new member record from
the sink's own system is written back even when no field changed.

Three kinds of records go out:

- an **active** golden record: every surviving field, a cleared one as None (so the
  sink clears it too), the flattened 360° facts, the crosswalk, the golden ids merged
  into it (so a merge pushes the survivor too);
- a **merged** golden id (retired, ``merged_into`` followed to the end of the chain) that
  this sink was sent before: ``{"status": "merged", "merged_into": <survivor>}``; each
  sink marks or deletes its record as it is configured to;
- a **retired** golden id without a survivor (all its members left or were deleted):
  ``{"status": "retired"}``.

A refusal is retried on later runs while it is retryable and attempts remain; otherwise
it is a dead letter (``chub deadletters SINK``) until replayed (``chub replay SINK``).
Publishing holds the hub lock ``resolve``, so no resolve or golden build rewrites the
identities it is pushing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Engine, insert, select, update

from connectors.contract import OutboundRecord, PushResult, Sink
from integration.events import follow
from integration.golden.survivorship import LIST_FIELDS, SINGLE_FIELDS
from integration.locks import hub_lock
from integration.store import GoldenCustomer, GoldenMember, Outbound, session_scope
from integration.store.models import utcnow

__all__ = [
    "PublishReport",
    "dead_letters",
    "outbound_fields",
    "publish",
    "replay_dead_letters",
    "wire_hash",
]

#: facts flattened into the pushed record, under these names
FACT_FIELDS = {
    "orders_count": "orders",
    "revenue": "revenue",
    "revenue_currency": "revenue_currency",
    "first_order_at": "first_order_at",
    "last_order_at": "last_order_at",
    "last_touch_at": "last_touch_at",
    "lifecycle_stage": "lifecycle_stage",
    "value_tier": "value_tier",
    "churn_risk": "churn_risk",
    "churn_reason": "churn_reason",
}


@dataclass
class PublishReport:
    sink: str
    candidates: int = 0
    pushed: int = 0
    created: int = 0
    merged: int = 0
    failed: int = 0
    dead: int = 0
    unchanged: int = 0
    held_back_by_quality: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_metadata(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "sink"}


class GoldenContent(Protocol):
    @property
    def golden_id(self) -> str: ...
    @property
    def fields(self) -> dict[str, Any]: ...
    @property
    def facts(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class _Golden:
    golden_id: str
    fields: dict[str, Any]
    facts: dict[str, Any]
    status: str
    verdict: str


@dataclass(frozen=True)
class _Sent:
    last_hash: str | None
    target_id: str | None
    status: str
    attempts: int


def outbound_fields(golden: GoldenContent, absorbed: Sequence[str] = ()) -> dict[str, Any]:
    """What every sink is offered for an active golden record (each maps what it takes).

    ``absorbed``: the golden ids merged into this one, so a sink that shows them (the
    CRM's Chub_Merged_Ids__c) receives the survivor again on a merge."""
    facts = golden.facts or {}
    fields: dict[str, Any] = {name: golden.fields.get(name) for name in SINGLE_FIELDS}
    fields.update({name: golden.fields.get(name) for name in LIST_FIELDS})
    fields.update({out: facts.get(name) for out, name in FACT_FIELDS.items()})
    fields["golden_id"] = golden.golden_id
    fields["status"] = "active"
    fields["merged_into"] = None
    fields["absorbed_ids"] = sorted(absorbed) or None
    fields["facts"] = facts
    return fields


def _retired_fields(golden_id: str, survivor: str | None) -> dict[str, Any]:
    if survivor and survivor != golden_id:
        return {"golden_id": golden_id, "status": "merged", "merged_into": survivor}
    return {"golden_id": golden_id, "status": "retired", "merged_into": None}


def wire_hash(sink: Sink, record: OutboundRecord) -> str:
    """A hash of exactly what ``sink`` would receive for ``record``.

    A sink may say what it sends with ``wire(record)``; otherwise every offered field
    counts. The record's own-source keys always count (a write-back target)."""
    wire = getattr(sink, "wire", None)
    body = wire(record) if callable(wire) else record.fields
    text = json.dumps(
        {"w": body, "k": sorted(record.source_keys), "s": record.fields.get("status")},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _candidates(
    engine: Engine,
    sink_name: str,
    sink: Sink,
    *,
    require_quality: bool,
    max_attempts: int,
    source_name: str | None,
    only: Collection[str] | None,
    report: PublishReport,
) -> tuple[list[OutboundRecord], dict[str, str]]:
    # plain rows, not ORM objects: a publish reads every golden record of the hub
    with session_scope(engine) as session:
        g = GoldenCustomer
        q = select(g.golden_id, g.fields, g.facts, g.status, g.verdict).where(g.version > 0)
        if only is not None:
            q = q.where(g.golden_id.in_(sorted(only)))
        goldens = [_Golden(*row) for row in session.execute(q.order_by(g.golden_id)).tuples()]
        o = Outbound
        sent = {
            row[0]: _Sent(*row[1:])
            for row in session.execute(
                select(o.golden_id, o.last_hash, o.target_id, o.status, o.attempts).where(
                    o.sink == sink_name
                )
            ).tuples()
        }
        keys: dict[str, list[str]] = {}
        if source_name is not None:
            for gid, key in session.execute(
                select(GoldenMember.golden_id, GoldenMember.source_key).where(
                    GoldenMember.source == source_name
                )
            ).tuples():
                keys.setdefault(gid, []).append(key)
        absorbed: dict[str, list[str]] = {}
        for gid, into in session.execute(
            select(GoldenCustomer.golden_id, GoldenCustomer.merged_into).where(
                GoldenCustomer.merged_into.is_not(None)
            )
        ).tuples():
            absorbed.setdefault(str(into), []).append(gid)
        survivors = {
            one.golden_id: follow(session, one.golden_id)
            for one in goldens
            if one.status == "retired" and one.golden_id in sent
        }
    todo: list[OutboundRecord] = []
    hashes: dict[str, str] = {}
    for one in goldens:
        out = sent.get(one.golden_id)
        if one.status == "retired":
            if out is None or out.last_hash is None and out.target_id is None:
                continue  # never reached this sink: nothing to mark there
            fields = _retired_fields(one.golden_id, survivors.get(one.golden_id))
            own_keys: tuple[str, ...] = ()
        else:
            if source_name is not None and one.golden_id not in keys:
                continue
            if require_quality and one.verdict != "ok":
                report.held_back_by_quality += 1
                continue
            fields = outbound_fields(one, absorbed.get(one.golden_id, ()))
            own_keys = tuple(sorted(keys.get(one.golden_id, ())))
        record = OutboundRecord(
            one.golden_id,
            fields,
            target_id=out.target_id if out else None,
            source_keys=own_keys,
        )
        digest = wire_hash(sink, record)
        if out is not None and out.last_hash == digest and out.status in ("ok", "dead"):
            report.unchanged += out.status == "ok"
            continue  # accepted already, or a dead letter waiting for a replay
        if out is not None and out.status == "failed" and out.attempts >= max_attempts:
            continue
        todo.append(record)
        hashes[one.golden_id] = digest
    return todo, hashes


def publish(
    engine: Engine,
    sink_name: str,
    sink: Sink,
    *,
    require_quality: bool = True,
    max_attempts: int = 5,
    source_name: str | None = None,
    only: Collection[str] | None = None,
    progress: Callable[[str], None] | None = None,
    hold_lock: bool = True,
    lock_wait: float | None = None,
) -> PublishReport:
    """Push changed golden records to one sink, in the sink's batch size.

    ``source_name``: when the sink is also a source (write-back to the ERP or WeCom),
    only golden records with a member from that source are pushed, with those members'
    keys. ``only``: push just these golden ids (a replay). ``hold_lock``: take the hub
    lock ``resolve`` for the push (False when the caller holds it already, as the
    Dagster asset does: the lock is not re-entrant).
    """
    report = PublishReport(sink=sink_name)
    started = time.monotonic()
    with hub_lock(engine, "resolve", wait=lock_wait) if hold_lock else nullcontext():
        todo, hashes = _candidates(
            engine,
            sink_name,
            sink,
            require_quality=require_quality,
            max_attempts=max_attempts,
            source_name=source_name,
            only=only,
            report=report,
        )
        report.candidates = len(todo)
        size = max(1, sink.batch_size)
        for i in range(0, len(todo), size):
            batch = todo[i : i + size]
            results = sink.push(batch)
            # each batch's results are committed before the next is sent: a crash loses at
            # most one batch's bookkeeping, and re-sending it is an idempotent upsert
            _record(engine, sink_name, sink, batch, results, hashes, max_attempts, report)
            if progress:
                progress(f"{sink_name}: pushed {report.pushed}/{report.candidates}")
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _record(
    engine: Engine,
    sink_name: str,
    sink: Sink,
    batch: Sequence[OutboundRecord],
    results: Sequence[PushResult],
    hashes: dict[str, str],
    max_attempts: int,
    report: PublishReport,
) -> None:
    by_id = {r.golden_id: r for r in results}
    now = utcnow()
    ids = [r.golden_id for r in batch]
    o = Outbound
    with session_scope(engine) as session:
        # one query for the batch's bookkeeping rows, one bulk insert and one bulk update
        known = dict(
            session.execute(
                select(o.golden_id, o.attempts).where(o.sink == sink_name, o.golden_id.in_(ids))
            )
            .tuples()
            .all()
        )
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for record in batch:
            gid = record.golden_id
            result = by_id.get(gid) or PushResult(
                gid, ok=False, error="the sink returned no result", retryable=True
            )
            row: dict[str, Any] = {"sink": sink_name, "golden_id": gid}
            if result.ok:
                digest = hashes[gid]
                if result.target_id and result.target_id != record.target_id:
                    # the next run hands the sink this id, and what the sink sends then may
                    # differ (a customer Kingdee created is then only marked, not created):
                    # book the hash of that, or the next run pushes again for nothing
                    digest = wire_hash(sink, replace(record, target_id=result.target_id))
                row.update(last_hash=digest, status="ok", last_error=None, attempts=0)
                row["pushed_at"] = now
                if result.target_id:
                    row["target_id"] = result.target_id
                report.pushed += 1
                report.created += result.created
                report.merged += record.fields.get("status") != "active"
            else:
                attempts = (known.get(gid) or 0) + 1
                dead = not result.retryable or attempts >= max_attempts
                row.update(attempts=attempts, last_error=result.error)
                row["status"] = "dead" if dead else "failed"
                if dead:
                    # remember which content died: an unchanged record is not retried forever
                    row["last_hash"] = hashes[gid]
                report.failed += 1
                report.dead += dead
                key = (result.error or "unknown error")[:80]
                report.errors[key] = report.errors.get(key, 0) + 1
            (updates if gid in known else inserts).append(row)
        if inserts:
            full = [{"target_id": None, "pushed_at": None, "last_hash": None, **r} for r in inserts]
            session.execute(insert(Outbound), full)
        # rows of one shape per statement (an executemany needs the same keys throughout)
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in updates:
            shapes.setdefault(tuple(sorted(row)), []).append(row)
        for rows in shapes.values():
            session.execute(update(Outbound), rows)


@dataclass(frozen=True)
class DeadLetter:
    golden_id: str
    attempts: int
    error: str
    target_id: str | None


def dead_letters(engine: Engine, sink_name: str) -> list[DeadLetter]:
    """The dead letters of one sink, by golden id, each with the error that killed it."""
    with session_scope(engine) as session:
        rows = session.scalars(
            select(Outbound)
            .where(Outbound.sink == sink_name, Outbound.status == "dead")
            .order_by(Outbound.golden_id)
        )
        return [DeadLetter(o.golden_id, o.attempts, o.last_error or "", o.target_id) for o in rows]


def replay_dead_letters(
    engine: Engine, sink_name: str, golden_ids: Collection[str] | None = None
) -> int:
    """Make dead letters of one sink (all, or just ``golden_ids``) eligible again."""
    with session_scope(engine) as session:
        q = update(Outbound).where(Outbound.sink == sink_name, Outbound.status == "dead")
        if golden_ids is not None:
            q = q.where(Outbound.golden_id.in_(sorted(golden_ids)))
        result = session.execute(q.values(status="failed", attempts=0, last_hash=None))
        return int(cast(CursorResult[Any], result).rowcount or 0)
