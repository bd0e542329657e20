"""What the queue, pair and bulk pages read: pending pairs in the order most worth a
person's time, each pair's two records field by field, and today's tally.

"Most useful first": a pair whose score is nearest the middle of the review band is the
one the matcher is least sure of, and a decision on a pair whose golden records hold
many members settles the most records. Scores are put in bands of 0.05 around that
middle (within a band the uncertainty is about the same), then the pairs touching the
most records come first, then the older pair.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from time import monotonic
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session, aliased

from connectors.contract import CANONICAL_FIELDS
from integration.store import (
    CustomerRow,
    Decision,
    GoldenMember,
    MatchPair,
    SyncState,
    session_scope,
)
from integration.store.models import utcnow
from integration.web.review.diff import Run, char_diff, display

__all__ = [
    "FieldLine",
    "PairView",
    "QueueItem",
    "QueueOrder",
    "count_pending",
    "QueuePage",
    "decided_today",
    "load_pair",
    "neighbours",
    "pending_queue",
    "sources_in_queue",
]

BAND_WIDTH = 0.05
#: fields shown on the pair page, in this order; other fields of the explanation follow
SHOWN_FIELDS = tuple(f for f in CANONICAL_FIELDS if f != "source_updated_at")


@dataclass(frozen=True)
class QueueItem:
    pair_id: int
    score: float
    left_ref: str
    right_ref: str
    left_name: str
    right_name: str
    records: int

    @property
    def sources(self) -> str:
        left, right = self.left_ref.split(":", 1)[0], self.right_ref.split(":", 1)[0]
        return left if left == right else f"{left} · {right}"


@dataclass
class QueuePage:
    items: list[QueueItem]
    left: int
    decided_today: int
    sources: list[str] = field(default_factory=list)


def _ref(row: CustomerRow) -> str:
    return f"{row.source}:{row.stream}:{row.source_key}"


def _golden_sizes(session: Session, golden_ids: set[str]) -> dict[str, int]:
    if not golden_ids:
        return {}
    q = (
        select(GoldenMember.golden_id, func.count())
        .where(GoldenMember.golden_id.in_(golden_ids))
        .group_by(GoldenMember.golden_id)
    )
    return {gid: n for gid, n in session.execute(q)}


def _records_touched(
    left_golden: str | None, right_golden: str | None, sizes: dict[str, int]
) -> int:
    left = sizes.get(left_golden or "", 1)
    if left_golden is not None and left_golden == right_golden:
        return left
    return left + sizes.get(right_golden or "", 1)


def pending_queue(
    engine: Engine,
    threshold: float,
    *,
    source: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
) -> list[QueueItem]:
    """Every pending pair (within the filters), most useful first.

    One query of narrow columns (the names are read out of the JSON in the database, and
    each golden record's size is an index count), so that a queue of tens of thousands of
    pairs is read in well under a second; the order itself is made here.
    """
    left_row, right_row = aliased(CustomerRow), aliased(CustomerRow)
    left_member, right_member = aliased(GoldenMember), aliased(GoldenMember)

    def size_of(member: Any) -> Any:
        counted = aliased(GoldenMember)
        return (
            select(func.count())
            .where(counted.golden_id == member.golden_id)
            .correlate(member)
            .scalar_subquery()
        )

    def name_of(row: Any) -> Any:
        return func.coalesce(row.fields["name"].as_string(), row.fields["company_name"].as_string())

    q = (
        select(
            MatchPair.id,
            MatchPair.score,
            left_row.source,
            left_row.stream,
            left_row.source_key,
            name_of(left_row),
            right_row.source,
            right_row.stream,
            right_row.source_key,
            name_of(right_row),
            left_member.golden_id,
            right_member.golden_id,
            size_of(left_member),
            size_of(right_member),
        )
        .join(left_row, left_row.id == MatchPair.left_id)
        .join(right_row, right_row.id == MatchPair.right_id)
        .outerjoin(left_member, left_member.row_id == MatchPair.left_id)
        .outerjoin(right_member, right_member.row_id == MatchPair.right_id)
        .where(MatchPair.status == "pending")
    )
    if source:
        q = q.where(or_(left_row.source == source, right_row.source == source))
    if min_score is not None:
        q = q.where(MatchPair.score >= min_score)
    if max_score is not None:
        q = q.where(MatchPair.score < max_score)
    with session_scope(engine) as session:
        found = session.execute(q).all()
    items = []
    for pair_id, score, ls, lst, lk, ln, rs, rst, rk, rn, lg, rg, lsize, rsize in found:
        if lg is not None and lg == rg:
            records = int(lsize or 1)
        else:
            records = int(lsize or 1) + int(rsize or 1)
        left_ref, right_ref = f"{ls}:{lst}:{lk}", f"{rs}:{rst}:{rk}"
        items.append(QueueItem(pair_id, score, left_ref, right_ref, ln or "", rn or "", records))
    items.sort(key=lambda i: (int(abs(i.score - threshold) / BAND_WIDTH), -i.records, i.pair_id))
    return items


def decided_today(engine: Engine) -> int:
    """Pairs answered (merge or keep apart) since midnight UTC."""
    midnight = datetime.combine(utcnow().date(), time.min, tzinfo=utcnow().tzinfo)
    with session_scope(engine) as session:
        n = session.scalar(
            select(func.count())
            .select_from(Decision)
            .where(Decision.action.in_(("merge", "apart")), Decision.at >= midnight)
        )
    return int(n or 0)


def sources_in_queue(engine: Engine) -> list[str]:
    """The sources to filter by: those the hub lands (a small table, not the rows)."""
    with session_scope(engine) as session:
        return sorted(set(session.scalars(select(SyncState.source).distinct())))


def neighbours(items: list[QueueItem], pair_id: int) -> tuple[int | None, int | None]:
    """The pairs before and after ``pair_id`` in queue order (None at either end)."""
    ids = [i.pair_id for i in items]
    if pair_id not in ids:
        return None, (ids[0] if ids else None)
    at = ids.index(pair_id)
    return (ids[at - 1] if at > 0 else None), (ids[at + 1] if at + 1 < len(ids) else None)


class QueueOrder:
    """The queue's order per filter, kept for ``ttl`` seconds, so that moving from pair to
    pair (and back to the queue) does not re-read and re-sort a long queue: each page only
    checks, in small queries, which pairs of that order are still pending. A pair added by
    a run meanwhile joins the order when it is read again (at the latest after ``ttl``, at
    once when a page asks about a pair the kept order does not know)."""

    WINDOW = 50

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._orders: dict[tuple[Any, ...], tuple[float, list[QueueItem], dict[int, int], int]] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._orders.clear()

    def _key(self, engine: Engine, threshold: float, filters: tuple[Any, ...]) -> tuple[Any, ...]:
        return (engine.url.render_as_string(hide_password=True), threshold, *filters)

    def _order(
        self, engine: Engine, threshold: float, filters: tuple[Any, ...], *, fresh: bool = False
    ) -> tuple[list[QueueItem], dict[int, int], bool]:
        """(the items in order, their positions by pair id, whether read just now). A
        pair id above any the kept order saw means a run added pairs: read it again."""
        key = self._key(engine, threshold, filters)
        with self._lock:
            kept = self._orders.get(key)
        with session_scope(engine) as session:
            newest = int(session.scalar(select(func.max(MatchPair.id))) or 0)
        if (
            kept is not None
            and not fresh
            and monotonic() - kept[0] < self.ttl
            and newest <= kept[3]
        ):
            return kept[1], kept[2], False
        source, lo, hi = filters
        items = pending_queue(engine, threshold, source=source, min_score=lo, max_score=hi)
        position = {item.pair_id: n for n, item in enumerate(items)}
        with self._lock:
            self._orders[key] = (monotonic(), items, position, newest)
        return items, position, True

    def page(
        self,
        engine: Engine,
        threshold: float,
        filters: tuple[Any, ...],
        *,
        skip: int,
        size: int,
    ) -> tuple[list[QueueItem], bool]:
        """The still-pending items ``skip`` to ``skip + size`` of the order, and whether
        more follow."""
        items, _, _ = self._order(engine, threshold, filters)
        wanted = skip + size + 1
        alive: list[QueueItem] = []
        for start in range(0, len(items), self.WINDOW * 4):
            window = items[start : start + self.WINDOW * 4]
            still = _pending_among(engine, [i.pair_id for i in window])
            alive.extend(i for i in window if i.pair_id in still)
            if len(alive) >= wanted:
                break
        return alive[skip : skip + size], len(alive) > skip + size

    def around(
        self,
        engine: Engine,
        threshold: float,
        pair_id: int,
        *,
        source: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
    ) -> tuple[int | None, int | None]:
        """The nearest still-pending pairs before and after ``pair_id`` in queue order."""
        filters = (source, min_score, max_score)
        items, position, fresh = self._order(engine, threshold, filters)
        if pair_id not in position and not fresh:
            # a pair the kept order does not know: a run has rewritten the queue since
            items, position, _ = self._order(engine, threshold, filters, fresh=True)
        ids = [i.pair_id for i in items]
        at = position.get(pair_id)
        if at is None:  # decided and gone, or filtered out: start from the top
            return None, _first_pending(engine, ids, exclude=pair_id)
        after = _first_pending(engine, ids[at + 1 :], exclude=pair_id)
        before = _first_pending(engine, ids[:at][::-1], exclude=pair_id)
        return before, after


def _pending_among(engine: Engine, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    with session_scope(engine) as session:
        return set(
            session.scalars(
                select(MatchPair.id).where(MatchPair.id.in_(ids), MatchPair.status == "pending")
            )
        )


def _first_pending(engine: Engine, candidates: list[int], *, exclude: int) -> int | None:
    for start in range(0, len(candidates), QueueOrder.WINDOW):
        window = [c for c in candidates[start : start + QueueOrder.WINDOW] if c != exclude]
        pending = _pending_among(engine, window)
        for c in window:
            if c in pending:
                return c
    return None


def count_pending(
    engine: Engine,
    *,
    source: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
) -> int:
    """How many pairs are left (within the filters): one count, no order."""
    q = select(func.count()).select_from(MatchPair).where(MatchPair.status == "pending")
    if source:
        left_row, right_row = aliased(CustomerRow), aliased(CustomerRow)
        q = (
            q.join(left_row, left_row.id == MatchPair.left_id)
            .join(right_row, right_row.id == MatchPair.right_id)
            .where(or_(left_row.source == source, right_row.source == source))
        )
    if min_score is not None:
        q = q.where(MatchPair.score >= min_score)
    if max_score is not None:
        q = q.where(MatchPair.score < max_score)
    with session_scope(engine) as session:
        return int(session.scalar(q) or 0)


@dataclass(frozen=True)
class FieldLine:
    name: str
    left: list[Run]
    right: list[Run]
    level: str | None
    weight: float | None
    differs: bool


@dataclass(frozen=True)
class Side:
    row_id: int
    ref: str
    source: str
    verdict: str
    golden_id: str | None
    golden_size: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class PairView:
    pair_id: int
    score: float
    status: str
    left: Side
    right: Side
    lines: list[FieldLine]
    #: engine-only comparisons (``~phone``: any phone of one against any of the other)
    extra: list[tuple[str, str, float]]

    @property
    def same_golden(self) -> bool:
        return self.left.golden_id is not None and self.left.golden_id == self.right.golden_id


def load_pair(engine: Engine, pair_id: int, *, mask: Any = None) -> PairView | None:
    """The pair with both records field by field; ``mask(field, value)`` masks values for a
    viewer before they are compared, so that not even the diff tells what was hidden."""
    with session_scope(engine) as session:
        pair = session.get(MatchPair, pair_id)
        if pair is None:
            return None
        left_row = session.get(CustomerRow, pair.left_id)
        right_row = session.get(CustomerRow, pair.right_id)
        if left_row is None or right_row is None:
            return None
        golden = dict(
            session.execute(
                select(GoldenMember.row_id, GoldenMember.golden_id).where(
                    GoldenMember.row_id.in_((left_row.id, right_row.id))
                )
            ).all()
        )
        sizes = _golden_sizes(session, set(golden.values()))
        sides = [
            Side(
                row.id,
                _ref(row),
                row.source,
                row.verdict,
                golden.get(row.id),
                sizes.get(golden.get(row.id) or "", 0),
                dict(row.fields),
            )
            for row in (left_row, right_row)
        ]
        explanation = dict(pair.explanation or {})
        score, status = pair.score, pair.status
    lines = []
    names = [
        f for f in SHOWN_FIELDS if f in explanation or f in sides[0].fields or f in sides[1].fields
    ]
    for name in names:
        lv, rv = sides[0].fields.get(name), sides[1].fields.get(name)
        if mask is not None:
            lv, rv = mask(name, lv), mask(name, rv)
        lt, rt = display(lv), display(rv)
        if not lt and not rt:  # neither record has it: nothing to judge
            continue
        left_runs, right_runs = char_diff(lt, rt)
        info = explanation.get(name) or {}
        lines.append(
            FieldLine(
                name,
                left_runs,
                right_runs,
                info.get("level"),
                info.get("weight"),
                bool(lt and rt and lt != rt),
            )
        )
    extra = [
        (name, str(info.get("level")), float(info.get("weight") or 0.0))
        for name, info in explanation.items()
        if name not in SHOWN_FIELDS and isinstance(info, dict)
    ]
    return PairView(pair_id, score, status, sides[0], sides[1], lines, extra)


def count_by_status(engine: Engine) -> Counter[str]:
    with session_scope(engine) as session:
        return Counter(
            dict(
                session.execute(
                    select(MatchPair.status, func.count()).group_by(MatchPair.status)
                ).all()
            )
        )
