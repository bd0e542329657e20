"""Build the golden records: survivorship, lineage, 360° facts, history and events.

Only golden records whose inputs changed are rebuilt: each record keeps a fingerprint of
what it was built from (its members' fields, its activities, the rules, the day the facts
are as of) under ``lineage["_build"]``; an equal fingerprint skips the record. When a
record's content moves, the previous version goes to ``golden_history`` and a
``changed`` identity event says which fields moved. Retired golden ids (merged into
another by the identity engine) are never rebuilt nor re-activated.

A build after an earlier one under the same settings looks only at the records whose
inputs may have moved since (``incremental.py`` says which and why), reading their
members and activities alone; every other record is what a full build would leave, since
its fingerprint cannot have moved. tests/integration/test_incremental_golden.py checks
that a full build after incremental ones would rebuild nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, and_, case, func, or_, select
from sqlalchemy.orm import Session

import quality
from integration.events import record_event
from integration.golden.facts import Event, compute_facts, parse_time
from integration.golden.incremental import (
    IN_FLIGHT,
    BuildState,
    Marks,
    changed_records,
    changed_rows,
    contact_index,
    contacts_of,
    golden_of_keys,
    golden_of_rows,
    load_state,
    mark,
    membership_changes,
    save_state,
)
from integration.golden.survivorship import Member, survive
from integration.sections.golden import GoldenSettings
from integration.store import (
    ActivityRow,
    CustomerRow,
    GoldenCustomer,
    GoldenHistory,
    GoldenMember,
    SourceRecord,
    chunks,
    session_scope,
)
from integration.store.models import utcnow

__all__ = ["GoldenReport", "build_golden", "content_hash"]

#: WeCom timestamps are epoch seconds; shown in China time like the rest of WeCom's data
_CHINA = timezone(timedelta(hours=8))
#: connector types whose stored payload carries WeCom follow relations (``follow_info``)
FOLLOW_SOURCE_TYPES = frozenset({"wecom"})
#: the facts' moment in a hub without any activity
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


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
    #: "full" (every record looked at) or "incremental" (only the candidates)
    mode: str = "full"
    #: golden records looked at (fingerprint compared)
    candidates: int = 0
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


_MEMBER_COLUMNS = (
    GoldenMember.row_id,
    GoldenMember.golden_id,
    GoldenMember.source,
    GoldenMember.stream,
    GoldenMember.source_key,
    CustomerRow.fields,
    CustomerRow.record_hash,
    SourceRecord.changed_at,
)


@dataclass
class _Members:
    """Members of golden records as survivorship sees them, with the fingerprint's
    inputs and the key index activities are assigned by."""

    groups: dict[str, list[Member]] = field(default_factory=lambda: defaultdict(list))
    inputs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    row_keys: dict[tuple[str, str, str], str] = field(default_factory=dict)


def _load_members(
    session: Session, source_types: Mapping[str, str], golden_ids: Iterable[str] | None = None
) -> _Members:
    """The members of every golden record (``golden_ids`` None) or of those given."""
    follow_sources = [s for s, t in source_types.items() if t in FOLLOW_SOURCE_TYPES]
    base = (
        select(*_MEMBER_COLUMNS)
        .join(CustomerRow, CustomerRow.id == GoldenMember.row_id)
        .join(SourceRecord, SourceRecord.id == GoldenMember.row_id)
    )
    if golden_ids is None:
        rows = list(session.execute(base).tuples())
    else:
        rows = []
        for chunk in chunks(sorted(set(golden_ids))):
            rows.extend(session.execute(base.where(GoldenMember.golden_id.in_(chunk))).tuples())
    payloads: dict[int, Any] = {}
    if follow_sources:
        wanted = [r[0] for r in rows if r[2] in follow_sources]
        for chunk in chunks(wanted):
            q = select(SourceRecord.id, SourceRecord.payload).where(SourceRecord.id.in_(chunk))
            payloads.update(session.execute(q).tuples().all())
    out = _Members()
    for row_id, gid, source, stream, key, fields, record_hash, changed_at in rows:
        at = str(fields.get("source_updated_at") or changed_at.isoformat())
        ref = f"{source}:{stream}:{key}"
        out.groups[gid].append(
            Member(
                ref=ref,
                source=source,
                source_type=source_types.get(source, ""),
                stream=stream,
                key=key,
                fields=fields,
                at=at,
                follows=follows_of(payloads.get(row_id)),
            )
        )
        out.inputs[gid].append(f"{ref}|{record_hash}|{_digest(fields)}|{at}")
        out.row_keys[(source, stream, key)] = gid
    return out


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


#: what the build reads of an activity (with its source record's ``deleted``)
_ACTIVITY_COLUMNS = (
    ActivityRow.id,
    ActivityRow.source,
    ActivityRow.kind,
    ActivityRow.channel,
    ActivityRow.at,
    ActivityRow.amount,
    ActivityRow.currency,
    ActivityRow.status,
    ActivityRow.customer_stream,
    ActivityRow.customer_key,
    ActivityRow.phone,
    ActivityRow.email,
    ActivityRow.record_hash,
    SourceRecord.deleted,
)


def _activities(session: Session, where: Any = None) -> list[Any]:
    q = select(*_ACTIVITY_COLUMNS).join(SourceRecord, SourceRecord.id == ActivityRow.id)
    return list(session.execute(q if where is None else q.where(where)))


def _activity_key(a: Any) -> tuple[str, str, str] | None:
    if a.customer_key is None:
        return None
    return (a.source, a.customer_stream or "", a.customer_key)


def _assign(
    a: Any,
    row_keys: Mapping[tuple[str, str, str], str],
    contacts: Callable[[], Mapping[str, str]],
) -> str | None:
    """The golden id an activity belongs to: its customer's, else its phone's, else its
    e-mail's (``contacts`` is called only when the key does not decide)."""
    key = _activity_key(a)
    gid = row_keys.get(key) if key is not None else None
    if gid is None and a.phone:
        gid = contacts().get(a.phone)
    if gid is None and a.email:
        gid = contacts().get(a.email)
    return gid


