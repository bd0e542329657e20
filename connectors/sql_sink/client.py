"""The BI database: its three tables, created on first use, in any SQLAlchemy database."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
)
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from connectors.contract import ConnectorConfigError
from connectors.sql_sink.mapping import CUSTOMER_COLUMNS, FACT_COLUMNS, LIST_COLUMNS

__all__ = ["BiTables", "connect"]

_KINDS = {"int": Integer, "float": Float, "text": Text, "bool": Boolean, "json": JSON}


class BiTables:
    def __init__(self, prefix: str = "chub_", schema: str | None = None) -> None:
        self.metadata = MetaData(schema=schema)
        self.customers = Table(
            f"{prefix}golden_customer",
            self.metadata,
            Column("golden_id", String(32), primary_key=True),
            Column("status", String(16), nullable=False),
            Column("merged_into", String(32), nullable=True, index=True),
            *(Column(name, Text, nullable=True) for name in CUSTOMER_COLUMNS),
            *(Column(name, JSON, nullable=True) for name in LIST_COLUMNS),
        )
        self.crosswalk = Table(
            f"{prefix}golden_crosswalk",
            self.metadata,
            Column("source", String(64), primary_key=True),
            Column("stream", String(64), primary_key=True),
            Column("source_key", String(255), primary_key=True),
            Column("golden_id", String(32), nullable=False, index=True),
        )
        self.facts = Table(
            f"{prefix}golden_facts",
            self.metadata,
            Column("golden_id", String(32), primary_key=True),
            *(Column(name, _KINDS[kind], nullable=True) for name, kind in FACT_COLUMNS.items()),
        )


def connect(url: str) -> Engine:
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConnectorConfigError(f"sql_sink: cannot use database url: {exc}") from None
