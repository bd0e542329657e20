"""The duplicate-merge review queue: pending pairs and the admins' answers.

A pending pair keeps its ``match_pair`` id across runs while its two records are still
in question (``write_pairs`` updates pairs in place and deletes only those no longer in
question), so an id from ``chub review list`` or the review app stays right. An answer
is applied at once (``decide``: the two golden records merged, or kept apart) and
appended to the ``decision`` log, which every later run and refit obeys.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

import dedupe
from dedupe.compare import level_name
from integration.errors import ChubError
from integration.identity import (
    DECISION_WAIT_S,
    IdentityError,
    apart_in_session,
    golden_of_rows,
    merge_in_session,
    split_in_session,
)
from integration.locks import hub_lock
from integration.store import CustomerRow, Decision, GoldenMember, MatchPair, session_scope
from integration.store.models import Base, utcnow

__all__ = ["PendingPair", "ReviewError", "decide", "pending_pairs", "queue", "write_pairs"]

Answer = Literal["merge", "apart"]


class ReviewError(ChubError):
    """A review action cannot be done; the message says why."""


@dataclass(frozen=True)
class PendingPair:
    pair_id: int
    score: float
    left: str
    right: str
    left_fields: dict[str, Any]
    right_fields: dict[str, Any]
    explanation: dict[str, Any]
    left_golden: str | None = None
    right_golden: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The queue entry as ``chub review list --json`` prints it."""
        return {
            "id": self.pair_id,
            "score": self.score,
            "left": {"ref": self.left, "golden_id": self.left_golden},
            "right": {"ref": self.right, "golden_id": self.right_golden},
            "fields": {
                name: {"level": d.get("level"), "weight": d.get("weight")}
                for name, d in sorted(self.explanation.items())
                if isinstance(d, dict)
            },
        }


def pending_pairs(engine: Engine, limit: int = 50) -> list[PendingPair]:
    """Pairs between the thresholds, most likely first."""
    with session_scope(engine) as session:
        pairs = list(
            session.scalars(
                select(MatchPair)
                .where(MatchPair.status == "pending")
                .order_by(MatchPair.score.desc(), MatchPair.id)
                .limit(limit)
            )
        )
        ids = {p.left_id for p in pairs} | {p.right_id for p in pairs}
        rows = {
            r.id: r for r in session.scalars(select(CustomerRow).where(CustomerRow.id.in_(ids)))
        }
        golden = golden_of_rows(session, ids)
        return [
            PendingPair(
                p.id,
                p.score,
                _ref(rows[p.left_id]),
                _ref(rows[p.right_id]),
                dict(rows[p.left_id].fields),
                dict(rows[p.right_id].fields),
                dict(p.explanation),
                golden.get(p.left_id),
                golden.get(p.right_id),
            )
            for p in pairs
        ]


