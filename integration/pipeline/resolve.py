"""Resolving: customer rows -> clusters (golden ids), obeying admins' decisions.

The hub keeps the engine's state (fitted model, term-frequency tables, prepared records,
scored candidate pairs) in ``matching_state``. A normal run loads it and matches only the
rows that are new, changed or gone since it was saved, against the existing clusters,
with the model frozen; the first run (no state) and ``refit`` learn the model again and
resolve every row. Every change of membership is an identity event with its cause.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import time
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

import dedupe
from dedupe.state import STATE_FORMAT, StateVersionError, dump_state, load_state
from integration.errors import ChubError
from integration.identity import (
    Applied,
    Constraints,
    apply_membership,
    effective_constraints,
    golden_ages,
)
from integration.locks import hub_lock
from integration.review import write_pairs
from integration.store import CustomerRow, GoldenCustomer, GoldenMember, chunks, session_scope
from integration.store.models import MatchingState, as_utc, utcnow

__all__ = [
    "RESOLVABLE",
    "ResolveReport",
    "StateError",
    "engine_version",
    "mark_dirty",
    "refit_and_resolve",
    "resolve_customers",
    "row_ref",
    "SPEC_FIELDS",
]

#: row verdicts that take part in matching
RESOLVABLE = ("ok", "overridden")

#: the canonical fields the engine reads
SPEC_FIELDS = (
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

#: the matching_state row of the engine's state, and the one of rows moved since it
#: was saved (by placement or admin decisions)
STATE_NAME = "engine"
DIRTY_NAME = "engine.dirty"

#: rows stamped this long before the newest row a run saw are read again by the next
#: run: a standardize transaction still open while we read commits rows stamped before
#: our newest one (their digests tell an unchanged re-read from a change). Standardize
#: commits a batch of rows a few seconds after stamping them; this is the margin for it.
IN_FLIGHT = timedelta(seconds=15)


class StateError(ChubError):
    """The stored matching state cannot be used as it is (another engine, other settings)."""


def row_ref(row: Any) -> str:
    """The engine's record id: readable and stable across hub rebuilds."""
    return f"{row.source}:{row.stream}:{row.source_key}"


@dataclass
class ResolveReport:
    #: "full" (first run: no state yet), "refit" or "incremental"
    mode: str = "full"
    rows: int = 0
    clusters: int = 0
    multi_member_clusters: int = 0
    auto_merged_pairs: int = 0
    review_pairs: int = 0
    #: rows matched in this run (all of them when full or refit)
    rows_matched: int = 0
    rows_removed: int = 0
    #: records whose golden id is another than before the run (records present both times)
    records_changed_cluster: int = 0
    events: int = 0
    changes: list[str] = field(default_factory=list)
    excluded_sources: list[str] = field(default_factory=list)
    #: decisions that could not be obeyed this run (a row quarantined or gone), with why
    unapplied_decisions: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_metadata(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "rows": self.rows,
            "clusters": self.clusters,
            "multi_member_clusters": self.multi_member_clusters,
            "auto_merged_pairs": self.auto_merged_pairs,
            "review_pairs": self.review_pairs,
            "rows_matched": self.rows_matched,
            "rows_removed": self.rows_removed,
            "records_changed_cluster": self.records_changed_cluster,
            "identity_events": self.events,
            "cluster_changes": len(self.changes),
            "excluded_sources": self.excluded_sources,
            "unapplied_decisions": self.unapplied_decisions,
            "seconds": self.seconds,
        }


@cache
def engine_version() -> str:
    """A digest of the matching engine's code and of the state format: a state written
    by other code normalized its records another way and must not be mixed with ours."""
    digest = hashlib.sha256(f"format {STATE_FORMAT}".encode())
    package = resources.files("dedupe")
    for name in sorted(p.name for p in package.iterdir() if p.name.endswith(".py")):
        digest.update(name.encode())
        digest.update(package.joinpath(name).read_bytes())
    return digest.hexdigest()[:16]


