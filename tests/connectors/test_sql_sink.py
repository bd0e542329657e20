"""The BI SQL sink on its own: tables made on first use, a resent batch leaves one row per
key, a member moving between golden ids moves its crosswalk row, merge flag or delete."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from connectors.contract import OutboundRecord
from connectors.registry import build_sink


def _rec(gid: str, status: str = "active", **extra: object) -> OutboundRecord:
    fields: dict[str, object] = {"golden_id": gid, "status": status, **extra}
    return OutboundRecord(gid, fields)


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return sorted(rows, key=str)


def test_resent_batches_moves_and_merges(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bi.db'}"
    sink = build_sink("sql_bi", {"url": url})
    a = _rec(
        "GA",
        name="张伟",
        mobiles=["+8613800138000"],
        source_ids={"erp": ["customers:1"]},
        facts={"orders": 2, "revenue": 10.5, "churn_risk": False, "last_touch": {"call": "x"}},
    )
    b = _rec("GB", name="李娜", source_ids={"erp": ["customers:2"], "wx": ["contacts:w1"]})
    assert all(r.ok for r in sink.push([a, b]))
    assert all(r.ok for r in sink.push([a, b]))  # a resend: still one row per key
    assert _rows(url, "SELECT golden_id, name, status FROM chub_golden_customer") == [
        ("GA", "张伟", "active"),
        ("GB", "李娜", "active"),
    ]
    assert len(_rows(url, "SELECT * FROM chub_golden_crosswalk")) == 3
    assert _rows(
        url, "SELECT golden_id, orders, revenue FROM chub_golden_facts WHERE orders IS NOT NULL"
    ) == [("GA", 2, 10.5)]
    # GB merged into GA: its members now GA's, GB flagged
    a2 = _rec(
        "GA", name="张伟", source_ids={"erp": ["customers:1", "customers:2"], "wx": ["contacts:w1"]}
    )
    assert all(r.ok for r in sink.push([a2]))  # the survivor alone first: rows move
    assert all(r.ok for r in sink.push([_rec("GB", "merged", merged_into="GA")]))
    assert _rows(url, "SELECT golden_id FROM chub_golden_crosswalk") == [("GA",), ("GA",), ("GA",)]
    assert _rows(url, "SELECT golden_id, status, merged_into, name FROM chub_golden_customer") == [
        ("GA", "active", None, "张伟"),
        ("GB", "merged", "GA", None),
    ]
    sink.close()
    deleting = build_sink("sql_bi", {"url": url, "on_merge": "delete"})
    assert deleting.push([_rec("GB", "merged", merged_into="GA")])[0].ok
    assert _rows(url, "SELECT golden_id FROM chub_golden_customer") == [("GA",)]
    deleting.close()


def test_an_unreachable_database_is_a_retryable_failure(tmp_path: Path) -> None:
    sink = build_sink("sql_bi", {"url": f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"})
    [result] = sink.push([_rec("GA")])
    assert not result.ok and result.retryable and "unavailable" in (result.error or "")
    sink.close()
