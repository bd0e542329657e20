"""Identity in the hub: who belongs to which golden record, every change of it recorded.

Two halves. ``apply_membership`` writes a resolution run's result into the crosswalk
(``golden_member``) with one identity event per change and its cause. The admin
decisions (``merge_golden``, ``keep_apart``, ``split_member``; ``review.decide`` uses
the same steps) change the crosswalk at once, only for the golden records they name, and
append a ``decision`` row whose links every later run and refit replays as must-link /
cannot-link constraints (``effective_constraints``: the newest word on a pair wins). A
decision that contradicts an earlier one is refused with the reason, never dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

import dedupe
from dedupe.ids import fresh_id
from integration.errors import ChubError
from integration.events import event_row, follow, record_events
from integration.locks import hub_lock
from integration.store import (
    CustomerRow,
    Decision,
    GoldenCustomer,
    GoldenMember,
    MatchPair,
    chunks,
    session_scope,
)
from integration.store.models import Base, utcnow

__all__ = [
    "Applied",
    "Constraints",
    "IdentityError",
    "apply_membership",
    "effective_constraints",
    "golden_ages",
    "keep_apart",
    "merge_golden",
    "split_member",
]

#: verdicts of rows that take part in matching (as integration.pipeline.resolve)
_RESOLVABLE = ("ok", "overridden")

#: how long an admin decision waits for a running resolution before it gives up
DECISION_WAIT_S = 30.0


class IdentityError(ChubError):
    """An admin decision that cannot be done (unknown id, conflicts with another one)."""


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a <= b else (b, a)


# -- constraints: the decision log replayed -------------------------------------------


@dataclass
class Constraints:
    """The decisions in force: per pair of rows the newest word, and what cannot be obeyed."""

    #: (row, row) -> ("must" | "cannot", decision id)
    by_pair: dict[tuple[int, int], tuple[str, int]] = field(default_factory=dict)
    must_refs: list[tuple[str, str]] = field(default_factory=list)
    cannot_refs: list[tuple[str, str]] = field(default_factory=list)
    #: decisions in force on a row that does not take part in matching, with why
    unapplied: list[str] = field(default_factory=list)


def decision_links(d: Decision) -> list[tuple[int, int, str]]:
    """The (row, row, must|cannot) links one decision states."""
    links = (d.detail or {}).get("links")
    if links:
        return [(int(a), int(b), str(kind)) for a, b, kind in links]
    if d.left_id is None or d.right_id is None:
        return []
    return [(d.left_id, d.right_id, "must" if d.action == "merge" else "cannot")]


def _decisions_in_force(session: Session) -> dict[tuple[int, int], tuple[str, int]]:
    latest: dict[tuple[int, int], tuple[str, int]] = {}
    q = select(Decision).where(Decision.action.in_(("merge", "apart", "split")))
    for d in session.scalars(q.order_by(Decision.id)):
        for a, b, kind in decision_links(d):
            if a != b:
                latest[_pair(a, b)] = (kind, d.id)
    return latest


def effective_constraints(session: Session) -> Constraints:
    """The decision log replayed in order, as record refs the engine obeys."""
    out = Constraints(by_pair=_decisions_in_force(session))
    ids = sorted({x for p in out.by_pair for x in p})
    rows: dict[int, tuple[str, str]] = {}
    for chunk in chunks(ids):
        q = select(
            CustomerRow.id,
            CustomerRow.source,
            CustomerRow.stream,
            CustomerRow.source_key,
            CustomerRow.verdict,
        ).where(CustomerRow.id.in_(chunk))
        for rid, source, stream, key, verdict in session.execute(q):
            rows[rid] = (f"{source}:{stream}:{key}", verdict)
    for (a, b), (kind, did) in sorted(out.by_pair.items()):
        ra, rb = rows.get(a), rows.get(b)
        bad = [(x, r) for x, r in ((a, ra), (b, rb)) if r is None or r[1] not in _RESOLVABLE]
        if bad:
            x, r = bad[0]
            state = "gone" if r is None else r[1]
            what = "merge" if kind == "must" else "keep apart"
            out.unapplied.append(
                f"decision {did} ({what} rows {a} and {b}) waits: row {x} is {state}"
            )
            continue
        assert ra is not None and rb is not None
        (out.must_refs if kind == "must" else out.cannot_refs).append((ra[0], rb[0]))
    return out


class _LazyAges(Mapping[str, int]):
    """Golden records' creation times, read when the engine asks about one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[str, int] = {}

    def __getitem__(self, key: str) -> int:
        if key not in self.known:
            at = self.session.scalar(
                select(GoldenCustomer.created_at).where(GoldenCustomer.golden_id == key)
            )
            if at is None:
                raise KeyError(key)
            self.known[key] = int(at.timestamp() * 1_000_000)
        return self.known[key]

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self.session.scalars(select(GoldenCustomer.golden_id)).all())

    def __len__(self) -> int:
        return len(list(iter(self)))


