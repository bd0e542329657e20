"""The duplicate-merge review queue: pending pairs and the admins' answers.

Answers are appended to the ``decision`` log and replayed as must-link / cannot-link
constraints by every later resolution, so they outlive re-runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, select

from integration.store import CustomerRow, Decision, MatchPair, session_scope
from integration.store.models import utcnow

__all__ = ["PendingPair", "ReviewError", "decide", "pending_pairs"]

Answer = Literal["merge", "apart"]


class ReviewError(Exception):
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
        return [
            PendingPair(
                p.id,
                p.score,
                _ref(rows[p.left_id]),
                _ref(rows[p.right_id]),
                dict(rows[p.left_id].fields),
                dict(rows[p.right_id].fields),
                dict(p.explanation),
            )
            for p in pairs
        ]


def _ref(row: CustomerRow) -> str:
    return f"{row.source}:{row.stream}:{row.source_key}"


def decide(
    engine: Engine, pair_id: int, answer: Answer, *, actor: str, reason: str | None = None
) -> None:
    """Record an admin's answer on a pair; the next resolution obeys it."""
    if answer not in ("merge", "apart"):
        raise ReviewError(f"answer must be merge or apart, not {answer!r}")
    with session_scope(engine) as session:
        pair = session.get(MatchPair, pair_id)
        if pair is None:
            raise ReviewError(f"there is no pair {pair_id} (see `chub review list`)")
        pair.status = "merged" if answer == "merge" else "kept_apart"
        pair.updated_at = utcnow()
        session.add(
            Decision(
                actor=actor,
                action=answer,
                left_id=pair.left_id,
                right_id=pair.right_id,
                reason=reason,
                detail={"pair_id": pair_id, "score": pair.score},
            )
        )
