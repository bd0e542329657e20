"""The incremental golden build equals a full one.

A hub of generated customers (two silos, duplicates across them), orders keyed to
customers and calls known only by phone goes through a series of changes: names and
e-mails edited, a mobile handed to someone else (the calls follow it), customers deleted
and added (clusters merge, ids retire), orders added, cancelled, deleted and moved to
another customer, an admin merge and split. After each pipeline run (land, standardize,
resolve, golden build, the build incremental), the fingerprint a full build would give
every golden record, from the same code, must be the one stored: a full build would
then skip every record, i.e. it would leave the hub exactly as the incremental one did
(fields, lineage, facts, status, versions, history, events). At the end a real full
build must change nothing.

The check is shown to fail when the incremental build skips one of its dependencies
(membership events, activities that move by key or contact, changed rows).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

import dedupe
import quality
from connectors.contract import RawRecord
from integration.golden import build as golden_build
from integration.golden import incremental
from integration.golden.build import _digest, _load_events, _load_members, _rules_digest
from integration.identity import merge_golden, split_member
from integration.pipeline.land import sync_source
from integration.pipeline.resolve import resolve_customers
from integration.pipeline.standardize import standardize
from integration.sections.golden import CurrencySettings, GoldenSettings
from integration.store import (
    GoldenCustomer,
    GoldenHistory,
    GoldenMember,
    IdentityEvent,
    session_scope,
)
from tests.integration.doubles import rec
from tests.integration.golden_doubles import ShopSource

RULES = quality.default_rules()
MATCH = dedupe.MatchSettings(upper=0.95, lower=0.6)
TYPES = {"erp": "kingdee", "mkt": "hubspot", "cc": "callcenter"}
SETTINGS = GoldenSettings(currency=CurrencySettings(rates={"USD": 7.0}))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
CITIES = ("北京市", "上海市", "广州市", "深圳市", "杭州市")
#: every order and call is on or before this moment, so the facts stay as of one day
LAST = datetime(2026, 6, 30, 12, 0, 0)


def _when(rng: random.Random) -> str:
    return (LAST - timedelta(days=rng.randint(1, 400), hours=rng.randint(0, 10))).isoformat()


class Hub:
    """The silos of a generated hub, and the changes made to them."""

    def __init__(self, people: int, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        customers, leads, orders, calls = [], [], [], []
        for i in range(people):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            mobile = f"139{i:08d}"
            person = dict(
                name=name,
                mobile=mobile,
                email=f"p{i}@example.cn",
                city=rng.choice(CITIES),
                source_updated_at=_when(rng),
            )
            customers.append(rec(f"C{i}", **person))
            if i % 3 == 0:  # the same person in the marketing silo, written differently
                leads.append(rec(f"L{i}", **{**person, "email": f"p{i}@mail.example.cn"}))
            for j in range(rng.randint(0, 3)):
                orders.append(
                    rec(
                        f"O{i}-{j}",
                        customer=f"C{i}",
                        amount=float(rng.randint(10, 900)),
                        at=_when(rng),
                        currency=rng.choice(["CNY", "CNY", "USD"]),
                    )
                )
            if i % 2 == 0:
                calls.append(rec(f"K{i}", phone=mobile, at=_when(rng)))
        orders.append(rec("O-last", customer="C0", amount=1.0, at=LAST.isoformat()))
        calls.append(rec("K-nobody", phone="13700000001", at=_when(rng)))
        self.silos = {
            "erp": ShopSource({"customers": customers, "orders": orders}),
            "mkt": ShopSource({"leads": leads}),
            "cc": ShopSource({"calls": calls}),
        }

    def stream(self, source: str, name: str) -> list[RawRecord]:
        return self.silos[source].data[name]

    def pick(self, source: str, name: str) -> int:
        return self.rng.randrange(len(self.stream(source, name)))

    def edit(self, source: str, stream: str, index: int, **changes: Any) -> None:
        records = self.stream(source, stream)
        old = records[index]
        payload = {k: v for k, v in {**(old.payload or {}), **changes}.items() if v is not None}
        records[index] = rec(old.key, **payload)


def run(engine: Any, hub: Hub) -> golden_build.GoldenReport:
    for name, source in hub.silos.items():
        sync_source(engine, name, source, full=True)
    standardize(engine, hub.silos, RULES)
    resolve_customers(engine, dedupe.CUSTOMER_SPEC, MATCH)
    return build(engine)


def build(engine: Any, **kw: Any) -> golden_build.GoldenReport:
    return golden_build.build_golden(engine, RULES, settings=SETTINGS, source_types=TYPES, **kw)


def differing(engine: Any) -> list[str]:
    """Golden records a full build would look at differently than the stored ones say:
    another fingerprint, or an active record without members (a full build retires it)."""
    out = []
    with session_scope(engine) as s:
        members = _load_members(s, TYPES)
        events = _load_events(s, members)
        as_of = events.newest or golden_build._EPOCH
        rules = _rules_digest(SETTINGS, TYPES)
        for g in s.scalars(select(GoldenCustomer).order_by(GoldenCustomer.golden_id)):
            if g.status == "retired":
                continue
            if not members.groups.get(g.golden_id):
                out.append(f"{g.golden_id}: active without members")
                continue
            fingerprint = _digest(
                [
                    rules,
                    as_of.date().isoformat(),
                    sorted(members.inputs[g.golden_id]),
                    sorted(events.inputs.get(g.golden_id, [])),
                ]
            )
            if (g.lineage or {}).get("_build", {}).get("inputs") != fingerprint:
                out.append(f"{g.golden_id}: stale")
    return out


def snapshot(engine: Any) -> dict[str, Any]:
    with session_scope(engine) as s:
        goldens = {
            g.golden_id: (
                g.version,
                g.content_hash,
                g.fields,
                g.lineage,
                g.facts,
                g.status,
                g.merged_into,
                g.verdict,
            )
            for g in s.scalars(select(GoldenCustomer))
        }
        history = s.scalar(select(func.count()).select_from(GoldenHistory))
        events = s.scalar(select(func.count()).select_from(IdentityEvent))
    return {"goldens": goldens, "history": history, "events": events}


def golden_of(engine: Any, source: str, key: str) -> str:
    with session_scope(engine) as s:
        gid = s.scalar(
            select(GoldenMember.golden_id).where(
                GoldenMember.source == source, GoldenMember.source_key == key
            )
        )
    assert gid is not None
    return gid


def steps(engine: Any, hub: Hub) -> Iterator[str]:
    """Change the silos (and the hub, by admin decisions) one way after another."""
    rng = hub.rng
    hub.edit("erp", "customers", 1, city="重庆市")  # the record changes, its cluster not
    yield "a city edited"
    for _ in range(3):
        hub.edit("erp", "customers", hub.pick("erp", "customers"), name="欧阳" + rng.choice(GIVEN))
    hub.edit("mkt", "leads", hub.pick("mkt", "leads"), email=None)
    yield "names and e-mails edited"
    # a mobile handed to someone else: the calls of that number follow it
    records = hub.stream("erp", "customers")
    a, b = 2, 5
    hub.edit("erp", "customers", b, mobile=(records[a].payload or {})["mobile"])
    hub.edit("erp", "customers", a, mobile="13600000000")
    yield "a mobile moved to another customer"
    # a customer takes the number of another, who stays as she is: the other's calls go
    # to the smaller golden id holding the number, so the unchanged one loses them
    gids = {i: golden_of(engine, "erp", f"C{i}") for i in range(12, 40) if i % 3}
    caller, taker = next(
        (i, x) for i in gids if i % 2 == 0 for x in gids if x % 2 and gids[x] < gids[i]
    )
    hub.edit("erp", "customers", taker, mobile=(records[caller].payload or {})["mobile"])
    yield "a number shared with an unchanged customer"
    del hub.stream("erp", "customers")[7]  # deleted upstream (not served by a full pull)
    hub.stream("erp", "customers").append(rec("C-new", name="新客户", mobile="13700000001"))
    yield "a customer deleted, one added with the number of an unknown caller"
    orders = hub.stream("erp", "orders")
    orders.append(rec("O-more", customer="C3", amount=50.0, at=_when(rng), currency="CNY"))
    hub.edit("erp", "orders", 0, state="cancelled")
    del orders[1]
    moved = hub.pick("erp", "orders")
    hub.edit("erp", "orders", moved, customer="C4")
    yield "orders added, cancelled, deleted, moved to another customer"
    # a duplicate of an existing customer arrives in another silo: the clusters merge
    twin = hub.stream("erp", "customers")[9].payload or {}
    hub.stream("mkt", "leads").append(rec("L-twin", **{**twin, "email": "twin@example.cn"}))
    hub.stream("cc", "calls").append(rec("K-late", phone=twin["mobile"], at=_when(rng)))
    yield "a duplicate in another silo, with a call"
    merge_golden(
        engine, golden_of(engine, "erp", "C10"), golden_of(engine, "erp", "C11"), actor="test"
    )
    yield "an admin merge"
    gid = golden_of(engine, "erp", "C10")
    with session_scope(engine) as s:
        row = s.scalar(
            select(GoldenMember.row_id).where(
                GoldenMember.golden_id == gid, GoldenMember.source_key == "C11"
            )
        )
    assert row is not None
    split_member(engine, gid, row, actor="test")
    yield "an admin split"


def scenario(engine: Any) -> list[str]:
    """Run the steps; the records a full build would have seen otherwise, per step."""
    hub = Hub(people=40, seed=7)
    first = run(engine, hub)
    assert first.mode == "full" and first.created > 0
    assert differing(engine) == []
    found: list[str] = []
    for step in steps(engine, hub):
        report = run(engine, hub)
        assert report.mode == "incremental", step
        assert report.candidates < report.golden, step
        found.extend(f"{step}: {d}" for d in differing(engine))
    return found


def no_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(incremental, "IN_FLIGHT", timedelta(0))
    monkeypatch.setattr(golden_build, "IN_FLIGHT", timedelta(0))


@pytest.fixture(params=["margin", "no margin"])
def margin(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """With the in-flight margin every row and record of the last seconds is looked at
    again (rows told from a change by their stamp); without it only what changed since
    the last build is, as when runs are further apart than the margin."""
    if request.param == "no margin":
        no_margin(monkeypatch)
    return str(request.param)


def test_an_incremental_build_leaves_what_a_full_build_would(engine, margin: str) -> None:  # type: ignore[no-untyped-def]
    assert scenario(engine) == []
    before = snapshot(engine)
    full = build(engine, full=True)
    assert full.mode == "full"
    assert (full.created, full.updated, full.retired) == (0, 0, 0)
    assert full.skipped_unchanged_inputs == full.golden
    assert snapshot(engine) == before
    with session_scope(engine) as s:
        facts = [g.facts for g in s.scalars(select(GoldenCustomer)) if g.status == "active"]
        retired = s.scalar(
            select(func.count())
            .select_from(GoldenCustomer)
            .where(GoldenCustomer.merged_into.is_not(None))
        )
    # the scenario did what it says: calls known by phone, orders, merges
    assert any(f["last_touch"].get("call") for f in facts)
    assert sum(f["orders"] for f in facts) > 20
    assert retired


def test_the_report_is_a_full_builds(engine) -> None:  # type: ignore[no-untyped-def]
    hub = Hub(people=20, seed=3)
    run(engine, hub)
    hub.edit("erp", "customers", 1, name="欧阳娜")
    inc = run(engine, hub)
    assert inc.mode == "incremental" and inc.updated == 1
    again = build(engine, full=True)
    assert (inc.golden, inc.failing_quality) == (again.golden, again.failing_quality)
    assert inc.unchanged == inc.golden - inc.updated - inc.created


def test_other_settings_build_in_full(engine) -> None:  # type: ignore[no-untyped-def]
    hub = Hub(people=10, seed=5)
    run(engine, hub)
    assert build(engine).mode == "incremental"
    other = golden_build.build_golden(engine, RULES, source_types=TYPES)
    assert other.mode == "full"


def _without(name: str, replacement: Callable[..., Any]) -> Callable[[pytest.MonkeyPatch], None]:
    def patch(mp: pytest.MonkeyPatch) -> None:
        target = incremental if hasattr(incremental, name) else golden_build
        mp.setattr(golden_build, name, replacement)
        if target is incremental:
            mp.setattr(incremental, name, replacement)

    return patch


BROKEN = {
    # membership changes not followed: merged / split records keep their old members
    "membership events": _without(
        "membership_changes", lambda s, c: (set(), incremental.Position.parse(c))
    ),
    # activities that move by key or contact, without changing themselves
    "moving activities": _without("_activities_touching", lambda s, g, m: {}),
    # member rows that changed
    "changed rows": _without("changed_rows", lambda marks, state: set()),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_the_check_catches_a_skipped_dependency(
    engine,  # type: ignore[no-untyped-def]
    broken: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_margin(monkeypatch)  # the margin would look at more than it must, hiding the gap
    BROKEN[broken](monkeypatch)
    assert scenario(engine) != []