def golden_ages(session: Session, *, lazy: bool = False) -> Mapping[str, int]:
    """golden id -> its creation time in microseconds: a merge keeps the older record."""
    if lazy:
        return _LazyAges(session)
    q = select(GoldenCustomer.golden_id, GoldenCustomer.created_at)
    return {gid: int(at.timestamp() * 1_000_000) for gid, at in session.execute(q)}


# -- a run's result into the crosswalk ------------------------------------------------


@dataclass
class Applied:
    records_changed_cluster: int = 0
    events: int = 0
    #: refs whose pairs may have changed (None: all, after a full run)
    touched: set[str] | None = None
    #: ref -> customer_row id of every ref the run wrote
    row_ids: dict[str, int] = field(default_factory=dict)
    auto_pairs: int = 0
    pending_pairs: int = 0


def _rename_reissued(mapping: dict[str, str], fresh: set[str], issued: set[str]) -> dict[str, str]:
    """A fresh id the engine derived may be one issued before (a retired id, e.g. the
    record it was derived from was merged away and split off again): a retired id is
    never issued again, so such clusters get another fresh id."""
    clash = fresh & issued
    if not clash:
        return {}
    members: dict[str, list[str]] = defaultdict(list)
    for ref, cid in mapping.items():
        if cid in clash:
            members[cid].append(ref)
    taken = issued | set(mapping.values())
    renamed = {}
    for cid in sorted(clash):
        new = fresh_id(min(members[cid]), taken)
        taken.add(new)
        renamed[cid] = new
    for ref, cid in mapping.items():
        if cid in renamed:
            mapping[ref] = renamed[cid]
    return renamed


def _row_ids(
    session: Session, refs: Iterable[str], previous: Mapping[str, str], known: dict[str, int]
) -> dict[str, int]:
    """customer_row ids of refs, from ``known`` or the crosswalk of their previous golden."""
    want = {r for r in refs if r not in known}
    by_golden: dict[str, list[str]] = defaultdict(list)
    for ref in want:
        if ref in previous:
            by_golden[previous[ref]].append(ref)
    found: dict[str, int] = {}
    for chunk in chunks(sorted(by_golden)):
        q = select(
            GoldenMember.row_id, GoldenMember.source, GoldenMember.stream, GoldenMember.source_key
        ).where(GoldenMember.golden_id.in_(chunk))
        for rid, s, t, k in session.execute(q):
            found[f"{s}:{t}:{k}"] = rid
    missing = want - set(found)
    for ref in sorted(missing):  # not in the crosswalk: by its key (rare)
        source, stream, key = ref.split(":", 2)
        by_key = session.scalar(
            select(CustomerRow.id).where(
                CustomerRow.source == source,
                CustomerRow.stream == stream,
                CustomerRow.source_key == key,
            )
        )
        if by_key is not None:
            found[ref] = by_key
    return {**{r: known[r] for r in refs if r in known}, **found}


