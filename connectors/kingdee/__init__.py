"""Kingdee K3Cloud (金蝶云星空) WebAPI: customers and sales orders in, golden id back out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.http import HttpUrl
from connectors.kingdee.client import KingdeeClient
from connectors.kingdee.sink import KingdeeSink
from connectors.kingdee.source import KingdeeSource

__all__ = [
    "KingdeeClient",
    "KingdeeSink",
    "KingdeeSource",
    "Settings",
    "build_sink",
    "build_source",
]


class Settings(BaseModel):
    """The ``kingdee`` section of chub.yaml (password login or app-secret login)."""

    model_config = ConfigDict(extra="forbid")

    base_url: HttpUrl  # e.g. https://erp.example.com/K3Cloud/
    acct_id: str  # data centre id (GetDataCenterList)
    username: str
    password: str | None = None
    app_id: str | None = None
    app_secret: str | None = None
    lcid: int = 2052
    timeout: float = 30.0
    page_size: int = Field(2000, ge=1, le=10000)
    #: re-read this much before the last position: K3Cloud times are server-local
    overlap_seconds: int = Field(300, ge=0)
    timezone: str = "Asia/Shanghai"  # the K3Cloud server's local zone
    currency: str | None = "CNY"
    customer_type: Literal["company", "person"] = "company"
    customer_form: str = "BD_Customer"
    order_form: str = "SAL_SaleOrder"
    #: contact sub-entity read for mobiles/emails (one row per contact); None: header only
    contact_entity: str | None = "FT_BD_CUSTCONTACT"
    #: extra FilterString per stream, e.g. {"orders": "FDocumentStatus = 'C'"}
    filters: dict[str, str] = Field(default_factory=dict)
    # write-back
    golden_field: str = "F_CHUB_GoldenId"
    create_missing: bool = False
    number_prefix: str = "CHUB-"
    org_number: str = "100"
    #: golden records per write-back batch (one lookup and one BatchSave each)
    sink_batch_size: int = Field(default=500, ge=1, le=2000)

    @model_validator(mode="after")
    def _one_login(self) -> Settings:
        if not (self.password or (self.app_id and self.app_secret)):
            raise ValueError("kingdee needs password, or app_id and app_secret")
        return self


def _client(
    settings: Settings, transport: httpx.BaseTransport | None, sleep: Callable[[float], None]
) -> KingdeeClient:
    return KingdeeClient(
        settings.base_url,
        acct_id=settings.acct_id,
        username=settings.username,
        password=settings.password,
        app_id=settings.app_id,
        app_secret=settings.app_secret,
        lcid=settings.lcid,
        timeout=settings.timeout,
        transport=transport,
        sleep=sleep,
    )


def build_source(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> KingdeeSource:
    return KingdeeSource(
        _client(settings, transport, sleep),
        page_size=settings.page_size,
        overlap_seconds=settings.overlap_seconds,
        timezone=settings.timezone,
        currency=settings.currency,
        customer_type=settings.customer_type,
        customer_form=settings.customer_form,
        order_form=settings.order_form,
        contact_entity=settings.contact_entity,
        filters=settings.filters,
    )


def build_sink(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> KingdeeSink:
    return KingdeeSink(
        _client(settings, transport, sleep),
        form_id=settings.customer_form,
        golden_field=settings.golden_field,
        create_missing=settings.create_missing,
        number_prefix=settings.number_prefix,
        org_number=settings.org_number,
        batch_size=settings.sink_batch_size,
        sleep=sleep,
    )