def _event(a: Any) -> tuple[Event, str]:
    """An activity as the facts read it, and its part of the fingerprint."""
    deleted = bool(a.deleted)
    event = Event(a.kind, a.channel, a.at, a.amount, a.currency, a.status, deleted)
    return event, f"{a.id}|{a.record_hash}|{a.status}|{a.currency}|{deleted}"


@dataclass
class _Events:
    events: dict[str, list[Event]] = field(default_factory=lambda: defaultdict(list))
    inputs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: activity id -> golden id, the assigned ones
    assigned: dict[int, str] = field(default_factory=dict)
    newest: datetime | None = None
    newest_id: int | None = None

    def add(self, a: Any, gid: str | None) -> None:
        if gid is None:
            return
        event, digest = _event(a)
        self.events[gid].append(event)
        self.inputs[gid].append(digest)
        self.assigned[a.id] = gid

    def saw(self, a: Any) -> None:
        when = parse_time(a.at)
        if self.newest is None or when > self.newest:
            self.newest, self.newest_id = when, a.id


def _load_events(session: Session, members: _Members) -> _Events:
    contacts = _contact_index(members.groups)
    out = _Events()
    for a in _activities(session):
        out.saw(a)
        out.add(a, _assign(a, members.row_keys, lambda: contacts))
    return out


def _newest(session: Session) -> tuple[datetime | None, int | None]:
    """The newest activity time in the hub (deleted and unassigned ones count, as in a
    full build) and its activity's id: a narrow read of every activity's time."""
    out = _Events()
    for rid, at in session.execute(select(ActivityRow.id, ActivityRow.at)):
        out.saw(_When(rid, at))
    return out.newest, out.newest_id


@dataclass(frozen=True)
class _When:
    id: int
    at: str


def _rules_digest(settings: GoldenSettings, source_types: Mapping[str, str]) -> str:
    return _digest([settings.model_dump(mode="json"), sorted(source_types.items())])


def build_golden(
    engine: Engine,
    rules: quality.RuleSet,
    *,
    now: datetime | None = None,
    settings: GoldenSettings | None = None,
    source_types: Mapping[str, str] | None = None,
    run_id: str | None = None,
    full: bool = False,
) -> GoldenReport:
    """Rebuild the golden records whose inputs changed; bump a version only on change.

    ``now``: the moment facts are computed as of (default: the newest activity in the
    hub, so a re-run on unchanged data changes nothing). ``source_types``: source name ->
    connector type, for ``source_trust`` rules that name types and for WeCom follows.

    With the bookkeeping of an earlier build under the same settings, only the golden
    records whose inputs may have moved since are looked at (``incremental.py`` says
    which); the others are exactly what a full build would leave. ``full``: look at
    every record (the first build, other settings or another day of the facts do so
    anyway).
    """
    settings = settings or GoldenSettings()
    source_types = dict(source_types or {})
    started = time.monotonic()
    rules_digest = _rules_digest(settings, source_types)
    job = _Job(rules, settings, source_types, rules_digest, run_id, GoldenReport())
    with session_scope(engine) as session:
        state = None if full else load_state(session)
        if state is not None and state.rules != rules_digest:
            state = None  # other settings: every fingerprint moves
        done = state is not None and _build_changed(session, job, state, now)
        if not done:
            job.report = GoldenReport()
            _build_all(session, job, now)
    job.report.seconds = round(time.monotonic() - started, 3)
    return job.report