def apply_membership(
    session: Session,
    res: dedupe.Resolution,
    previous: dict[str, str],
    issued: set[str],
    *,
    new_row_ids: Mapping[str, int],
    removed: Mapping[str, str],
    touched: set[str] | None,
    cause: str,
    run_id: str | None,
) -> Applied:
    """Write a run's clusters into the crosswalk and record every change of identity.

    ``previous``: ref -> golden id before the run; ``issued``: the golden ids among the
    run's fresh ones (or all) that were issued before; ``removed``: refs that left the
    data, with why ("deletion" | "source"); ``touched``: refs the run matched again
    (None: all of them)."""
    mapping: dict[str, str] = res.clusters
    before = set(previous.values())
    fresh = set(mapping.values()) - before
    renamed = _rename_reissued(mapping, fresh, issued)
    fresh = {renamed.get(c, c) for c in fresh}
    moved = [ref for ref, cid in mapping.items() if previous.get(ref) != cid]
    gone = [ref for ref in removed if ref in previous]
    out = Applied()
    out.records_changed_cluster = sum(1 for ref in moved if ref in previous)
    refs = [*moved, *gone]
    out.row_ids = _row_ids(session, refs, previous, dict(new_row_ids))
    now = utcnow()
    for chunk in chunks(sorted(fresh)):
        session.execute(
            insert(Base.metadata.tables[GoldenCustomer.__tablename__]),
            [
                dict(
                    golden_id=cid,
                    fields={},
                    lineage={},
                    facts={},
                    content_hash="",
                    version=0,
                    status="active",
                    created_at=now,
                    updated_at=now,
                )
                for cid in chunk
            ],
        )
    _write_crosswalk(session, mapping, moved, gone, out.row_ids)
    alive = set(mapping.values()) | {
        cid for ref, cid in previous.items() if ref not in mapping and ref not in removed
    }
    out.events = _record_run_events(
        session,
        res,
        mapping,
        previous,
        moved,
        gone,
        removed,
        fresh,
        renamed,
        alive,
        out.row_ids,
        cause=cause,
        run_id=run_id,
    )
    if touched is None:
        out.touched = None
    else:
        hot = {previous[r] for r in refs if r in previous} | {mapping[r] for r in moved}
        out.touched = set(touched) | set(refs) | {r for r, c in mapping.items() if c in hot}
        out.row_ids.update(new_row_ids)
    if touched is None:
        out.row_ids.update(new_row_ids)
    return out


def _write_crosswalk(
    session: Session,
    mapping: Mapping[str, str],
    moved: list[str],
    gone: list[str],
    row_ids: Mapping[str, int],
) -> None:
    ids = [row_ids[r] for r in moved if r in row_ids]
    existing: set[int] = set()
    for chunk in chunks(ids):
        existing.update(
            session.scalars(select(GoldenMember.row_id).where(GoldenMember.row_id.in_(chunk)))
        )
    updates, inserts = [], []
    for ref in moved:
        rid = row_ids.get(ref)
        if rid is None:
            continue
        if rid in existing:
            updates.append({"row_id": rid, "golden_id": mapping[ref]})
        else:
            source, stream, key = ref.split(":", 2)
            inserts.append(
                dict(
                    row_id=rid,
                    golden_id=mapping[ref],
                    source=source,
                    stream=stream,
                    source_key=key,
                )
            )
    if updates:
        session.execute(update(GoldenMember), updates)
    for batch in chunks(inserts, 5000):
        session.execute(insert(Base.metadata.tables[GoldenMember.__tablename__]), batch)
    for chunk in chunks([row_ids[r] for r in gone if r in row_ids]):
        session.execute(delete(GoldenMember).where(GoldenMember.row_id.in_(chunk)))