def _settings_key(spec: dedupe.MatchSpec, settings: dedupe.MatchSettings) -> str:
    """What the state was fitted under; how many workers ran it does not count."""
    cfg = {k: v for k, v in vars(settings).items() if k not in ("workers", "keep_candidates")}
    body = {
        "id": spec.id,
        "fields": {k: str(getattr(v, "value", v)) for k, v in spec.fields.items()},
        "region": spec.region,
        "settings": cfg,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _digest(record: Mapping[str, Any]) -> int:
    body = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode()
    return int.from_bytes(hashlib.blake2b(body, digest_size=8).digest(), "big", signed=True)


@dataclass
class _Row:
    row_id: int
    ref: str
    source: str
    verdict: str
    record: dict[str, Any]
    updated_at: datetime


def _read_rows(session: Session, query: Any) -> list[_Row]:
    out = []
    for rid, source, stream, key, fields, verdict, updated_at in session.execute(query):
        ref = f"{source}:{stream}:{key}"
        values = fields or {}
        record = {"id": ref, **{k: values.get(k) for k in SPEC_FIELDS}}
        out.append(_Row(rid, ref, source, verdict, record, as_utc(updated_at)))
    return out


def _row_columns() -> Any:
    return select(
        CustomerRow.id,
        CustomerRow.source,
        CustomerRow.stream,
        CustomerRow.source_key,
        CustomerRow.fields,
        CustomerRow.verdict,
        CustomerRow.updated_at,
    )


@dataclass
class LoadedState:
    """The stored state: the engine's base resolution and the hub's bookkeeping."""

    base: dedupe.Resolution
    #: per source: the newest customer_row.updated_at the state has seen (ISO)
    watermarks: dict[str, str]
    #: digests of the rows stamped within IN_FLIGHT of their source's watermark
    recent: dict[str, int]
    #: rows moved or added outside a run (placement, admin decisions) since it was saved
    dirty: list[int]
    meta: dict[str, Any]
    #: ref -> stamp (customer_row.updated_at) of the rows the state saw stamped within
    #: IN_FLIGHT of their source's watermark: a row read again with the same stamp has
    #: not been written since, so its fields are not read (empty: a state saved without)
    stamps: dict[str, datetime] = field(default_factory=dict)


def load_matching_state(
    session: Session,
    spec: dedupe.MatchSpec | None = None,
    settings: dedupe.MatchSettings | None = None,
) -> LoadedState | None:
    """The stored state, None if there is none yet; StateError if it cannot be used (of
    another engine version, or fitted under another spec and settings than the ones
    given; none given: the state's own are used, as placement does)."""
    row = session.get(MatchingState, STATE_NAME)
    if row is None:
        return None
    meta = dict(row.meta or {})
    if (
        spec is not None
        and settings is not None
        and meta.get("settings") != _settings_key(spec, settings)
    ):
        raise StateError(
            "the matching spec or thresholds changed since the matching state was fitted: "
            "run `chub resolve --refit` to learn the model again under the new ones"
        )
    try:
        base, extra = load_state(bytes(row.blob), engine_version=engine_version())
    except StateVersionError as exc:
        raise StateError(
            f"the stored matching state was written by another version of the matching "
            f"engine ({exc}): run `chub resolve --refit` to learn it again"
        ) from None
    return LoadedState(
        base=base,
        watermarks=dict(meta.get("watermarks") or {}),
        recent=dict((extra or {}).get("recent") or {}),
        dirty=_dirty_rows(session),
        meta=meta,
        stamps={
            ref: datetime.fromisoformat(at)
            for ref, at in ((extra or {}).get("stamps") or {}).items()
        },
    )


def mark_dirty(session: Session, row_ids: Iterable[int]) -> None:
    """Rows whose membership changed outside a run (placed one by one, or moved by an
    admin decision): the next run matches them again with the stored state. No state
    yet: the next run is a full one anyway."""
    # a row of its own: rewriting the state's row would rewrite its blob (SQLite keeps a
    # row as one record), hundreds of megabytes on a large hub
    row = session.get(MatchingState, DIRTY_NAME)
    if row is None:
        if (
            session.scalar(select(MatchingState.name).where(MatchingState.name == STATE_NAME))
            is None
        ):
            return
        row = MatchingState(name=DIRTY_NAME, version=1, blob=b"", meta={"rows": []})
        session.add(row)
    rows = sorted({*(row.meta or {}).get("rows", []), *map(int, row_ids)})
    row.meta = {"rows": rows}
    row.updated_at = utcnow()


def _dirty_rows(session: Session) -> list[int]:
    meta = session.scalar(select(MatchingState.meta).where(MatchingState.name == DIRTY_NAME))
    return [int(x) for x in (meta or {}).get("rows", [])]


def _save_state(
    session: Session,
    res: dedupe.Resolution,
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    watermarks: dict[str, str],
    recent: dict[str, int],
    *,
    fitted_at: str,
    mode: str,
    stamps: Mapping[str, datetime] | None = None,
) -> None:
    extra: dict[str, Any] = {"recent": recent}
    if stamps is not None:
        extra["stamps"] = {ref: at.isoformat() for ref, at in stamps.items()}
    blob = dump_state(res, engine_version=engine_version(), extra=extra)
    meta = {
        "settings": _settings_key(spec, settings),
        "engine": engine_version(),
        "watermarks": watermarks,
        "fitted_at": fitted_at,
        "records": len(res.ids),
        "prior": float(res.model.prior),
        "last_run": mode,
        "saved_at": utcnow().isoformat(),
    }
    session.execute(delete(MatchingState).where(MatchingState.name == DIRTY_NAME))
    MatchingState.put(session, STATE_NAME, blob, meta)


def _watermarks(rows: Iterable[_Row], old: Mapping[str, str]) -> dict[str, str]:
    marks = {k: as_utc(datetime.fromisoformat(v)) for k, v in old.items()}
    for r in rows:
        if r.source not in marks or r.updated_at > marks[r.source]:
            marks[r.source] = r.updated_at
    return {k: v.isoformat() for k, v in sorted(marks.items())}


def _recent(rows: Iterable[_Row], marks: Mapping[str, str], old: Mapping[str, int]) -> dict:
    """Digests of rows the next run will read again (stamped within IN_FLIGHT)."""
    floor = {k: as_utc(datetime.fromisoformat(v)) - IN_FLIGHT for k, v in marks.items()}
    keep = {ref: d for ref, d in old.items() if ref.split(":", 1)[0] in floor}
    for r in rows:
        if r.verdict in RESOLVABLE and r.updated_at >= floor[r.source]:
            keep[r.ref] = _digest(r.record)
        else:
            keep.pop(r.ref, None)
    return keep


def _in_window(
    window: Mapping[str, datetime], seen: Iterable[_Row], marks: Mapping[str, str]
) -> dict[str, datetime]:
    """Stamps of the rows the next run reads again (stamped within IN_FLIGHT of their
    source's new watermark): those of this run's window, as read."""
    floor = {k: as_utc(datetime.fromisoformat(v)) - IN_FLIGHT for k, v in marks.items()}
    stamps = dict(window)
    stamps.update((r.ref, r.updated_at) for r in seen)
    return {ref: at for ref, at in stamps.items() if at >= floor.get(ref.split(":", 1)[0], at)}


def resolve_customers(
    engine: Engine,
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    *,
    exclude_sources: Collection[str] = (),
    run_id: str | None = None,
    refit: bool = False,
    hold_lock: bool = True,
) -> ResolveReport:
    """Place the rows that changed since the last run into the clusters (all rows on the
    first run, or with ``refit``, which also learns the model again); write the
    crosswalk, the identity events, the pairs worth remembering and the new state.

    Rows of ``exclude_sources`` (held back by a quality gate) keep their last cluster:
    their changes wait for a run that does not hold the source back. ``hold_lock=False``:
    the caller holds the hub lock "resolve" already (the Dagster asset does).
    """
    started = time.monotonic()
    with hub_lock(engine, "resolve") if hold_lock else nullcontext():
        with session_scope(engine) as session:
            loaded = None if refit else load_matching_state(session, spec, settings)
        if loaded is None:
            report = _resolve_all(
                engine, spec, settings, exclude_sources, run_id, "refit" if refit else "full"
            )
        else:
            report = _resolve_changed(engine, spec, settings, loaded, exclude_sources, run_id)
    report.excluded_sources = sorted(exclude_sources)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def refit_and_resolve(
    engine: Engine,
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    run_id: str | None = None,
    *,
    exclude_sources: Collection[str] = (),
    hold_lock: bool = True,
) -> ResolveReport:
    """Learn the model again and re-resolve every row (the nightly job); the report says
    how many records changed cluster (``records_changed_cluster``)."""
    return resolve_customers(
        engine,
        spec,
        settings,
        exclude_sources=exclude_sources,
        run_id=run_id,
        refit=True,
        hold_lock=hold_lock,
    )


def _resolve_all(
    engine: Engine,
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    exclude_sources: Collection[str],
    run_id: str | None,
    mode: str,
) -> ResolveReport:
    report = ResolveReport(mode=mode)
    with session_scope(engine) as session:
        all_seen = [
            r for r in _read_rows(session, _row_columns()) if r.source not in exclude_sources
        ]
        rows = [r for r in all_seen if r.verdict in RESOLVABLE]
        previous = _previous(session)
        issued = _issued(session)
        constraints = effective_constraints(session)
        ages = golden_ages(session) if previous else None
    res = dedupe.resolve(
        [r.record for r in rows],
        spec,
        settings=settings,
        must_link=constraints.must_refs,
        cannot_link=constraints.cannot_refs,
        previous=previous or None,
        cluster_age=ages,
    )
    verdicts = {r.ref: r.verdict for r in all_seen}
    removed = {
        ref: "source" if verdicts.get(ref) == "quarantined" else "deletion"
        for ref in previous
        if ref not in res.clusters and ref.split(":", 1)[0] not in exclude_sources
    }
    applied = _apply(
        engine,
        res,
        previous,
        issued,
        new_rows={r.ref: r for r in rows},
        removed=removed,
        touched=None,
        cause="refit" if mode == "refit" else "engine",
        run_id=run_id,
    )
    with session_scope(engine) as session:
        marks = _watermarks(all_seen, {})
        _save_state(
            session,
            res,
            spec,
            settings,
            marks,
            _recent(all_seen, marks, {}),
            fitted_at=utcnow().isoformat(),
            mode=mode,
            stamps=_in_window({}, all_seen, marks),
        )
    report.rows_matched = len(rows)
    report.rows_removed = len(removed)
    _fill(report, res, applied, constraints)
    return report


def _resolve_changed(
    engine: Engine,
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    loaded: LoadedState,
    exclude_sources: Collection[str],
    run_id: str | None,
) -> ResolveReport:
    report = ResolveReport(mode="incremental")
    base = loaded.base
    known = base.ids  # the state's record ids, sorted

    def in_state(ref: str) -> bool:
        k = bisect.bisect_left(known, ref)
        return k < len(known) and known[k] == ref

    with session_scope(engine) as session:
        seen, window = _changed_rows_and_window(session, engine, loaded, exclude_sources)
        dirty = set(loaded.dirty)
        upserts: dict[str, _Row] = {}
        removed: dict[str, str] = {}
        for r in seen:
            present = in_state(r.ref)
            if r.verdict in RESOLVABLE:
                unchanged = loaded.recent.get(r.ref) == _digest(r.record)
                if present and unchanged and r.row_id not in dirty:
                    continue  # read again within the in-flight margin, unchanged
                upserts[r.ref] = r
            elif present:
                removed[r.ref] = "deletion" if r.verdict == "deleted" else "source"
        # the crosswalk as the stored state left it, with what moved since (placement,
        # admin decisions) read back from the hub
        previous = dict(base.clusters)
        for chunk in chunks([r.row_id for r in seen]):
            q = select(
                GoldenMember.source,
                GoldenMember.stream,
                GoldenMember.source_key,
                GoldenMember.golden_id,
            ).where(GoldenMember.row_id.in_(chunk))
            for s, t, k, g in session.execute(q):
                previous[f"{s}:{t}:{k}"] = g
        constraints = effective_constraints(session)
        base.clusters = previous
        res = dedupe.resolve_incremental(
            base,
            [r.record for r in upserts.values()],
            list(removed),
            must_link=constraints.must_refs,
            cannot_link=constraints.cannot_refs,
            cluster_age=golden_ages(session, lazy=True),
        )
        fresh = set(res.clusters.values()) - set(previous.values())
        issued = _issued(session, among=fresh)
    applied = _apply(
        engine,
        res,
        previous,
        issued,
        new_rows=upserts,
        removed=removed,
        touched={*upserts, *removed, *(r.ref for r in seen if r.row_id in dirty)},
        cause="engine",
        run_id=run_id,
    )
    with session_scope(engine) as session:
        marks = _watermarks(seen, loaded.watermarks)
        stamps = _in_window(window, seen, marks)
        read = {ref.split(":", 1)[0] for ref in window}
        # digests of rows the next run will not read again are of no use to it
        recent = {
            ref: d
            for ref, d in _recent(seen, marks, loaded.recent).items()
            if ref in stamps or ref.split(":", 1)[0] not in read
        }
        _save_state(
            session,
            res,
            spec,
            settings,
            marks,
            recent,
            fitted_at=str(loaded.meta.get("fitted_at", "")),
            mode="incremental",
            stamps=stamps,
        )
    report.rows_matched = len(upserts)
    report.rows_removed = len(removed)
    _fill(report, res, applied, constraints)
    return report


def _changed_rows(
    session: Session, engine: Engine, loaded: LoadedState, exclude_sources: Collection[str]
) -> list[_Row]:
    """The rows of ``_changed_rows_and_window`` (what the partitioned job reads)."""
    return _changed_rows_and_window(session, engine, loaded, exclude_sources)[0]


def _changed_rows_and_window(
    session: Session, engine: Engine, loaded: LoadedState, exclude_sources: Collection[str]
) -> tuple[list[_Row], dict[str, datetime]]:
    """Rows stamped since their source's watermark (less the in-flight margin; every row
    of a source the state has not seen yet) and the rows marked dirty; and the stamp of
    every row in the window (ref -> updated_at). The window is read narrowly first: a
    row the state saw with the same stamp has not been written since and is not read
    (runs close together would otherwise read every row of the last run again)."""
    seen: list[_Row] = []
    window: dict[str, datetime] = {}
    dirty = set(loaded.dirty)
    sources = set(session.scalars(select(CustomerRow.source).distinct()))
    for source in sorted(sources - set(exclude_sources)):
        mark = loaded.watermarks.get(source)
        if mark is None:
            seen.extend(_read_rows(session, _row_columns().where(CustomerRow.source == source)))
            continue
        floor = as_utc(datetime.fromisoformat(mark)) - IN_FLIGHT
        if engine.dialect.name == "sqlite":  # stored naive, in UTC
            floor = floor.replace(tzinfo=None)
        q = select(
            CustomerRow.id, CustomerRow.stream, CustomerRow.source_key, CustomerRow.updated_at
        ).where(CustomerRow.source == source, CustomerRow.updated_at >= floor)
        wanted = []
        for rid, stream, key, updated_at in session.execute(q):
            ref, at = f"{source}:{stream}:{key}", as_utc(updated_at)
            window[ref] = at
            if loaded.stamps.get(ref) != at or rid in dirty:
                wanted.append(rid)
        for chunk in chunks(wanted):
            seen.extend(_read_rows(session, _row_columns().where(CustomerRow.id.in_(chunk))))
    have = {r.row_id for r in seen}
    for chunk in chunks(sorted(set(loaded.dirty) - have)):
        q = _row_columns().where(CustomerRow.id.in_(chunk))
        seen.extend(r for r in _read_rows(session, q) if r.source not in exclude_sources)
    return seen, window


def _previous(session: Session) -> dict[str, str]:
    q = select(
        GoldenMember.source, GoldenMember.stream, GoldenMember.source_key, GoldenMember.golden_id
    )
    return {f"{s}:{t}:{k}": g for s, t, k, g in session.execute(q)}


def _issued(session: Session, among: set[str] | None = None) -> set[str]:
    """Golden ids issued before (all of them, or those of ``among``): a retired id is
    never issued again."""
    if among is None:
        return set(session.scalars(select(GoldenCustomer.golden_id)))
    out: set[str] = set()
    for chunk in chunks(sorted(among)):
        q = select(GoldenCustomer.golden_id).where(GoldenCustomer.golden_id.in_(chunk))
        out.update(session.scalars(q))
    return out


def _apply(
    engine: Engine,
    res: dedupe.Resolution,
    previous: dict[str, str],
    issued: set[str],
    *,
    new_rows: Mapping[str, _Row],
    removed: Mapping[str, str],
    touched: set[str] | None,
    cause: str,
    run_id: str | None,
) -> Applied:
    """The run's result into the hub in one transaction: crosswalk and identity events,
    then the pairs of the records it touched."""
    with session_scope(engine) as session:
        applied = apply_membership(
            session,
            res,
            previous,
            issued,
            new_row_ids={ref: r.row_id for ref, r in new_rows.items()},
            removed=removed,
            touched=touched,
            cause=cause,
            run_id=run_id,
        )
        applied.auto_pairs, applied.pending_pairs = write_pairs(
            session, res, applied.touched, applied.row_ids
        )
    return applied


def _fill(
    report: ResolveReport, res: dedupe.Resolution, applied: Applied, constraints: Constraints
) -> None:
    report.rows = len(res.clusters)
    sizes = Counter(res.clusters.values())
    report.clusters = len(sizes)
    report.multi_member_clusters = sum(1 for n in sizes.values() if n > 1)
    report.changes = [str(c) for c in res.changes[:200]]
    report.auto_merged_pairs = applied.auto_pairs
    report.review_pairs = applied.pending_pairs
    report.records_changed_cluster = applied.records_changed_cluster
    report.events = applied.events
    report.unapplied_decisions = constraints.unapplied
