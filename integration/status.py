"""What the hub holds now and how its runs went: `chub status`, the demo's summary, the
figures the Dagster assets carry as metadata, and the run log (``hub_run``) they read.

Every sync of a source and every run of a job writes one ``hub_run`` row (started, then
finished with its result), whether Dagster ran it or the CLI did, so the status reads the
same in both worlds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from connectors.http import mask_phones
from integration.errors import ChubError
from integration.hub import Hub
from integration.store import (
    CustomerRow,
    GoldenCustomer,
    GoldenMember,
    MatchPair,
    Outbound,
    SourceRecord,
    SyncState,
    current_revision,
    head_revision,
    session_scope,
)
from integration.store.models import HubRun, utcnow

__all__ = [
    "HubStatus",
    "HubSummary",
    "RunInfo",
    "SourceStatus",
    "finish_run",
    "hub_status",
    "last_run",
    "one_line",
    "record_finished_run",
    "recorded_run",
    "require_migrated",
    "source_status",
    "start_run",
    "status_report",
    "summarize",
]

#: an error message kept in the run log is one line of at most this many characters
_ERROR_CHARS = 500


# ---------------------------------------------------------------------- the run log
def one_line(error: BaseException | str) -> str:
    """The error as one line without personal data (phones masked), for logs and alerts."""
    text = str(error).strip() or type(error).__name__
    line = " ".join(text.split())
    if isinstance(error, BaseException):
        line = f"{type(error).__name__}: {line}"
    return mask_phones(line)[:_ERROR_CHARS]


def start_run(engine: Engine, kind: str, name: str, run_id: str | None = None) -> int:
    with session_scope(engine) as session:
        row = HubRun(kind=kind, name=name, run_id=run_id, status="running", detail={})
        session.add(row)
        session.flush()
        return row.id


def finish_run(
    engine: Engine,
    run: int,
    status: str,
    *,
    error: BaseException | str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    with session_scope(engine) as session:
        row = session.get(HubRun, run)
        if row is None:  # the table was wiped under us: nothing to finish
            return
        row.status = status
        row.finished_at = utcnow()
        row.error = None if error is None else one_line(error)
        if detail is not None:
            row.detail = detail


def record_finished_run(
    engine: Engine,
    kind: str,
    name: str,
    *,
    run_id: str | None,
    status: str,
    started: float | None,
    finished: float | None,
    error: str | None = None,
) -> None:
    """Log a run that is over already (Dagster's run sensors see runs only at their end)."""
    end = datetime.fromtimestamp(finished, UTC) if finished else utcnow()
    begin = datetime.fromtimestamp(started, UTC) if started else end
    with session_scope(engine) as session:
        session.add(
            HubRun(
                kind=kind,
                name=name,
                run_id=run_id,
                status=status,
                started_at=begin,
                finished_at=end,
                error=None if error is None else one_line(error),
                detail={},
            )
        )


@contextmanager
def recorded_run(
    engine: Engine, kind: str, name: str, run_id: str | None = None
) -> Iterator[dict[str, Any]]:
    """Log the block as one run: success, or failure with the error (which is re-raised).

    The block may fill the yielded dict; it is stored as the run's detail.
    """
    detail: dict[str, Any] = {}
    run = start_run(engine, kind, name, run_id)
    try:
        yield detail
    except BaseException as exc:
        finish_run(engine, run, "failure", error=exc, detail=detail)
        raise
    finish_run(engine, run, "success", detail=detail)


@dataclass
class RunInfo:
    kind: str
    name: str
    run_id: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    detail: dict[str, Any]

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return round((_aware(self.finished_at) - _aware(self.started_at)).total_seconds(), 3)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone=True columns; they are UTC
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


def _info(row: HubRun) -> RunInfo:
    return RunInfo(
        row.kind,
        row.name,
        row.run_id,
        row.status,
        row.started_at,
        row.finished_at,
        row.error,
        dict(row.detail or {}),
    )


def last_run(
    engine: Engine, kind: str, name: str | None = None, *, status: str | None = None
) -> RunInfo | None:
    """The latest run of that kind (and name, and status), or None."""
    with session_scope(engine) as session:
        q = select(HubRun).where(HubRun.kind == kind)
        if name is not None:
            q = q.where(HubRun.name == name)
        if status is not None:
            q = q.where(HubRun.status == status)
        row = session.scalars(q.order_by(HubRun.id.desc()).limit(1)).first()
        return None if row is None else _info(row)


# ---------------------------------------------------------------------- per source
@dataclass
class SourceStatus:
    name: str
    last_success: datetime | None
    #: seconds since the last successful sync; None when it never succeeded
    lag_seconds: float | None
    #: source records held (tombstones included) and tombstones among them
    records: int
    deleted: int
    #: records the last successful sync landed (new or changed)
    landed_last_sync: int
    flagged: int
    quarantined: int
    #: the last sync's error when that sync failed; None when the last sync succeeded
    last_error: str | None

    def as_metadata(self) -> dict[str, Any]:
        return {
            "last_success": self.last_success.isoformat() if self.last_success else None,
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 1),
            "records": self.records,
            "landed_last_sync": self.landed_last_sync,
            "flagged": self.flagged,
            "quarantined": self.quarantined,
            "last_error": self.last_error,
        }