def _record_run_events(
    session: Session,
    res: dedupe.Resolution,
    mapping: Mapping[str, str],
    previous: Mapping[str, str],
    moved: list[str],
    gone: list[str],
    removed: Mapping[str, str],
    fresh: set[str],
    renamed: Mapping[str, str],
    alive: set[str],
    row_ids: Mapping[str, int],
    *,
    cause: str,
    run_id: str | None,
) -> int:
    ev: list[dict[str, Any]] = []
    kw: dict[str, Any] = {"run_id": run_id}
    absorbed: dict[str, str] = {}
    for change in res.changes:
        if change.kind == "merged":
            for gone_id in change.other_ids:
                absorbed[gone_id] = change.cluster_id
    sizes: dict[str, int] = defaultdict(int)
    for ref in moved:
        sizes[mapping[ref]] += 1
    for cid in sorted(fresh):
        ev.append(event_row("created", cid, cause=cause, detail={"members": sizes[cid]}, **kw))
    for change in res.changes:
        if change.kind == "split":
            part = renamed.get(change.cluster_id, change.cluster_id)
            for was in change.other_ids:
                ev.append(event_row("split", was, cause=cause, other_id=part, **kw))
    for ref in moved:
        new, old = mapping[ref], previous.get(ref)
        rid = row_ids.get(ref)
        if new not in fresh:
            detail = {"from": old} if old else {}
            ev.append(
                event_row(
                    "joined", new, cause=cause, row_id=rid, member_ref=ref, detail=detail, **kw
                )
            )
        if old is not None and old in alive:
            ev.append(
                event_row(
                    "left", old, cause=cause, row_id=rid, member_ref=ref, detail={"to": new}, **kw
                )
            )
    for ref in gone:
        was = previous[ref]
        why = removed.get(ref, "deletion")
        if was in alive:
            ev.append(
                event_row("left", was, cause=why, row_id=row_ids.get(ref), member_ref=ref, **kw)
            )
    emptied = sorted({previous[r] for r in [*moved, *gone] if r in previous} - alive)
    stamp = utcnow()
    for gid in emptied:
        if gid in absorbed:
            survivor = absorbed[gid]
            ev.append(event_row("merged", gid, cause=cause, other_id=survivor, **kw))
            values: dict[str, Any] = {"status": "retired", "merged_into": survivor}
        else:
            members = [r for r in gone if previous[r] == gid]
            why = removed.get(members[0], "deletion") if members else cause
            ev.append(event_row("retired", gid, cause=why, **kw))
            values = {"status": "retired"}
        session.execute(
            update(GoldenCustomer)
            .where(GoldenCustomer.golden_id == gid)
            .values(**values, updated_at=stamp)
        )
    return record_events(session, ev)


# -- admin decisions ----------------------------------------------------------------


@dataclass
class _Golden:
    golden_id: str
    created_at: Any
    #: customer_row id -> (ref, verdict)
    members: dict[int, tuple[str, str]]


def _active(session: Session, golden_id: str) -> str:
    """The active golden id ``golden_id`` names (a retired one leads to its survivor)."""
    gid = follow(session, golden_id)
    if gid is None:
        raise IdentityError(f"there is no golden record {golden_id}")
    status = session.scalar(select(GoldenCustomer.status).where(GoldenCustomer.golden_id == gid))
    if status != "active":
        raise IdentityError(f"golden record {golden_id} is {status}: it has no members")
    return gid


def _load_golden(session: Session, golden_id: str) -> _Golden:
    gid = _active(session, golden_id)
    created = session.scalar(
        select(GoldenCustomer.created_at).where(GoldenCustomer.golden_id == gid)
    )
    q = (
        select(CustomerRow.id, CustomerRow.source, CustomerRow.stream, CustomerRow.source_key)
        .add_columns(CustomerRow.verdict)
        .join(GoldenMember, GoldenMember.row_id == CustomerRow.id)
        .where(GoldenMember.golden_id == gid)
    )
    members = {rid: (f"{s}:{t}:{k}", v) for rid, s, t, k, v in session.execute(q)}
    if not members:
        raise IdentityError(f"golden record {gid} has no members")
    return _Golden(gid, created, members)


