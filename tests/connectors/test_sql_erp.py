"""SQL ERP source on SQLite and on the real MariaDB (own uniquely-named tables, dropped after)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.contract import ConnectorConfigError, RawRecord
from connectors.registry import build_source as registry_build_source
from connectors.sql_erp import Settings, SqlSource, build_source

MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"


def _mariadb_or_skip() -> str:
    try:
        engine = sa.create_engine(MARIADB_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        pytest.skip(f"MariaDB at 127.0.0.1:3306/test unreachable: {type(exc).__name__}: {exc}")
    return MARIADB_URL


@pytest.fixture(params=["sqlite", "mariadb"])
def db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[tuple[str, str, str]]:
    url = f"sqlite:///{tmp_path / 'erp.db'}" if request.param == "sqlite" else _mariadb_or_skip()
    suffix = uuid.uuid4().hex[:8]
    customers, orders = f"chub_t_cust_{suffix}", f"chub_t_ord_{suffix}"
    meta = sa.MetaData()
    sa.Table(
        customers,
        meta,
        sa.Column("cust_no", sa.String(20), primary_key=True),
        sa.Column("cust_name", sa.String(100)),
        sa.Column("mobile", sa.String(30)),
        sa.Column("tel1", sa.String(30)),
        sa.Column("tel2", sa.String(30)),
        sa.Column("email", sa.String(100)),
        sa.Column("credit_code", sa.String(18)),
        sa.Column("addr", sa.String(200)),
        sa.Column("is_deleted", sa.Integer, default=0),
        sa.Column("modified_at", sa.DateTime, nullable=True),
    )
    sa.Table(
        orders,
        meta,
        sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("cust_no", sa.String(20)),
        sa.Column("total", sa.Numeric(12, 2)),
        sa.Column("order_date", sa.Date),
        sa.Column("updated_seq", sa.Integer),
    )
    engine = sa.create_engine(url)
    meta.create_all(engine)
    try:
        yield url, customers, orders
    finally:
        meta.drop_all(engine)
        engine.dispose()


def _insert(url: str, table: str, rows: list[dict[str, Any]]) -> None:
    engine = sa.create_engine(url)
    tbl = sa.Table(table, sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(tbl.insert(), rows)
    engine.dispose()


def _update(url: str, table: str, key: str, value: Any, **values: Any) -> None:
    engine = sa.create_engine(url)
    tbl = sa.Table(table, sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(tbl.update().where(tbl.c[key] == value).values(**values))
    engine.dispose()


def _settings(url: str, customers: str, orders: str, **extra: Any) -> Settings:
    return Settings.model_validate(
        {
            "url": url,
            "page_size": 2,
            **extra,
            "streams": {
                "customers": {
                    "kind": "customer",
                    "table": customers,
                    "key": "cust_no",
                    "watermark": "modified_at",
                    "customer_type": "company",
                    "deleted_column": "is_deleted",
                    "columns": {
                        "name": "cust_name",
                        "mobile": "mobile",
                        "phones": ["tel1", "tel2"],
                        "email": "email",
                        "uscc": "credit_code",
                        "address": "addr",
                    },
                },
                "orders": {
                    "kind": "order",
                    "table": orders,
                    "key": "order_id",
                    "watermark": "updated_seq",
                    "customer_key": "cust_no",
                    "amount": "total",
                    "at": "order_date",
                    "currency": "CNY",
                },
            },
        }
    )


def _drain(
    source: SqlSource, stream: str, cursor: str | None
) -> tuple[list[RawRecord], str | None]:
    records: list[RawRecord] = []
    for page in source.pull(stream, cursor):
        records.extend(page.records)
        cursor = page.cursor
    return records, cursor


T0 = datetime(2026, 10, 1, 10, 0, 0)


def _customer(no: str, modified: datetime | None, **extra: Any) -> dict[str, Any]:
    return {
        "cust_no": no,
        "cust_name": f"客户{no}有限公司",
        "mobile": "+86 138-0013-8000",
        "tel1": "010-6552 1234",
        "tel2": None,
        "email": f"{no}@example.cn",
        "credit_code": "91110108MA01ABCD1E",
        "addr": "北京市海淀区中关村大街1号",
        "is_deleted": 0,
        "modified_at": modified,
        **extra,
    }


def test_customers_full_then_incremental_with_ties(db: tuple[str, str, str]) -> None:
    url, customers, orders = db
    # five rows share one watermark (a batch update), one has none at all
    _insert(
        url,
        customers,
        [_customer(f"C{i}", T0) for i in range(1, 6)]
        + [_customer("C6", None), _customer("C7", datetime(2026, 10, 2))],
    )
    source = build_source(_settings(url, customers, orders))
    records, cursor = _drain(source, "customers", None)
    keys = [r.key for r in records]
    assert keys == ["C6", "C1", "C2", "C3", "C4", "C5", "C7"]  # NULLs first, then the keyset
    mapped = source.map_record("customers", records[1].payload or {}).customer
    assert mapped == {
        "name": "客户C1有限公司",
        "company_name": "客户C1有限公司",
        "customer_type": "company",
        "mobile": "+86 138-0013-8000",
        "phones": ["010-6552 1234"],
        "email": "C1@example.cn",
        "uscc": "91110108MA01ABCD1E",
        "address": "北京市海淀区中关村大街1号",
        "source_updated_at": "2026-10-01T10:00:00+08:00",
    }

    assert _drain(source, "customers", cursor)[0] == []
    _update(url, customers, "cust_no", "C2", cust_name="改名", modified_at=datetime(2026, 10, 3))
    _update(url, customers, "cust_no", "C3", is_deleted=1, modified_at=datetime(2026, 10, 3))
    _insert(url, customers, [_customer("C0", datetime(2026, 10, 3))])
    changed, cursor = _drain(source, "customers", cursor)
    assert [r.key for r in changed] == ["C0", "C2", "C3"]
    assert [r.deleted for r in changed] == [False, False, True]
    assert _drain(source, "customers", cursor)[0] == []
    source.close()


def test_overlap_catches_a_late_commit_without_repeats(db: tuple[str, str, str]) -> None:
    url, customers, orders = db
    _insert(url, customers, [_customer("C1", T0), _customer("C2", datetime(2026, 10, 1, 11))])
    source = build_source(_settings(url, customers, orders, overlap_seconds=3600))
    _, cursor = _drain(source, "customers", None)
    assert _drain(source, "customers", cursor)[0] == []  # the re-read window is deduped
    # a long transaction commits a row stamped before our watermark
    _insert(url, customers, [_customer("C9", datetime(2026, 10, 1, 10, 30))])
    late, _ = _drain(source, "customers", cursor)
    assert [r.key for r in late] == ["C9"]
    source.close()


def test_orders_by_numeric_watermark(db: tuple[str, str, str]) -> None:
    url, customers, orders = db
    _insert(
        url,
        orders,
        [
            {
                "order_id": i,
                "cust_no": f"C{i % 2}",
                "total": 10 * i,
                "order_date": T0.date(),
                "updated_seq": 100 + i // 2,
            }
            for i in range(1, 6)
        ],
    )
    source = registry_build_source(
        "sql", _settings(url, customers, orders).model_dump(by_alias=True)
    )
    assert isinstance(source, SqlSource)
    records, cursor = _drain(source, "orders", None)
    assert [r.key for r in records] == ["1", "2", "3", "4", "5"]
    activity = source.map_record("orders", records[2].payload or {}).activity
    assert activity is not None
    assert (activity.kind, activity.customer_key, activity.customer_stream) == (
        "order",
        "C1",
        "customers",
    )
    assert activity.amount == pytest.approx(30.0) and activity.currency == "CNY"
    assert activity.at == "2026-10-01T00:00:00+08:00"
    _update(url, orders, "order_id", 1, total=99, updated_seq=200)
    changed, _ = _drain(source, "orders", cursor)
    assert [r.key for r in changed] == ["1"]
    source.close()


def test_resume_mid_pull_from_a_page_cursor(db: tuple[str, str, str]) -> None:
    url, customers, orders = db
    _insert(url, customers, [_customer(f"C{i}", T0) for i in range(1, 6)])
    source = build_source(_settings(url, customers, orders))
    pages = source.pull("customers", None)
    first = [next(pages), next(pages)]
    pages.close()
    rest, _ = _drain(source, "customers", first[-1].cursor)
    got = [r.key for p in first for r in p.records] + [r.key for r in rest]
    assert got == ["C1", "C2", "C3", "C4", "C5"]
    source.close()


def test_config_errors_are_clear(db: tuple[str, str, str], tmp_path: Any) -> None:
    url, customers, orders = db
    bad = _settings(url, customers, orders)
    bad.streams["customers"].columns["email"] = "no_such_column"
    with pytest.raises(ConnectorConfigError, match="no_such_column"):
        next(build_source(bad).pull("customers", None))
    gone = _settings(url, "chub_t_missing_table", orders)
    with pytest.raises(ConnectorConfigError, match="chub_t_missing_table"):
        next(build_source(gone).pull("customers", None))
    with pytest.raises(ValueError, match="customer_key"):
        Settings.model_validate(
            {
                "url": url,
                "streams": {
                    "o": {
                        "kind": "order",
                        "table": orders,
                        "key": "order_id",
                        "watermark": "updated_seq",
                    }
                },
            }
        )


def test_unmappable_row_is_a_value_error(db: tuple[str, str, str]) -> None:
    url, customers, orders = db
    source = build_source(_settings(url, customers, orders))
    with pytest.raises(ValueError, match="name"):
        source.map_record("customers", {"cust_no": "X", "cust_name": " "})
    with pytest.raises(ValueError, match="customer"):
        source.map_record("orders", {"order_id": 1, "cust_no": None, "order_date": "2026-10-01"})
    source.close()
