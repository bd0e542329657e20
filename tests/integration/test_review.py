"""The review queue: an admin's answer is kept and obeyed by later resolutions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import dedupe
import quality
from integration.pipeline.land import sync_source
from integration.pipeline.resolve import resolve_customers
from integration.pipeline.standardize import standardize
from integration.review import ReviewError, decide, pending_pairs
from integration.store import CustomerRow, Decision, GoldenMember, MatchPair, session_scope
from tests.integration.doubles import ListSource, rec

SETTINGS = dedupe.MatchSettings(upper=0.95, lower=0.6)


def _members(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return {m.source_key: m.golden_id for m in s.scalars(select(GoldenMember))}


def test_merge_answer_joins_two_customers_the_matcher_kept_apart(engine) -> None:  # type: ignore[no-untyped-def]
    # same person, nothing in common the matcher could see: only a person can tell
    source = ListSource(
        {
            "leads": [
                rec("a", name="张伟", mobile="13800138000"),
                rec("b", name="张小伟", email="xw@example.cn"),
            ]
        }
    )
    sync_source(engine, "crm", source)
    standardize(engine, {"crm": source}, quality.default_rules())
    resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)
    assert _members(engine)["a"] != _members(engine)["b"]
    with session_scope(engine) as s:
        ids = {r.source_key: r.id for r in s.scalars(select(CustomerRow))}
        s.add(
            MatchPair(
                left_id=ids["a"], right_id=ids["b"], score=0.7, explanation={}, status="pending"
            )
        )
    [pair] = pending_pairs(engine)
    assert {pair.left, pair.right} == {"crm:leads:a", "crm:leads:b"}
    decide(engine, pair.pair_id, "merge", actor="steward", reason="same person, confirmed")
    assert pending_pairs(engine) == []
    with session_scope(engine) as s:
        assert s.scalars(select(Decision.action)).all() == ["merge"]
    resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)
    assert _members(engine)["a"] == _members(engine)["b"]
    resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)  # and again on the next run
    assert _members(engine)["a"] == _members(engine)["b"]
    with session_scope(engine) as s:
        assert s.scalars(select(MatchPair.status)).all() == ["merged"]


def test_unknown_pair_is_a_clear_error(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReviewError, match="no pair 7"):
        decide(engine, 7, "apart", actor="x")