def _must_touch_matchable(golden: _Golden) -> None:
    for rid, (ref, verdict) in sorted(golden.members.items()):
        if verdict not in _RESOLVABLE:
            raise IdentityError(
                f"row {rid} ({ref}) of golden record {golden.golden_id} is {verdict}: a "
                "merge would not be obeyed while it takes no part in matching; fix or "
                "release the row first"
            )


def _conflict(
    in_force: Mapping[tuple[int, int], tuple[str, int]],
    left: Iterable[int],
    right: Iterable[int],
    kind: str,
    session: Session,
) -> str | None:
    """Why linking every row of ``left`` with every row of ``right`` as ``kind``
    contradicts a decision in force (the first such pair), None if it does not."""
    rights = sorted(right)
    for a in sorted(left):
        for b in rights:
            said = in_force.get(_pair(a, b))
            if said is not None and said[0] != kind:
                d = session.get(Decision, said[1])
                who = f" by {d.actor} at {d.at:%Y-%m-%d %H:%M}" if d is not None else ""
                what = "keeps them apart" if said[0] == "cannot" else "merged them"
                return f"rows {a} and {b}: decision {said[1]}{who} {what}"
    return None


def _older(a: _Golden, b: _Golden) -> tuple[_Golden, _Golden]:
    """(survivor, retired): the older golden record survives (ties: the smaller id)."""
    key_a, key_b = (a.created_at, a.golden_id), (b.created_at, b.golden_id)
    return (a, b) if key_a <= key_b else (b, a)


def _set_pairs(session: Session, left: Iterable[int], right: Iterable[int], status: str) -> None:
    """Pending pairs between the two sets answered by the decision."""
    ls, rs = sorted(set(left)), sorted(set(right))
    for lc in chunks(ls):
        for rc in chunks(rs):
            for a, b in ((lc, rc), (rc, lc)):
                session.execute(
                    update(MatchPair)
                    .where(
                        MatchPair.left_id.in_(a),
                        MatchPair.right_id.in_(b),
                        MatchPair.status.in_(("pending", "auto")),
                    )
                    .values(status=status, updated_at=utcnow())
                )


def _dirty(session: Session, row_ids: Iterable[int]) -> None:
    from integration.pipeline.resolve import mark_dirty  # the state's bookkeeping

    mark_dirty(session, row_ids)


def merge_in_session(
    session: Session,
    a: str,
    b: str,
    *,
    actor: str,
    reason: str | None,
    pair: tuple[int, int] | None = None,
    pair_id: int | None = None,
) -> tuple[str, int]:
    """Merge golden records a and b now (the older survives); (survivor, decision id)."""
    ga, gb = _load_golden(session, a), _load_golden(session, b)
    if ga.golden_id == gb.golden_id:
        raise IdentityError(f"{a} and {b} are one golden record already ({ga.golden_id})")
    for g in (ga, gb):
        _must_touch_matchable(g)
    in_force = _decisions_in_force(session)
    why = _conflict(in_force, ga.members, gb.members, "must", session)
    if why:
        raise IdentityError(f"cannot merge {ga.golden_id} and {gb.golden_id}: {why}")
    survivor, loser = _older(ga, gb)
    anchor = pair[0] if pair else min(survivor.members)
    everyone = sorted({*survivor.members, *loser.members} - {anchor})
    left, right = pair if pair else (anchor, min(loser.members))
    decision = Decision(
        actor=actor,
        action="merge",
        left_id=left,
        right_id=right,
        golden_id=survivor.golden_id,
        reason=reason,
        detail={
            "golden": [ga.golden_id, gb.golden_id],
            "survivor": survivor.golden_id,
            "retired": loser.golden_id,
            # every member with one anchor: the whole of both records stays together,
            # not only the two rows someone looked at
            "links": [[anchor, m, "must"] for m in everyone],
            **({"pair_id": pair_id} if pair_id is not None else {}),
        },
    )
    session.add(decision)
    session.flush()
    moved = sorted(loser.members)
    for chunk in chunks(moved):
        session.execute(
            update(GoldenMember)
            .where(GoldenMember.row_id.in_(chunk))
            .values(golden_id=survivor.golden_id)
        )
    session.execute(
        update(GoldenCustomer)
        .where(GoldenCustomer.golden_id == loser.golden_id)
        .values(status="retired", merged_into=survivor.golden_id, updated_at=utcnow())
    )
    kw: dict[str, Any] = {"cause": "decision", "decision_id": decision.id}
    events = [event_row("merged", loser.golden_id, other_id=survivor.golden_id, **kw)]
    events += [
        event_row(
            "joined",
            survivor.golden_id,
            row_id=rid,
            member_ref=loser.members[rid][0],
            detail={"from": loser.golden_id},
            **kw,
        )
        for rid in moved
    ]
    record_events(session, events)
    _set_pairs(session, survivor.members, loser.members, "merged")
    _dirty(session, [*survivor.members, *loser.members])
    return survivor.golden_id, decision.id


