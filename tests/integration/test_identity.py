"""The hub as a system of record: persisted matching state, identity events with their
causes, admin decisions applied at once and kept through every run and refit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

import dedupe
import quality
from connectors.contract import RawRecord
from integration.demo.data import generate
from integration.errors import ChubError
from integration.events import follow
from integration.identity import IdentityError, keep_apart, merge_golden, split_member
from integration.pipeline.land import sync_source
from integration.pipeline.resolve import (
    StateError,
    refit_and_resolve,
    resolve_customers,
)
from integration.pipeline.standardize import standardize
from integration.store import (
    CustomerRow,
    GoldenCustomer,
    GoldenMember,
    IdentityEvent,
    session_scope,
)
from integration.store.models import MatchingState
from tests.integration.doubles import ListSource, rec

SETTINGS = dedupe.MatchSettings(upper=0.95, lower=0.6)
SPEC = dedupe.CUSTOMER_SPEC
RULES = quality.default_rules()
_FIELDS = ("name", "mobile", "email", "province", "city", "district", "address", "company_name")


def demo_sources(people: int, seed: int = 3) -> dict[str, ListSource]:
    """The demo generator's silos as list sources of canonical customer fields."""
    data = generate(people, seed=seed)
    out = {}
    for silo, rows in data.silos.items():
        records = [
            rec(f"{r.get('id', 'X')}-{i}", **{k: r[k] for k in _FIELDS if r.get(k)})
            for i, r in enumerate(rows)
        ]
        out[silo] = ListSource({"customers": records}, page_size=500)
    return out


def run(engine: Engine, sources: dict[str, ListSource], **kw: Any) -> Any:
    for name, source in sources.items():
        sync_source(engine, name, source)
    standardize(engine, sources, RULES)
    return resolve_customers(engine, SPEC, SETTINGS, **kw)


def members(engine: Engine) -> dict[str, str]:
    with session_scope(engine) as s:
        return {
            f"{m.source}:{m.stream}:{m.source_key}": m.golden_id
            for m in s.scalars(select(GoldenMember))
        }


def events(engine: Engine, kind: str | None = None) -> list[IdentityEvent]:
    with session_scope(engine) as s:
        q = select(IdentityEvent).order_by(IdentityEvent.id)
        if kind:
            q = q.where(IdentityEvent.kind == kind)
        return list(s.scalars(q))


def two_people() -> dict[str, ListSource]:
    """Two customers nothing connects (only a person could tell they are one)."""
    return {
        "crm": ListSource(
            {
                "leads": [
                    rec("a", name="张伟", mobile="13800138000"),
                    rec("b", name="李娜", email="li.na@example.cn"),
                    rec("c", name="王芳", mobile="13900139000"),
                ]
            }
        )
    }


def test_first_run_fits_and_saves_state_then_only_changes_are_matched(engine) -> None:  # type: ignore[no-untyped-def]
    sources = demo_sources(80)
    first = run(engine, sources)
    assert first.mode == "full" and first.rows_matched == first.rows > 100
    with session_scope(engine) as s:
        state = s.get(MatchingState, "engine")
        assert state is not None and len(state.blob) > 1000
        assert state.meta["records"] == first.rows
    before = members(engine)
    again = run(engine, sources)
    assert again.mode == "incremental"
    assert again.rows_matched == 0 and again.records_changed_cluster == 0
    assert members(engine) == before
    # one record changes, one is new: only those two are matched (the source serves
    # the changed record again after its cursor, as a changed-since feed does)
    rows = sources["erp"].data["customers"]
    rows.append(rec(rows[0].key, name="欧阳娜娜", mobile="13700137000"))
    rows.append(rec("NEW-1", name="欧阳娜娜", mobile="13700137000"))
    third = run(engine, sources)
    assert third.mode == "incremental" and third.rows_matched == 2
    after = members(engine)
    assert after[f"erp:customers:{rows[0].key}"] == after["erp:customers:NEW-1"]
    unchanged = {
        k: v for k, v in before.items() if not k.startswith(f"erp:customers:{rows[0].key}")
    }
    moved = [k for k, v in unchanged.items() if after.get(k) != v]
    assert len(moved) <= 2  # the edited record's old cluster-mates at most


def test_a_state_of_another_engine_version_is_refused_until_refit(engine) -> None:  # type: ignore[no-untyped-def]
    sources = two_people()
    run(engine, sources)
    with session_scope(engine) as s:
        state = s.get(MatchingState, "engine")
        assert state is not None
        state.blob = state.blob.replace(b'"engine": "', b'"engine": "old', 1)
    with pytest.raises(StateError, match="--refit"):
        run(engine, sources)
    report = refit_and_resolve(engine, SPEC, SETTINGS)
    assert report.mode == "refit" and report.records_changed_cluster == 0
    assert run(engine, sources).mode == "incremental"


def test_other_thresholds_are_refused_until_refit(engine) -> None:  # type: ignore[no-untyped-def]
    run(engine, two_people())
    with pytest.raises(StateError, match="thresholds"):
        resolve_customers(engine, SPEC, dedupe.MatchSettings(upper=0.9, lower=0.5))


