"""SQL sink for BI: golden customers, the crosswalk and the 360° facts as tables in any
database SQLAlchemy speaks (PostgreSQL, MySQL, SQL Server, SQLite ...)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.sql_sink.client import connect
from connectors.sql_sink.sink import SqlSink

__all__ = ["Settings", "SqlSink", "build_sink"]


class Settings(BaseModel):
    """The ``type: sql_bi`` sink section of chub.yaml."""

    model_config = ConfigDict(extra="forbid")

    #: a SQLAlchemy URL, e.g. postgresql+psycopg://bi@db/warehouse (secrets via ${ENV})
    url: str = Field(min_length=1)
    #: table names: <prefix>golden_customer, <prefix>golden_crosswalk, <prefix>golden_facts
    table_prefix: str = Field(default="chub_", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    schema_name: str | None = None
    batch_size: int = Field(default=1000, ge=1, le=10_000)
    #: a golden id merged into another: "flag" keeps its row (status merged, merged_into),
    #: "delete" removes it
    on_merge: Literal["flag", "delete"] = "flag"


def build_sink(settings: Settings) -> SqlSink:
    return SqlSink(
        connect(settings.url),
        prefix=settings.table_prefix,
        schema=settings.schema_name,
        on_merge=settings.on_merge,
        batch_size=settings.batch_size,
    )
