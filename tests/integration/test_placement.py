"""The one-record path: a new or changed row placed into its golden record at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import quality
from connectors.contract import RawRecord
from integration.pipeline.land import sync_source
from integration.pipeline.standardize import standardize
from integration.placement import PlacementError, place_rows
from integration.store import CustomerRow, GoldenCustomer, session_scope
from tests.integration.doubles import rec
from tests.integration.test_identity import events, members, run, two_people


def _land(engine, sources) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Land and standardize only (what a callback worker does before placing)."""
    for name, source in sources.items():
        sync_source(engine, name, source)
    standardize(engine, sources, quality.default_rules())
    with session_scope(engine) as s:
        return {r.source_key: r.id for r in s.scalars(select(CustomerRow))}


def test_without_a_state_placement_says_to_run_first(engine) -> None:  # type: ignore[no-untyped-def]
    ids = _land(engine, two_people())
    with pytest.raises(PlacementError, match="chub resolve"):
        place_rows(engine, [ids["a"]])


def test_a_new_contact_joins_its_golden_record_without_a_run(engine) -> None:  # type: ignore[no-untyped-def]
    sources = two_people()
    run(engine, sources)
    gid_a = members(engine)["crm:leads:a"]
    sources["crm"].data["leads"].append(rec("d", name="张伟", mobile="+86 138 0013 8000"))
    sources["crm"].data["leads"].append(rec("e", name="赵敏", mobile="13511112222"))
    ids = _land(engine, sources)
    report = place_rows(engine, [ids["d"], ids["e"]], run_id="callback-1")
    outcome = {p.ref: (p.golden_id, p.outcome) for p in report.placed}
    assert outcome["crm:leads:d"] == (gid_a, "joined")
    new_id, kind = outcome["crm:leads:e"]
    assert kind == "created"
    assert [ref for ref, g in members(engine).items() if g == new_id] == ["crm:leads:e"]
    assert members(engine)["crm:leads:d"] == gid_a
    joined = [e for e in events(engine, "joined") if e.member_ref == "crm:leads:d"]
    assert len(joined) == 1 and joined[0].detail["path"] == "placement"
    assert joined[0].run_id == "callback-1"
    with session_scope(engine) as s:
        assert s.get(GoldenCustomer, new_id) is not None
    # the next run matches the placed rows again with the full engine: same answer
    again = run(engine, sources)
    assert again.mode == "incremental" and again.rows_matched >= 2
    assert members(engine)["crm:leads:d"] == gid_a
    assert members(engine)["crm:leads:e"] == new_id


def test_a_row_that_left_matching_leaves_its_golden_record(engine) -> None:  # type: ignore[no-untyped-def]
    sources = two_people()
    run(engine, sources)
    gid_b = members(engine)["crm:leads:b"]
    sources["crm"].data["leads"].append(RawRecord(key="b", payload=None, deleted=True))
    ids = _land(engine, sources)
    [placed] = place_rows(engine, [ids["b"]]).placed
    assert (placed.golden_id, placed.outcome) == (None, "removed")
    assert "crm:leads:b" not in members(engine)
    [retired] = [e for e in events(engine, "retired") if e.golden_id == gid_b]
    assert retired.cause == "deletion"


def test_a_changed_row_moves_to_the_record_it_matches_now(engine) -> None:  # type: ignore[no-untyped-def]
    sources = two_people()
    run(engine, sources)
    m = members(engine)
    # c takes a's name and mobile: it belongs with a now; its own record is retired
    sources["crm"].data["leads"].append(rec("c", name="张伟", mobile="13800138000"))
    ids = _land(engine, sources)
    [placed] = place_rows(engine, [ids["c"]]).placed
    assert (placed.golden_id, placed.outcome) == (m["crm:leads:a"], "joined")
    [retired] = [e for e in events(engine, "retired") if e.golden_id == m["crm:leads:c"]]
    assert retired.cause == "engine"
    with pytest.raises(PlacementError, match="no customer row"):
        place_rows(engine, [10**9])