@dataclass
class _Job:
    rules: quality.RuleSet
    settings: GoldenSettings
    source_types: dict[str, str]
    rules_digest: str
    run_id: str | None
    report: GoldenReport
    stamp: datetime = field(default_factory=utcnow)


def _build_all(session: Session, job: _Job, now: datetime | None) -> None:
    """Every golden record looked at (its fingerprint compared)."""
    marks = mark(session)
    members = _load_members(session, job.source_types)
    events = _load_events(session, members)
    as_of = now or events.newest or _EPOCH
    job.report.mode = "full"
    for golden in session.scalars(select(GoldenCustomer)):
        _build_one(session, job, golden, members, events, as_of)
    job.report.candidates = job.report.golden + job.report.retired
    _save(session, job, marks, events.assigned, events.newest, events.newest_id, as_of)


def _save(
    session: Session,
    job: _Job,
    marks: Marks,
    assigned: dict[int, str],
    newest: datetime | None,
    newest_id: int | None,
    as_of: datetime,
) -> None:
    session.flush()
    floor = marks.begun - IN_FLIGHT
    state = BuildState(
        rules=job.rules_digest,
        cursor=str(marks.cursor),
        rows_floor=floor.isoformat(),
        recent_rows={
            rid: at for rid, at in marks.stamps.items() if datetime.fromisoformat(at) >= floor
        },
        records_floor=marks.records_floor.isoformat(),
        acts=assigned,
        newest=newest.isoformat() if newest is not None else None,
        newest_id=newest_id,
        as_of_day=as_of.date().isoformat(),
    )
    save_state(session, state, mode=job.report.mode, candidates=job.report.candidates)


def _build_one(
    session: Session,
    job: _Job,
    golden: GoldenCustomer,
    members: _Members,
    events: _Events,
    as_of: datetime,
) -> None:
    """One golden record as a full build treats it."""
    report = job.report
    if golden.status == "retired":
        return  # merged into another or left empty: the identity engine's call
    group = members.groups.get(golden.golden_id)
    if not group:
        _retire_empty(session, golden, job.stamp, job.run_id)
        report.retired += 1
        return
    report.golden += 1
    fingerprint = _digest(
        [
            job.rules_digest,
            as_of.date().isoformat(),
            sorted(members.inputs[golden.golden_id]),
            sorted(events.inputs.get(golden.golden_id, [])),
        ]
    )
    build = (golden.lineage or {}).get("_build") or {}
    if build.get("inputs") == fingerprint and golden.version > 0:
        report.skipped_unchanged_inputs += 1
        report.unchanged += 1
        report.failing_quality += golden.verdict != "ok"
        return
    _rebuild(
        session,
        golden,
        group,
        events.events.get(golden.golden_id, []),
        as_of,
        job.settings,
        job.rules,
        fingerprint,
        job.stamp,
        job.run_id,
        report,
    )


def _build_changed(session: Session, job: _Job, state: BuildState, now: datetime | None) -> bool:
    """Look only at the golden records whose inputs may have moved since the last build
    (``incremental.py``); False, with nothing written, when a full build is needed."""
    named, cursor = membership_changes(session, state.cursor)  # PostgreSQL: commits
    marks = mark(session, datetime.fromisoformat(state.rows_floor), cursor)
    rows = changed_rows(marks, state)
    records = changed_records(session, state.records_floor)
    changed = _activities_by_id(session, records)
    newest, newest_id = _newest_since(session, state, records, changed.values())
    as_of = now or newest or _EPOCH
    if as_of.date().isoformat() != state.as_of_day:
        return False  # every record's facts are as of another day
    old = state.acts
    cand = set(named) | golden_of_rows(session, rows) | {old[r] for r in records if r in old}
    goldens = _goldens(session, cand)
    members = _load_members(session, job.source_types, goldens)
    affected = {**_activities_touching(session, goldens.values(), members), **changed}
    affected.update(_activities_by_id(session, [i for i, g in old.items() if g in cand]))
    keys = {k for a in affected.values() if (k := _activity_key(a)) is not None}
    row_keys = golden_of_keys(session, keys)
    index: dict[str, str] | None = None

    def contacts() -> Mapping[str, str]:
        nonlocal index
        if index is None:
            index = contact_index(session)
        return index

    assigned = dict(old)
    for r in records:
        if r in old and r not in changed:
            del assigned[r]  # its activity row is gone (old[r] is a candidate already)
    for a in affected.values():
        gid = _assign(a, row_keys, contacts)
        if gid != old.get(a.id) or a.id in changed:
            cand.update(g for g in (gid, old.get(a.id)) if g is not None)
        if gid is None:
            assigned.pop(a.id, None)
        else:
            assigned[a.id] = gid
    extra = cand - set(goldens)
    if extra:
        more = _goldens(session, extra)
        goldens.update(more)
        _merge(members, _load_members(session, job.source_types, more))
    events = _Events()
    ids = [i for i, g in assigned.items() if g in cand]
    loaded = {**affected, **_activities_by_id(session, [i for i in ids if i not in affected])}
    for i in sorted(ids):
        events.add(loaded[i], assigned[i])
    job.report.mode = "incremental"
    for gid in sorted(goldens):
        _build_one(session, job, goldens[gid], members, events, as_of)
    _count_the_rest(session, job.report)
    job.report.candidates = len(goldens)
    _save(session, job, marks, assigned, newest, newest_id, as_of)
    return True