def queue(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    """The review queue as JSON-ready dicts (id, score, both refs and golden ids, fields)."""
    return [p.as_json() for p in pending_pairs(engine, limit)]


def _ref(row: CustomerRow) -> str:
    return f"{row.source}:{row.stream}:{row.source_key}"


def decide(
    engine: Engine, pair_id: int, answer: Answer, *, actor: str, reason: str | None = None
) -> int:
    """Answer a pending pair and apply it at once: ``merge`` merges the two golden records
    (the older survives), ``apart`` keeps them apart (split out of one record if the
    engine had put them together). Returns the decision id.

    The pair is claimed with a conditional UPDATE (pending -> answered) in the same
    transaction as the decision: of two stewards answering at once, one wins and the
    other gets ReviewError, as does an answer on a pair that no longer exists or was
    answered already, or one that conflicts with an earlier decision."""
    if answer not in ("merge", "apart"):
        raise ReviewError(f"answer must be merge or apart, not {answer!r}")
    status = "merged" if answer == "merge" else "kept_apart"
    with hub_lock(engine, "resolve", wait=DECISION_WAIT_S), session_scope(engine) as session:
        claimed = session.execute(
            update(MatchPair)
            .where(MatchPair.id == pair_id, MatchPair.status == "pending")
            .values(status=status, updated_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            now = session.scalar(select(MatchPair.status).where(MatchPair.id == pair_id))
            if now is None:
                raise ReviewError(
                    f"there is no pair {pair_id}: it is no longer in question "
                    "(see `chub review list`)"
                )
            raise ReviewError(f"pair {pair_id} is no longer pending: it is {now}")
        pair = session.get(MatchPair, pair_id)
        assert pair is not None
        try:
            return _apply_answer(session, pair, answer, actor, reason)
        except IdentityError as exc:
            raise ReviewError(f"pair {pair_id}: {exc}") from None


def _apply_answer(
    session: Session, pair: MatchPair, answer: Answer, actor: str, reason: str | None
) -> int:
    rows = {
        r.id: r
        for r in session.scalars(
            select(CustomerRow).where(CustomerRow.id.in_((pair.left_id, pair.right_id)))
        )
    }
    for rid in (pair.left_id, pair.right_id):
        row = rows.get(rid)
        if row is None or row.verdict not in ("ok", "overridden"):
            state = "gone" if row is None else row.verdict
            raise IdentityError(f"row {rid} is {state}: it takes no part in matching")
    golden = golden_of_rows(session, (pair.left_id, pair.right_id))
    left_g, right_g = golden.get(pair.left_id), golden.get(pair.right_id)
    if left_g is None or right_g is None:
        raise IdentityError("one of its rows is in no golden record yet: run `chub resolve`")
    ends = (pair.left_id, pair.right_id)
    if answer == "merge":
        if left_g == right_g:
            d = Decision(
                actor=actor,
                action="merge",
                left_id=pair.left_id,
                right_id=pair.right_id,
                golden_id=left_g,
                reason=reason,
                detail={"pair_id": pair.id, "score": pair.score},
            )
            session.add(d)
            session.flush()
            return d.id
        _, did = merge_in_session(
            session, left_g, right_g, actor=actor, reason=reason, pair=ends, pair_id=pair.id
        )
        return did
    if left_g == right_g:  # together through other records: the right one goes out
        _, did = split_in_session(
            session, left_g, pair.right_id, actor=actor, reason=reason, pair_id=pair.id
        )
        return did
    return apart_in_session(
        session, left_g, right_g, actor=actor, reason=reason, pair=ends, pair_id=pair.id
    )


# -- the pairs of a run -------------------------------------------------------------


def _explanations(
    res: dedupe.Resolution, sel: np.ndarray
) -> list[tuple[str, str, float, str, dict[str, Any], str]]:
    ids, names, left, right, prob, levels, bits, types, dec, notes = res._pair_data
    out = []
    for k in sel.tolist():
        expl = {
            name: {
                "level": level_name(types[c], int(levels[k, c])),
                "weight": round(float(bits[k, c]), 3),
            }
            for c, name in enumerate(names)
        }
        out.append((ids[left[k]], ids[right[k]], round(float(prob[k]), 6), dec[k], expl, notes[k]))
    return out


def write_pairs(
    session: Session,
    res: dedupe.Resolution,
    touched: set[str] | None,
    row_ids: dict[str, int],
    *,
    count: bool = True,
) -> tuple[int, int]:
    """Bring ``match_pair`` in line with a run for the pairs of ``touched`` refs (all if
    None): a pair still in question keeps its row (and id), updated in place; a new one
    is added; an auto / pending pair no longer in question is deleted; answered pairs
    (merged / kept_apart) stay as the record of the answer. Returns the hub's counts of
    auto and pending pairs (0, 0 without ``count``: a scan the one-record path skips)."""
    if not res._pair_data:
        return 0, 0
    ids, _names, left, right = res._pair_data[:4]
    if touched is None:
        sel = np.arange(len(left))
    else:
        mask = np.zeros(len(ids), dtype=bool)
        for ref in touched:
            k = bisect.bisect_left(ids, ref)
            if k < len(ids) and ids[k] == ref:
                mask[k] = True
        sel = np.flatnonzero(mask[left] | mask[right]) if len(left) else np.zeros(0, np.int64)
    wanted = [p for p in _explanations(res, sel) if p[3] != "apart" or p[5].startswith("admin")]
    need = {r for p in wanted for r in p[:2]} - set(row_ids)
    if need:
        row_ids.update(_rows_by_ref(session, need, res.clusters))
    desired: dict[tuple[int, int], tuple[float, dict[str, Any], str]] = {}
    for id_l, id_r, prob, dec, expl, note in wanted:
        a, b = sorted((row_ids[id_l], row_ids[id_r]))
        if note.startswith("admin decision"):
            status = "merged" if dec == "merge" else "kept_apart"
        else:
            status = "auto" if dec == "merge" else "pending"
        desired[(a, b)] = (prob, expl, status)
    if touched is None:
        existing = list(session.scalars(select(MatchPair)))
    else:
        scope = sorted({row_ids[r] for r in touched if r in row_ids})
        seen: dict[int, MatchPair] = {}
        for i in range(0, len(scope), 500):
            chunk = scope[i : i + 500]
            for side in (MatchPair.left_id, MatchPair.right_id):  # an index each
                seen.update(
                    {p.id: p for p in session.scalars(select(MatchPair).where(side.in_(chunk)))}
                )
        existing = list(seen.values())
    now = utcnow()
    have = {(p.left_id, p.right_id): p for p in existing}
    stale = []
    for key, p in have.items():
        if key not in desired:
            if p.status in ("auto", "pending"):
                stale.append(p.id)
            continue
        prob, expl, status = desired[key]
        p.score, p.explanation, p.updated_at = prob, expl, now
        if p.status in ("auto", "pending"):
            p.status = status
    for i in range(0, len(stale), 500):
        session.execute(delete(MatchPair).where(MatchPair.id.in_(stale[i : i + 500])))
    new = [
        dict(left_id=a, right_id=b, score=prob, explanation=expl, status=status, updated_at=now)
        for (a, b), (prob, expl, status) in desired.items()
        if (a, b) not in have
    ]
    for i in range(0, len(new), 5000):
        session.execute(insert(Base.metadata.tables[MatchPair.__tablename__]), new[i : i + 5000])
    session.flush()
    if not count:
        return 0, 0
    counts = dict(
        session.execute(
            select(MatchPair.status, func.count())
            .where(MatchPair.status.in_(("auto", "pending")))
            .group_by(MatchPair.status)
        ).all()
    )
    return int(counts.get("auto", 0)), int(counts.get("pending", 0))


def _rows_by_ref(session: Session, refs: set[str], clusters: dict[str, str]) -> dict[str, int]:
    golden = sorted({clusters[r] for r in refs if r in clusters})
    out: dict[str, int] = {}
    for i in range(0, len(golden), 500):
        q = select(
            GoldenMember.row_id, GoldenMember.source, GoldenMember.stream, GoldenMember.source_key
        ).where(GoldenMember.golden_id.in_(golden[i : i + 500]))
        for rid, s, t, k in session.execute(q):
            ref = f"{s}:{t}:{k}"
            if ref in refs:
                out[ref] = rid
    return out
