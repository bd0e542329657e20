"""Any ERP database through SQLAlchemy: configured tables read incrementally by watermark.

Read-only: there is no write-back sink for ``type: sql`` (writing into another
application's tables behind its back skips its business rules).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.contract import CANONICAL_FIELDS
from connectors.sql_erp.client import SqlClient
from connectors.sql_erp.source import SqlSource

__all__ = ["Settings", "SqlSource", "StreamSettings", "build_source"]


class StreamSettings(BaseModel):
    """One stream: a table, its key and watermark columns, and how its columns map."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["customer", "order"]
    table: str
    key: str  # unique key column (the record's source key)
    watermark: str  # last-modified column (datetime or an increasing number)
    #: customers: canonical field -> column (phones/tags may list several columns)
    columns: dict[str, str | list[str]] = Field(default_factory=dict)
    customer_type: Literal["person", "company"] | None = None
    #: a truthy value here means "deleted upstream" (soft delete flag)
    deleted_column: str | None = None
    # orders
    customer_key: str | None = None  # column holding the customer's key
    customer_stream: str | None = None  # default: the first customer stream
    amount: str | None = None
    at: str | None = None  # order date/time column
    currency: str | None = None  # fixed currency code
    currency_column: str | None = None

    @model_validator(mode="after")
    def _check(self) -> StreamSettings:
        if self.kind == "order" and not (self.customer_key and self.at):
            raise ValueError("an order stream needs customer_key and at")
        if self.kind == "customer":
            unknown = sorted(set(self.columns) - set(CANONICAL_FIELDS))
            if unknown:
                raise ValueError(f"not canonical customer fields: {unknown}")
            if not ({"name", "company_name"} & set(self.columns)):
                raise ValueError("a customer stream must map name or company_name")
        return self

    def needed_columns(self) -> list[str]:
        cols = [
            self.key,
            self.watermark,
            self.customer_key,
            self.amount,
            self.at,
            self.currency_column,
            self.deleted_column,
        ]
        for spec in self.columns.values():
            cols.extend([spec] if isinstance(spec, str) else spec)
        return [c for c in cols if c]


class Settings(BaseModel):
    """The ``sql`` source section of chub.yaml."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    url: str  # SQLAlchemy URL, e.g. mysql+pymysql://reader:${ERP_DB_PASSWORD}@erp-db/erp
    schema_name: str | None = Field(None, alias="schema")
    page_size: int = Field(1000, ge=1, le=100000)
    #: re-read this much before a datetime watermark (late commits); 0 = exact keyset
    overlap_seconds: int = Field(0, ge=0)
    timezone: str = "Asia/Shanghai"  # the zone of naive datetimes in the ERP
    streams: dict[str, StreamSettings]


def build_source(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> SqlSource:
    return SqlSource(settings, SqlClient(settings.url, schema=settings.schema_name, sleep=sleep))