def merge_golden(engine: Engine, a: str, b: str, *, actor: str, reason: str | None = None) -> str:
    """Merge two golden records now (any two, not only a proposed pair); the older one
    survives, the other is retired with ``merged_into`` the survivor. Returns the survivor.
    Refused (IdentityError) if an earlier decision keeps any of their rows apart."""
    with hub_lock(engine, "resolve", wait=DECISION_WAIT_S), session_scope(engine) as session:
        survivor, _ = merge_in_session(session, a, b, actor=actor, reason=reason)
    return survivor


def apart_in_session(
    session: Session,
    a: str,
    b: str,
    *,
    actor: str,
    reason: str | None,
    pair: tuple[int, int] | None = None,
    pair_id: int | None = None,
) -> int:
    """Keep golden records a and b apart from now on; the decision id."""
    ga, gb = _load_golden(session, a), _load_golden(session, b)
    if ga.golden_id == gb.golden_id:
        raise IdentityError(
            f"{a} and {b} are one golden record ({ga.golden_id}): split a member out instead"
        )
    in_force = _decisions_in_force(session)
    why = _conflict(in_force, ga.members, gb.members, "cannot", session)
    if why:
        raise IdentityError(f"cannot keep {ga.golden_id} and {gb.golden_id} apart: {why}")
    left, right = pair if pair else (min(ga.members), min(gb.members))
    decision = Decision(
        actor=actor,
        action="apart",
        left_id=left,
        right_id=right,
        reason=reason,
        detail={
            "golden": [ga.golden_id, gb.golden_id],
            "links": [[x, y, "cannot"] for x in sorted(ga.members) for y in sorted(gb.members)],
            **({"pair_id": pair_id} if pair_id is not None else {}),
        },
    )
    session.add(decision)
    session.flush()
    _set_pairs(session, ga.members, gb.members, "kept_apart")
    return decision.id


def keep_apart(engine: Engine, a: str, b: str, *, actor: str, reason: str | None = None) -> int:
    """Keep two golden records apart in every later run and refit; the decision id.
    Refused (IdentityError) if an earlier decision merged any of their rows."""
    with hub_lock(engine, "resolve", wait=DECISION_WAIT_S), session_scope(engine) as session:
        return apart_in_session(session, a, b, actor=actor, reason=reason)


def _member_row(session: Session, golden: _Golden, member: int | str) -> int:
    if isinstance(member, int) or (isinstance(member, str) and member.isdigit()):
        rid = int(member)
        if rid in golden.members:
            return rid
    else:
        for rid, (ref, _verdict) in golden.members.items():
            if ref == member:
                return rid
    raise IdentityError(
        f"{member} is not a member of golden record {golden.golden_id} (give a customer "
        "row id or source:stream:key)"
    )