def test_events_created_joined_left_retired_with_their_causes(engine) -> None:  # type: ignore[no-untyped-def]
    sources = two_people()
    run(engine, sources, run_id="run-1")
    created = events(engine, "created")
    assert len(created) == 3 and {e.cause for e in created} == {"engine"}
    assert {e.run_id for e in created} == {"run-1"}
    gid_a = members(engine)["crm:leads:a"]
    # a new record with a's mobile and name joins a's golden record
    sources["crm"].data["leads"].append(rec("d", name="张伟", mobile="13800138000"))
    run(engine, sources, run_id="run-2")
    [joined] = events(engine, "joined")
    assert (joined.golden_id, joined.member_ref, joined.run_id) == (gid_a, "crm:leads:d", "run-2")
    assert joined.cause == "engine"
    # d is deleted upstream: it leaves a's record, cause deletion
    leads = sources["crm"].data["leads"]
    leads.append(RawRecord(key="d", payload=None, deleted=True))
    run(engine, sources, run_id="run-3")
    [left] = events(engine, "left")
    assert (left.golden_id, left.member_ref, left.cause) == (gid_a, "crm:leads:d", "deletion")
    # c, alone in its record, is deleted: its record is retired, cause deletion
    gid_c = members(engine)["crm:leads:c"]
    leads.append(RawRecord(key="c", payload=None, deleted=True))
    run(engine, sources, run_id="run-4")
    [retired] = events(engine, "retired")
    assert (retired.golden_id, retired.cause, retired.run_id) == (gid_c, "deletion", "run-4")
    with session_scope(engine) as s:
        golden = s.get(GoldenCustomer, gid_c)
        assert golden is not None and golden.status == "retired"


def test_merge_is_applied_at_once_and_survives_runs_and_refits(engine) -> None:  # type: ignore[no-untyped-def]
    sources = two_people()
    run(engine, sources)
    m = members(engine)
    a, b = m["crm:leads:a"], m["crm:leads:b"]
    with session_scope(engine) as s:  # b's record is the older one: it survives
        older = s.get(GoldenCustomer, a)
        assert older is not None
        s.execute(
            update(GoldenCustomer)
            .where(GoldenCustomer.golden_id == b)
            .values(created_at=older.created_at - timedelta(days=1))
        )
    survivor = merge_golden(engine, a, b, actor="steward", reason="same person, phoned")
    assert survivor == b
    m = members(engine)
    assert m["crm:leads:a"] == m["crm:leads:b"] == b  # at once, no run needed
    [merged] = events(engine, "merged")
    assert (merged.golden_id, merged.other_id, merged.cause) == (a, b, "decision")
    assert merged.decision_id is not None
    with session_scope(engine) as s:
        retired = s.get(GoldenCustomer, a)
        assert retired is not None and (retired.status, retired.merged_into) == ("retired", b)
        assert follow(s, a) == b
    for _ in range(2):
        run(engine, sources)
        assert members(engine)["crm:leads:a"] == members(engine)["crm:leads:b"] == b
    refit_and_resolve(engine, SPEC, SETTINGS)
    assert members(engine)["crm:leads:a"] == members(engine)["crm:leads:b"] == b
    # the retired id is never given out again: c's record keeps its own id
    assert members(engine)["crm:leads:c"] not in (a,)


def test_split_is_applied_at_once_and_survives_refits(engine) -> None:  # type: ignore[no-untyped-def]
    sources = two_people()
    sources["crm"].data["leads"].append(rec("d", name="张伟", mobile="13800138000"))
    run(engine, sources)
    m = members(engine)
    gid = m["crm:leads:a"]
    assert m["crm:leads:d"] == gid
    new_id = split_member(engine, gid, "crm:leads:d", actor="steward", reason="two people")
    m = members(engine)
    assert m["crm:leads:d"] == new_id != m["crm:leads:a"] == gid
    [split] = events(engine, "split")
    assert (split.golden_id, split.other_id, split.cause) == (gid, new_id, "decision")
    assert split.decision_id is not None
    run(engine, sources)
    refit_and_resolve(engine, SPEC, SETTINGS)
    m = members(engine)
    assert m["crm:leads:d"] != m["crm:leads:a"]


def test_conflicting_decisions_are_refused_with_the_reason(engine) -> None:  # type: ignore[no-untyped-def]
    sources = two_people()
    run(engine, sources)
    m = members(engine)
    a, b, c = m["crm:leads:a"], m["crm:leads:b"], m["crm:leads:c"]
    keep_apart(engine, a, b, actor="steward")
    with pytest.raises(IdentityError, match="keeps them apart"):
        merge_golden(engine, a, b, actor="someone else")
    assert isinstance(IdentityError("x"), ChubError)
    with pytest.raises(IdentityError, match="no golden record"):
        merge_golden(engine, a, "C000000000000", actor="x")
    # a merge touching a quarantined row would not be obeyed: refused, not dropped
    with session_scope(engine) as s:
        s.execute(
            update(CustomerRow).where(CustomerRow.source_key == "c").values(verdict="quarantined")
        )
    with pytest.raises(IdentityError, match="quarantined"):
        merge_golden(engine, a, c, actor="x")
    with pytest.raises(IdentityError, match="only member"):
        split_member(engine, a, "crm:leads:a", actor="x")
