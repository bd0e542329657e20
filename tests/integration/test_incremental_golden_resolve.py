"""The resolve stage's re-read window: rows the stored state saw with the same stamp are
not read again, so two runs close together do not read every row of the first again.
(That the clusters stay those of a full re-resolve: test_resolve_equivalence.py.)"""

from __future__ import annotations

from typing import Any

import pytest

import dedupe
import quality
from integration.pipeline import resolve
from integration.pipeline.land import sync_source
from integration.pipeline.standardize import standardize
from tests.integration.doubles import rec
from tests.integration.golden_doubles import ShopSource

RULES = quality.default_rules()
MATCH = dedupe.MatchSettings(upper=0.95, lower=0.6)


def _source(n: int) -> ShopSource:
    return ShopSource(
        {
            "customers": [
                rec(f"C{i}", name=f"客户{i}", mobile=f"139{i:08d}", email=f"p{i}@example.cn")
                for i in range(n)
            ]
        }
    )


def _run(engine: Any, source: ShopSource) -> resolve.ResolveReport:
    sync_source(engine, "erp", source, full=True)
    standardize(engine, {"erp": source}, RULES)
    return resolve.resolve_customers(engine, dedupe.CUSTOMER_SPEC, MATCH)


def test_rows_seen_with_their_stamp_are_not_read_again(
    engine,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = _source(30)
    assert _run(engine, source).mode == "full"
    read: list[str] = []
    real = resolve._read_rows

    def counting(session: Any, query: Any) -> list[Any]:
        rows = real(session, query)
        read.extend(r.ref for r in rows)
        return rows

    monkeypatch.setattr(resolve, "_read_rows", counting)
    records = source.data["customers"]
    records[4] = rec("C4", name="客户四", mobile="13900000004", email="p4@example.cn")
    # within the in-flight margin of the first run: every row is in the window
    report = _run(engine, source)
    assert report.mode == "incremental" and report.rows_matched == 1
    assert read == ["erp:customers:C4"]
    read.clear()
    report = _run(engine, source)  # nothing changed: nothing read, nothing matched
    assert read == [] and report.rows_matched == 0


def test_a_state_without_stamps_reads_the_window(engine) -> None:  # type: ignore[no-untyped-def]
    source = _source(10)
    _run(engine, source)
    from integration.store import session_scope

    with session_scope(engine) as s:
        loaded = resolve.load_matching_state(s)
        assert loaded is not None and len(loaded.stamps) == 10
        loaded.stamps = {}
        seen = resolve._changed_rows(s, engine, loaded, ())
    assert len(seen) == 10  # as before the stamps: read, and told unchanged by digest