def _goldens(session: Session, golden_ids: Iterable[str]) -> dict[str, GoldenCustomer]:
    out: dict[str, GoldenCustomer] = {}
    for chunk in chunks(sorted(set(golden_ids))):
        q = select(GoldenCustomer).where(GoldenCustomer.golden_id.in_(chunk))
        out.update((g.golden_id, g) for g in session.scalars(q))
    return out


def _merge(into: _Members, more: _Members) -> None:
    for gid, group in more.groups.items():
        into.groups[gid].extend(group)
        into.inputs[gid].extend(more.inputs[gid])
    into.row_keys.update(more.row_keys)


def _activities_by_id(session: Session, ids: Iterable[int]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for chunk in chunks(sorted(set(ids))):
        out.update((a.id, a) for a in _activities(session, ActivityRow.id.in_(chunk)))
    return out


def _activities_touching(
    session: Session, goldens: Iterable[GoldenCustomer], members: _Members
) -> dict[int, Any]:
    """Activities keyed to a member these golden records had at their last build or have
    now, or carrying a contact they had or have: the ones whose assignment may move."""
    keys: set[tuple[str, str, str]] = set(members.row_keys)
    contacts: set[str] = set()
    for golden in goldens:
        for ref in (golden.lineage or {}).get("members") or []:
            source, stream, key = str(ref).split(":", 2)
            keys.add((source, stream, key))
        contacts |= contacts_of(golden.fields or {}, "mobiles", "emails", "phones")
    for group in members.groups.values():
        for m in group:
            contacts |= contacts_of(m.fields, "mobile", "email", "phones")
    by_stream: dict[tuple[str, str], set[str]] = defaultdict(set)
    for source, stream, key in keys:
        by_stream[(source, stream)].add(key)
    out: dict[int, Any] = {}
    for (source, stream), wanted in sorted(by_stream.items()):
        # an activity without a customer stream is looked up under the stream ""
        same_stream = (
            or_(ActivityRow.customer_stream.is_(None), ActivityRow.customer_stream == "")
            if stream == ""
            else ActivityRow.customer_stream == stream
        )
        for chunk in chunks(sorted(wanted)):
            where = and_(
                ActivityRow.source == source, same_stream, ActivityRow.customer_key.in_(chunk)
            )
            out.update((a.id, a) for a in _activities(session, where))
    for chunk in chunks(sorted(contacts)):
        where = or_(ActivityRow.phone.in_(chunk), ActivityRow.email.in_(chunk))
        out.update((a.id, a) for a in _activities(session, where))
    return out


def _newest_since(
    session: Session, state: BuildState, records: set[int], changed: Iterable[Any]
) -> tuple[datetime | None, int | None]:
    """The newest activity time in the hub now: the last build's unless its activity
    changed (then read again), or a changed activity is newer."""
    if state.newest_id is not None and state.newest_id in records:
        return _newest(session)
    newest = datetime.fromisoformat(state.newest) if state.newest else None
    newest_id = state.newest_id
    for a in sorted(changed, key=lambda a: a.id):
        when = parse_time(a.at)
        if newest is None or when > newest:
            newest, newest_id = when, a.id
    return newest, newest_id


def _count_the_rest(session: Session, report: GoldenReport) -> None:
    """The report of a full build: the records not looked at were unchanged."""
    session.flush()
    active, failing = session.execute(
        select(
            func.count(), func.coalesce(func.sum(case((GoldenCustomer.verdict != "ok", 1))), 0)
        ).where(GoldenCustomer.status != "retired")
    ).one()
    others = int(active) - report.golden
    report.golden = int(active)
    report.unchanged += others
    report.skipped_unchanged_inputs += others
    report.failing_quality = int(failing)


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
