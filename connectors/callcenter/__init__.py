"""Call centre (Zendesk-style incremental export): CDRs as touchpoints, tickets as customers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from connectors.callcenter.source import CallCenterSource
from connectors.http import HttpUrl

__all__ = ["CallCenterSource", "Settings", "build_source"]


class Settings(BaseModel):
    """The ``type: callcenter`` section of chub.yaml."""

    model_config = ConfigDict(extra="forbid")

    #: e.g. https://acme.zendesk.com (``/api/v2`` is appended)
    base_url: HttpUrl
    email: str
    api_token: str
    #: unix seconds where the very first (``--full``) export starts
    start_time: int = Field(default=0, ge=0)
    page_size: int = Field(default=1000, ge=1, le=1000)
    timeout: float = Field(default=15.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)


def build_source(settings: Settings) -> CallCenterSource:
    return CallCenterSource(settings)
