"""The stewards' decisions are labels: `chub resolve --refit` (``refit_and_resolve``, what
the command runs) learns the weights again with every decided pair's match posterior
clamped (merge 1, keep apart 0), so pairs nobody decided move too."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Engine, select

import dedupe
from integration.pipeline.resolve import load_matching_state, refit_and_resolve
from integration.review import decide
from integration.store import MatchPair, session_scope
from tests.web.review.hubdata import SETTINGS, build_hub


def _weights(engine: Engine) -> dict[str, np.ndarray]:
    with session_scope(engine) as s:
        loaded = load_matching_state(s)
    assert loaded is not None
    model = loaded.base.model
    return {name: model.weights(name) for name in model.m}


def _pending(engine: Engine) -> dict[int, float]:
    with session_scope(engine) as s:
        rows = s.execute(select(MatchPair.id, MatchPair.score).where(MatchPair.status == "pending"))
        return {pid: score for pid, score in rows}


def _refit(engine: Engine) -> Any:
    return refit_and_resolve(engine, dedupe.CUSTOMER_SPEC, SETTINGS)


def test_a_refit_learns_from_the_stewards_decisions(engine: Engine) -> None:
    built = build_hub(engine)
    _refit(engine)
    before, scores_before = _weights(engine), _pending(engine)
    _refit(engine)  # with nothing decided a refit learns the same weights again
    again = _weights(engine)
    assert all(np.array_equal(before[k], again[k]) for k in before)
    kept_apart = built["pending"][:3]
    for pair_id in kept_apart:
        decide(engine, pair_id, "apart", actor="sam", reason="different people")
    _refit(engine)
    after, scores_after = _weights(engine), _pending(engine)
    # three pairs sharing a mobile were different people: a shared mobile says less now
    assert float(np.abs(after["mobile"] - before["mobile"]).max()) > 0.1
    assert not set(kept_apart) & set(scores_after)  # decided, out of the queue for good
    undecided = set(scores_before) & set(scores_after)
    assert undecided, "no pair stayed in question"
    # the pairs nobody decided moved with the weights, all of them down
    assert all(scores_after[p] < scores_before[p] for p in undecided), (
        scores_before,
        scores_after,
    )