def source_status(engine: Engine, name: str) -> SourceStatus:
    with session_scope(engine) as session:
        records, deleted, flagged = session.execute(
            select(
                func.count(),
                func.count().filter(SourceRecord.deleted.is_(True)),
                func.count().filter(SourceRecord.problem.is_not(None)),
            ).where(SourceRecord.source == name)
        ).one()
        quarantined = session.scalar(
            select(func.count()).where(
                CustomerRow.source == name, CustomerRow.verdict == "quarantined"
            )
        )
        states = list(session.scalars(select(SyncState).where(SyncState.source == name)))
    success = last_run(engine, "sync", name, status="success")
    latest = last_run(engine, "sync", name)
    if success is not None and success.finished_at is not None:
        last_success: datetime | None = _aware(success.finished_at)
    else:
        # syncs landed before the run log existed (or by another path) still count
        landed = [_aware(s.updated_at) for s in states if s.updated_at and not s.last_error]
        last_success = max(landed) if landed else None
    if latest is not None and latest.status == "failure":
        last_error = latest.error
    elif latest is None:
        last_error = next((s.last_error for s in states if s.last_error), None)
    else:
        last_error = None
    detail = success.detail if success is not None else {}
    return SourceStatus(
        name=name,
        last_success=last_success,
        lag_seconds=(utcnow() - last_success).total_seconds() if last_success else None,
        records=int(records or 0),
        deleted=int(deleted or 0),
        landed_last_sync=int(detail.get("new", 0)) + int(detail.get("changed", 0)),
        flagged=int(flagged or 0),
        quarantined=int(quarantined or 0),
        last_error=last_error,
    )


# ---------------------------------------------------------------------- the whole hub
@dataclass
class HubStatus:
    sources: list[SourceStatus]
    review_queue: int
    #: sink -> {"dead": n, "failed": n, "ok": n}
    sinks: dict[str, dict[str, int]]
    last_run: RunInfo | None

    def dead_letters(self, sink: str) -> int:
        return self.sinks.get(sink, {}).get("dead", 0)


def review_queue_size(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).where(MatchPair.status == "pending")) or 0)


def sink_counts(engine: Engine) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    with session_scope(engine) as session:
        for sink, status, n in session.execute(
            select(Outbound.sink, Outbound.status, func.count()).group_by(
                Outbound.sink, Outbound.status
            )
        ):
            out.setdefault(sink, {})[status] = n
    return out


def require_migrated(hub: Hub) -> None:
    """Refuse, in one sentence, to read a hub whose schema is missing or behind."""
    from integration.store import check_reachable

    check_reachable(hub.engine)
    where = hub.engine.url.render_as_string(hide_password=True)
    revision = current_revision(hub.engine)
    if revision is None:
        raise ChubError(
            f"the hub database {where} has never been migrated (no hub tables yet): "
            "run `chub db upgrade` first"
        )
    if revision != head_revision():
        raise ChubError(
            f"the hub database {where} is at schema revision {revision}, this chub needs "
            f"{head_revision()}: run `chub db upgrade` first"
        )


def hub_status(hub: Hub) -> HubStatus:
    require_migrated(hub)
    engine = hub.engine
    return HubStatus(
        sources=[source_status(engine, name) for name in sorted(hub.settings.sources)],
        review_queue=review_queue_size(engine),
        sinks=sink_counts(engine),
        last_run=last_run(engine, "job"),
    )


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit} ago"
    return f"{seconds:.0f} s ago"


# ---------------------------------------------------------------------- summary (demo)
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
    s.outbound = sink_counts(engine)
    return s


def _reason_label(reason: Any) -> str:
    if isinstance(reason, dict):
        return f"{reason.get('field', '?')}: {reason.get('message') or reason.get('rule')}"
    return str(reason)


def status_report(hub: Hub) -> str:
    status = hub_status(hub)
    s = summarize(hub.engine)
    lines = [
        f"hub: {hub.engine.url.render_as_string(hide_password=True)}",
        "schema current: yes",
    ]
    run = status.last_run
    if run is None:
        lines.append("last run: none yet")
    else:
        took = f" in {run.seconds:.1f} s" if run.seconds is not None else " (still running)"
        error = f": {run.error}" if run.error else ""
        lines.append(
            f"last run: {run.name} {run.status}{took}, started "
            f"{_aware(run.started_at):%Y-%m-%d %H:%M:%S} UTC{error}"
        )
    lines += ["", "sources:"]
    for src in status.sources:
        lines.append(
            f"  {src.name:<12} last sync {_ago(src.lag_seconds)}; {src.records} records "
            f"({src.deleted} deleted, {src.flagged} flagged), {src.landed_last_sync} landed by "
            f"the last sync, {src.quarantined} quarantined"
        )
        if src.last_error:
            lines.append(f"    last error: {src.last_error}")
        for key, cursor in sorted(s.cursors.items()):
            if key.startswith(src.name + "/"):
                lines.append(f"    {key:<24} cursor {cursor!r}")
    lines += [
        "",
        f"customer rows: {s.rows_ok} ok, {s.rows_quarantined} quarantined",
        *[f"  {n:>5} x {label}" for label, n in s.top_reasons],
        f"clusters: {s.clusters} ({s.multi_member_clusters} with several records)",
        f"pairs: {s.auto_merged_pairs} auto-merged, review queue: {status.review_queue}",
        f"golden customers: {s.golden} ({s.golden_failing_quality} failing quality, held back)",
        "",
        "sinks:",
    ]
    for name in sorted(hub.settings.sinks):
        counts = status.sinks.get(name, {})
        pushed = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing pushed yet"
        lines.append(f"  {name:<12} {status.dead_letters(name)} dead letters; {pushed}")
    return "\n".join(lines)