def _relinks(
    in_force: Mapping[tuple[int, int], tuple[str, int]], member: int, others: list[int]
) -> list[tuple[int, int]]:
    """Must-links that keep together the other members an earlier merge decision joined
    through ``member`` (which the split now keeps apart from them)."""
    parent = {x: x for x in others}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    linked_via_member = set()
    for (a, b), (kind, _did) in in_force.items():
        if kind != "must":
            continue
        if a in parent and b in parent:
            parent[root(a)] = root(b)
        elif member in (a, b):
            other = b if a == member else a
            if other in parent:
                linked_via_member.add(other)
    groups = sorted({root(x) for x in linked_via_member})
    return [(groups[0], g) for g in groups[1:]]


def split_in_session(
    session: Session,
    golden_id: str,
    member: int | str,
    *,
    actor: str,
    reason: str | None,
    pair_id: int | None = None,
) -> tuple[str, int]:
    """Move one member out of its golden record into a new one; (new id, decision id)."""
    golden = _load_golden(session, golden_id)
    rid = _member_row(session, golden, member)
    others = sorted(set(golden.members) - {rid})
    if not others:
        raise IdentityError(f"row {rid} is the only member of {golden.golden_id}: nothing to split")
    in_force = _decisions_in_force(session)
    relink = _relinks(in_force, rid, others)
    issued = set(session.scalars(select(GoldenCustomer.golden_id)))
    new_id = fresh_id(golden.members[rid][0], issued)
    links = [[rid, o, "cannot"] for o in others] + [[a, b, "must"] for a, b in relink]
    decision = Decision(
        actor=actor,
        action="split",
        left_id=rid,
        right_id=None,
        golden_id=golden.golden_id,
        reason=reason,
        detail={
            "golden": golden.golden_id,
            "new_golden": new_id,
            "member": golden.members[rid][0],
            "links": links,
            **({"pair_id": pair_id} if pair_id is not None else {}),
        },
    )
    session.add(decision)
    now = utcnow()
    session.add(
        GoldenCustomer(
            golden_id=new_id,
            fields={},
            lineage={},
            facts={},
            content_hash="",
            version=0,
            status="active",
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()
    session.execute(update(GoldenMember).where(GoldenMember.row_id == rid).values(golden_id=new_id))
    kw: dict[str, Any] = {"cause": "decision", "decision_id": decision.id}
    ref = golden.members[rid][0]
    record_events(
        session,
        [
            event_row("split", golden.golden_id, other_id=new_id, row_id=rid, member_ref=ref, **kw),
            event_row("created", new_id, detail={"members": 1, "from": golden.golden_id}, **kw),
            event_row(
                "left", golden.golden_id, row_id=rid, member_ref=ref, detail={"to": new_id}, **kw
            ),
        ],
    )
    _set_pairs(session, [rid], others, "kept_apart")
    _dirty(session, [rid, *others])
    return new_id, decision.id


def split_member(
    engine: Engine,
    golden_id: str,
    member: int | str,
    *,
    actor: str,
    reason: str | None = None,
) -> str:
    """Split one member (a customer_row id or source:stream:key) out of a golden record
    into a new one, kept apart from the others in every later run and refit; returns
    the new golden id. Overrides an earlier merge decision on that member (the others it
    joined stay together)."""
    with hub_lock(engine, "resolve", wait=DECISION_WAIT_S), session_scope(engine) as session:
        new_id, _ = split_in_session(session, golden_id, member, actor=actor, reason=reason)
    return new_id


def golden_of_rows(session: Session, row_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(row_ids))
    out: dict[int, str] = {}
    for chunk in chunks(ids):
        q = select(GoldenMember.row_id, GoldenMember.golden_id).where(
            GoldenMember.row_id.in_(chunk)
        )
        out.update(dict(session.execute(q).all()))
    return out
