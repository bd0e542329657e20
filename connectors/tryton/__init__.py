"""Tryton ERP over JSON-RPC: parties and sale orders in, golden id back out as an identifier."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from connectors.http import HttpUrl
from connectors.tryton.client import TrytonClient
from connectors.tryton.sink import TrytonSink
from connectors.tryton.source import TrytonSource

__all__ = ["Settings", "TrytonClient", "TrytonSink", "TrytonSource", "build_sink", "build_source"]


class Settings(BaseModel):
    """The ``tryton`` section of chub.yaml."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrl  # server root, e.g. http://erp.example.com:8000/
    database: str
    username: str
    password: str
    language: str = "en"
    timeout: float = 30.0
    page_size: int = Field(default=500, ge=1, le=10000)
    #: re-read this much before the watermark: timestamps are transaction *start* times
    overlap_seconds: int = Field(default=60, ge=0)
    timezone: str = "Asia/Shanghai"  # the zone sale dates are meant in
    #: Tryton parties carry no person/company flag; say what yours are, if you know
    customer_type: Literal["person", "company"] | None = None
    golden_id_prefix: str = "chub:"


def _client(
    settings: Settings, transport: httpx.BaseTransport | None, sleep: Callable[[float], None]
) -> TrytonClient:
    return TrytonClient(
        settings.url,
        settings.database,
        username=settings.username,
        password=settings.password,
        language=settings.language,
        timeout=settings.timeout,
        transport=transport,
        sleep=sleep,
    )


def build_source(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> TrytonSource:
    return TrytonSource(
        _client(settings, transport, sleep),
        page_size=settings.page_size,
        overlap_seconds=settings.overlap_seconds,
        timezone=settings.timezone,
        customer_type=settings.customer_type,
        golden_id_prefix=settings.golden_id_prefix,
    )


def build_sink(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> TrytonSink:
    return TrytonSink(
        _client(settings, transport, sleep), golden_id_prefix=settings.golden_id_prefix, sleep=sleep
    )
