"""Build the golden records: survivorship, lineage, 360° facts, history and events.

Only golden records whose inputs changed are rebuilt: each record keeps a fingerprint of
what it was built from (its members' fields, its activities, the rules, the day the facts
are as of) under ``lineage["_build"]``; an equal fingerprint skips the record. When a
record's content moves, the previous version goes to ``golden_history`` and a
``changed`` identity event says which fields moved. Retired golden ids (merged into
another by the identity engine) are never rebuilt nor re-activated.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import quality
from integration.events import record_event
from integration.golden.facts import Event, compute_facts, parse_time
from integration.golden.survivorship import Member, survive
from integration.sections.golden import GoldenSettings
from integration.store import (
    ActivityRow,
    CustomerRow,
    GoldenCustomer,
    GoldenHistory,
    GoldenMember,
    SourceRecord,
    session_scope,
)
from integration.store.models import utcnow

__all__ = ["GoldenReport", "build_golden", "content_hash"]

#: WeCom timestamps are epoch seconds; shown in China time like the rest of WeCom's data
_CHINA = timezone(timedelta(hours=8))
#: connector types whose stored payload carries WeCom follow relations (``follow_info``)
FOLLOW_SOURCE_TYPES = frozenset({"wecom"})


def content_hash(fields: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    body = json.dumps({"f": fields, "x": facts}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _digest(value: Any) -> str:
    body = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class GoldenReport:
    golden: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_unchanged_inputs: int = 0
    retired: int = 0
    failing_quality: int = 0
    seconds: float = 0.0

    def as_metadata(self) -> dict[str, Any]:
        return dict(self.__dict__)


def follows_of(payload: Mapping[str, Any] | None) -> tuple[dict[str, Any], ...]:
    """WeCom follow relations of a stored WeCom payload (see connectors/wecom/mapping.py)."""
    if not isinstance(payload, Mapping):
        return ()
    contact = payload.get("external_contact") or {}
    ext = contact.get("external_userid") if isinstance(contact, Mapping) else None
    out = []
    for row in payload.get("follow_info") or []:
        if not isinstance(row, Mapping) or not row.get("userid"):
            continue
        created = row.get("createtime")
        since = (
            datetime.fromtimestamp(created, _CHINA).isoformat()
            if isinstance(created, int)
            else None
        )
        out.append({"userid": str(row["userid"]), "since": since, "external_userid": ext})
    return tuple(out)


def _load_members(
    session: Session, source_types: Mapping[str, str]
) -> tuple[dict[str, list[Member]], dict[tuple[str, str, str], str], dict[str, list[str]]]:
    follow_sources = [s for s, t in source_types.items() if t in FOLLOW_SOURCE_TYPES]
    payloads: dict[int, Any] = {}
    if follow_sources:
        q = select(SourceRecord.id, SourceRecord.payload).where(
            SourceRecord.source.in_(follow_sources)
        )
        payloads = dict(session.execute(q).tuples().all())
    members: dict[str, list[Member]] = defaultdict(list)
    inputs: dict[str, list[str]] = defaultdict(list)
    row_keys: dict[tuple[str, str, str], str] = {}
    q2 = (
        select(GoldenMember, CustomerRow.fields, CustomerRow.record_hash, SourceRecord.changed_at)
        .join(CustomerRow, CustomerRow.id == GoldenMember.row_id)
        .join(SourceRecord, SourceRecord.id == GoldenMember.row_id)
    )
    for gm, fields, record_hash, changed_at in session.execute(q2).tuples():
        at = str(fields.get("source_updated_at") or changed_at.isoformat())
        ref = f"{gm.source}:{gm.stream}:{gm.source_key}"
        members[gm.golden_id].append(
            Member(
                ref=ref,
                source=gm.source,
                source_type=source_types.get(gm.source, ""),
                stream=gm.stream,
                key=gm.source_key,
                fields=fields,
                at=at,
                follows=follows_of(payloads.get(gm.row_id)),
            )
        )
        inputs[gm.golden_id].append(f"{ref}|{record_hash}|{_digest(fields)}|{at}")
        row_keys[(gm.source, gm.stream, gm.source_key)] = gm.golden_id
    return members, row_keys, inputs


def _contact_index(members: Mapping[str, list[Member]]) -> dict[str, str]:
    """Normalized mobile / phone / e-mail -> golden id, for activities known only by contact."""
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


def _load_events(
    session: Session,
    members: Mapping[str, list[Member]],
    row_keys: Mapping[tuple[str, str, str], str],
) -> tuple[dict[str, list[Event]], dict[str, list[str]], datetime]:
    contacts = _contact_index(members)
    events: dict[str, list[Event]] = defaultdict(list)
    inputs: dict[str, list[str]] = defaultdict(list)
    newest: datetime | None = None
    q = select(ActivityRow, SourceRecord.deleted).join(
        SourceRecord, SourceRecord.id == ActivityRow.id
    )
    for a, deleted in session.execute(q).tuples():
        gid = None
        if a.customer_key is not None:
            gid = row_keys.get((a.source, a.customer_stream or "", a.customer_key))
        if gid is None and a.phone:
            gid = contacts.get(a.phone)
        if gid is None and a.email:
            gid = contacts.get(a.email)
        when = parse_time(a.at)
        newest = when if newest is None or when > newest else newest
        if gid is None:
            continue
        events[gid].append(
            Event(a.kind, a.channel, a.at, a.amount, a.currency, a.status, bool(deleted))
        )
        inputs[gid].append(f"{a.id}|{a.record_hash}|{a.status}|{a.currency}|{deleted}")
    return events, inputs, newest or datetime(2000, 1, 1, tzinfo=UTC)


def build_golden(
    engine: Engine,
    rules: quality.RuleSet,
    *,
    now: datetime | None = None,
    settings: GoldenSettings | None = None,
    source_types: Mapping[str, str] | None = None,
    run_id: str | None = None,
) -> GoldenReport:
    """Rebuild the golden records whose inputs changed; bump a version only on change.

    ``now``: the moment facts are computed as of (default: the newest activity in the
    hub, so a re-run on unchanged data changes nothing). ``source_types``: source name ->
    connector type, for ``source_trust`` rules that name types and for WeCom follows.
    """
    settings = settings or GoldenSettings()
    source_types = dict(source_types or {})
    report = GoldenReport()
    started = time.monotonic()
    rules_digest = _digest([settings.model_dump(mode="json"), sorted(source_types.items())])
    with session_scope(engine) as session:
        members, row_keys, member_inputs = _load_members(session, source_types)
        events, event_inputs, newest = _load_events(session, members, row_keys)
        as_of = now or newest
        stamp = utcnow()
        for golden in session.scalars(select(GoldenCustomer)):
            if golden.status == "retired":
                continue  # merged into another or left empty: the identity engine's call
            group = members.get(golden.golden_id)
            if not group:
                _retire_empty(session, golden, stamp, run_id)
                report.retired += 1
                continue
            report.golden += 1
            fingerprint = _digest(
                [
                    rules_digest,
                    as_of.date().isoformat(),
                    sorted(member_inputs[golden.golden_id]),
                    sorted(event_inputs.get(golden.golden_id, [])),
                ]
            )
            build = (golden.lineage or {}).get("_build") or {}
            if build.get("inputs") == fingerprint and golden.version > 0:
                report.skipped_unchanged_inputs += 1
                report.unchanged += 1
                report.failing_quality += golden.verdict != "ok"
                continue
            _rebuild(
                session,
                golden,
                group,
                events.get(golden.golden_id, []),
                as_of,
                settings,
                rules,
                fingerprint,
                stamp,
                run_id,
                report,
            )
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _rebuild(
    session: Session,
    golden: GoldenCustomer,
    group: list[Member],
    events: list[Event],
    as_of: datetime,
    settings: GoldenSettings,
    rules: quality.RuleSet,
    fingerprint: str,
    stamp: datetime,
    run_id: str | None,
    report: GoldenReport,
) -> None:
    survived = survive(group, settings.survivorship)
    follows = [f for m in group for f in m.follows]
    facts = compute_facts(events, follows, as_of, settings.facts, settings.currency)
    fields = survived.fields
    digest = content_hash(fields, facts)
    verdict = quality.check_row({**fields, "golden_id": golden.golden_id}, rules, "golden")
    golden.verdict = "ok" if verdict.ok else "quarantined"
    golden.reasons = [r.to_dict() for r in verdict.reasons]
    report.failing_quality += not verdict.ok
    lineage = _current_lineage(
        golden.lineage or {}, golden.fields or {}, survived.lineage, fields, stamp
    )
    lineage["members"] = sorted(m.ref for m in group)
    lineage["facts"] = {"as_of": as_of.isoformat(), "rules": "integration/golden/facts.py"}
    lineage["_build"] = {"inputs": fingerprint}
    if golden.content_hash == digest and golden.version > 0:
        golden.lineage = lineage  # same content: only the fingerprint moved
        report.unchanged += 1
        return
    if golden.version > 0:
        session.add(
            GoldenHistory(
                golden_id=golden.golden_id,
                version=golden.version,
                fields=golden.fields,
                lineage={k: v for k, v in (golden.lineage or {}).items() if k != "_build"},
                facts=golden.facts,
                status=golden.status,
                run_id=run_id,
                valid_from=golden.updated_at,
                valid_to=stamp,
            )
        )
        moved = sorted(
            k for k in set(golden.fields) | set(fields) if golden.fields.get(k) != fields.get(k)
        )
        facts_moved = sorted(
            k for k in set(golden.facts) | set(facts) if golden.facts.get(k) != facts.get(k)
        )
        record_event(
            session,
            "changed",
            golden.golden_id,
            cause="source",
            run_id=run_id,
            detail={"version": golden.version + 1, "fields": moved, "facts": facts_moved},
        )
        report.updated += 1
    else:
        report.created += 1
    golden.fields, golden.facts, golden.lineage = fields, facts, lineage
    golden.content_hash = digest
    golden.version += 1
    golden.updated_at = stamp


def _current_lineage(
    previous: Mapping[str, Any],
    previous_fields: Mapping[str, Any],
    decided: Mapping[str, Any],
    fields: Mapping[str, Any],
    stamp: datetime,
) -> dict[str, Any]:
    """The new lineage, each entry stamped ``decided_at``.

    When the same record still gives the same value by the same rule, the entry keeps its
    ``at`` (the value has been there since then, whatever else changed in that record)
    and its ``decided_at``; otherwise the decision is new and stamped now."""
    out: dict[str, Any] = {}
    for name, entry in decided.items():
        before = previous.get(name)
        same = (
            isinstance(before, Mapping)
            and before.get("decided_at")
            and before.get("from") == entry.get("from")
            and before.get("rule") == entry.get("rule")
            and previous_fields.get(name) == fields.get(name)
        )
        if same and isinstance(before, Mapping):
            kept = {"at": before["at"]} if "at" in before else {}
            out[name] = {**entry, **kept, "decided_at": before["decided_at"]}
        else:
            out[name] = {**entry, "decided_at": stamp.isoformat()}
    return out


def _retire_empty(
    session: Session, golden: GoldenCustomer, stamp: datetime, run_id: str | None
) -> None:
    """A golden id left without members that the identity stage did not retire itself."""
    if golden.version > 0:
        session.add(
            GoldenHistory(
                golden_id=golden.golden_id,
                version=golden.version,
                fields=golden.fields,
                lineage={k: v for k, v in (golden.lineage or {}).items() if k != "_build"},
                facts=golden.facts,
                status=golden.status,
                run_id=run_id,
                valid_from=golden.updated_at,
                valid_to=stamp,
            )
        )
    golden.status = "retired"
    golden.version += 1
    golden.updated_at = stamp
