"""WeCom (企业微信) 客户联系: external contacts in (full scan + change callbacks), remarks and
tags out. See docs/connectors.md for the layout every connector shares."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.http import HttpUrl
from connectors.wecom.callback import (
    DEFAULT_MAX_AGE,
    ContactChange,
    NonceMemory,
    WSGIApp,
    make_callback_app,
)
from connectors.wecom.client import WeComClient
from connectors.wecom.sink import WeComSink
from connectors.wecom.source import WeComSource

__all__ = [
    "ContactChange",
    "Settings",
    "WeComSink",
    "WeComSource",
    "build_callback_app",
    "build_sink",
    "build_source",
    "make_callback_app",
]


class Settings(BaseModel):
    """The ``wecom`` section of chub.yaml."""

    model_config = ConfigDict(extra="forbid")

    corp_id: str = Field(min_length=1)
    #: secret of the self-built app listed under 客户联系 → 可调用接口的应用
    corp_secret: str = Field(min_length=1)
    base_url: HttpUrl = "https://qyapi.weixin.qq.com/cgi-bin/"
    timeout: Annotated[float, Field(gt=0)] = 15.0
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 5
    #: wait after errcode 45009 (a frequency block lasts 60 s)
    throttle_wait: Annotated[float, Field(ge=0)] = 60.0
    #: first wait after 45033 / -1 (doubles while they persist)
    busy_wait: Annotated[float, Field(ge=0)] = 1.0
    #: follow users per batch/get_by_user call and rows per page (WeCom max 100 each)
    chunk_size: Annotated[int, Field(ge=1, le=100)] = 100
    page_limit: Annotated[int, Field(ge=1, le=100)] = 100
    #: customers per hub page
    page_size: Annotated[int, Field(ge=1)] = 500
    #: corp tag group the sink owns; only tags inside it are ever removed
    tag_group: Annotated[str, Field(min_length=1, max_length=30)] = "customer-hub"
    #: golden field -> tag name prefix; the tag is prefix + value, e.g. "lifecycle:repeat"
    tag_fields: dict[str, str] = {"lifecycle_stage": "lifecycle:", "value_tier": "tier:"}
    #: sink: records written at the same time (WeCom has no batch write)
    sink_concurrency: Annotated[int, Field(ge=1, le=32)] = 4
    #: sink: API calls started per second at most, across those threads
    sink_calls_per_second: Annotated[float, Field(gt=0)] = 50.0
    #: change callbacks (optional): the Token and EncodingAESKey set on the app's 接收事件服务器
    callback_token: str | None = None
    callback_aes_key: str | None = None
    #: a callback whose timestamp is further than this from our clock is refused (seconds)
    callback_max_age: Annotated[float, Field(gt=0, le=86_400)] = DEFAULT_MAX_AGE

    @field_validator("callback_aes_key")
    @classmethod
    def _aes_key_shape(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 43 or not value.isalnum()):
            raise ValueError("EncodingAESKey must be 43 letters/digits as shown by WeCom")
        return value


def _client(
    settings: Settings,
    transport: httpx.BaseTransport | None,
    sleep: Callable[[float], None],
) -> WeComClient:
    return WeComClient(
        corp_id=settings.corp_id,
        corp_secret=settings.corp_secret,
        base_url=settings.base_url,
        timeout=settings.timeout,
        max_attempts=settings.max_attempts,
        throttle_wait=settings.throttle_wait,
        busy_wait=settings.busy_wait,
        transport=transport,
        sleep=sleep,
    )


def build_source(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WeComSource:
    return WeComSource(
        _client(settings, transport, sleep),
        chunk_size=settings.chunk_size,
        page_limit=settings.page_limit,
        page_size=settings.page_size,
        own_tag_group=settings.tag_group,
    )


def build_sink(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WeComSink:
    return WeComSink(
        _client(settings, transport, sleep),
        tag_group=settings.tag_group,
        tag_fields=settings.tag_fields,
        concurrency=settings.sink_concurrency,
        calls_per_second=settings.sink_calls_per_second,
    )


def build_callback_app(
    settings: Settings,
    on_event: Callable[[ContactChange], None],
    *,
    nonces: NonceMemory | None = None,
    clock: Callable[[], float] = time.time,
) -> WSGIApp:
    """The WSGI app for the callback URL, from the same chub.yaml section."""
    if not settings.callback_token or not settings.callback_aes_key:
        from connectors.contract import ConnectorConfigError

        raise ConnectorConfigError("wecom callbacks need callback_token and callback_aes_key")
    return make_callback_app(
        settings.callback_token,
        settings.callback_aes_key,
        settings.corp_id,
        on_event,
        nonces=nonces,
        max_age=settings.callback_max_age,
        clock=clock,
    )
