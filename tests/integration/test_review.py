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


def _reviewable():  # type: ignore[no-untyped-def]
    """The demo's silos and a CRM with three pairs the matcher is unsure about (the same
    name in the same district, different e-mails)."""
    from tests.integration.test_identity import demo_sources

    sources = demo_sources(150, seed=5)
    crm = []
    for i, (name, city, district) in enumerate(
        (
            ("司马光", "上海市", "浦东新区"),
            ("东方朔", "广州市", "天河区"),
            ("慕容复", "深圳市", "南山区"),
        )
    ):
        for side in "ab":
            crm.append(
                rec(
                    f"{i}{side}",
                    name=name,
                    email=f"{side}{i}@{'example.cn' if side == 'a' else 'qq.com'}",
                    city=city,
                    district=district,
                )
            )
    sources["crm"] = ListSource({"customers": crm}, page_size=100)
    return sources


def _pending(engine) -> dict[tuple[int, int], int]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        q = select(MatchPair).where(MatchPair.status == "pending")
        return {(p.left_id, p.right_id): p.id for p in s.scalars(q)}


def test_a_pending_pair_keeps_its_id_across_runs_and_a_gone_one_is_a_clear_error(engine) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.test_identity import run

    sources = _reviewable()
    run(engine, sources)
    first = _pending(engine)
    assert len(first) >= 2, "the demo data should leave pairs to review"
    # a new record unrelated to anyone: every pending pair stays, with its id
    sources["erp"].data["customers"].append(rec("LONER", name="独孤求败", mobile="13312345678"))
    report = run(engine, sources)
    assert report.mode == "incremental" and report.rows_matched == 1
    assert _pending(engine) == first
    # one record of a pair changes so that the pair is no longer in question
    (left_id, right_id), gone_id = sorted(first.items())[0]
    with session_scope(engine) as s:
        row = s.get(CustomerRow, left_id)
        assert row is not None
        source, key, stream = row.source, row.source_key, row.stream
    sources[source].data[stream].append(rec(key, name="完全不同", email="other@nowhere.cn"))
    run(engine, sources)
    after = _pending(engine)
    assert (left_id, right_id) not in after
    assert {k: v for k, v in first.items() if k in after} == {
        k: v for k, v in after.items() if k in first
    }  # the others kept their ids
    with pytest.raises(ReviewError, match=f"no pair {gone_id}"):
        decide(engine, gone_id, "merge", actor="steward")


def test_two_stewards_answer_at_once_one_wins(engine) -> None:  # type: ignore[no-untyped-def]
    import threading

    from tests.integration.test_identity import run

    run(engine, _reviewable())
    pair_id = sorted(_pending(engine).values())[0]
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def answer(who: str, what: str) -> None:
        barrier.wait()
        try:
            outcomes.append(decide(engine, pair_id, what, actor=who))  # type: ignore[arg-type]
        except ReviewError as exc:
            outcomes.append(exc)

    threads = [
        threading.Thread(target=answer, args=("ann", "merge")),
        threading.Thread(target=answer, args=("bob", "apart")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [o for o in outcomes if isinstance(o, int)]
    losses = [o for o in outcomes if isinstance(o, ReviewError)]
    assert len(wins) == 1 and len(losses) == 1
    assert "no longer pending" in str(losses[0])
    with session_scope(engine) as s:
        assert len(s.scalars(select(Decision)).all()) == 1


def test_merge_answer_applies_at_once_and_the_queue_prints_as_json(engine) -> None:  # type: ignore[no-untyped-def]
    from integration.review import queue
    from tests.integration.test_identity import events, run

    run(engine, _reviewable())
    [entry, *_] = queue(engine, limit=5)
    assert set(entry) == {"id", "score", "left", "right", "fields"}
    assert entry["left"]["golden_id"] and entry["right"]["golden_id"]
    assert all({"level", "weight"} <= set(v) for v in entry["fields"].values())
    decision_id = decide(engine, entry["id"], "merge", actor="steward")
    with session_scope(engine) as s:
        golden = {m.row_id: m.golden_id for m in s.scalars(select(GoldenMember))}
        pair = s.get(MatchPair, entry["id"])
        assert pair is not None and pair.status == "merged"
        assert golden[pair.left_id] == golden[pair.right_id]
    merged = [e for e in events(engine, "merged") if e.decision_id == decision_id]
    if entry["left"]["golden_id"] != entry["right"]["golden_id"]:
        assert len(merged) == 1 and merged[0].cause == "decision"
