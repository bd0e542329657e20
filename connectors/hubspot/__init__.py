"""HubSpot (marketing): contacts via the CRM v3 list and search APIs; batch upsert sink."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.http import HttpUrl
from connectors.hubspot.mapping import CONTACT_PROPERTIES
from connectors.hubspot.sink import HubSpotSink
from connectors.hubspot.source import HubSpotSource

__all__ = ["HubSpotSink", "HubSpotSource", "Settings", "build_sink", "build_source"]


class Settings(BaseModel):
    """The ``type: hubspot`` section of chub.yaml."""

    model_config = ConfigDict(extra="forbid")

    #: private-app or OAuth access token
    token: str
    base_url: HttpUrl = "https://api.hubapi.com"
    properties: list[str] = Field(default_factory=lambda: list(CONTACT_PROPERTIES))
    #: list page size (HubSpot max 100)
    page_size: int = Field(default=100, ge=1, le=100)
    #: a full pull also lists archived contacts and lands them as deletes
    read_archived: bool = True
    #: search page size (HubSpot max 200)
    search_limit: int = Field(default=200, ge=1, le=200)
    #: sink: a contact property with unique values that holds our golden id
    sink_id_property: str = "chub_golden_id"
    #: sink: golden field -> contact property; overrides/extends the defaults ("" drops)
    sink_property_map: dict[str, str] = Field(default_factory=dict)
    sink_batch_size: int = Field(default=100, ge=1, le=100)
    #: sink: a golden id merged into another is "flag"ged (chub_status, chub_merged_into)
    #: or its contact "archive"d
    sink_on_merge: Literal["flag", "archive"] = "flag"
    timeout: float = Field(default=15.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)


def build_source(settings: Settings) -> HubSpotSource:
    return HubSpotSource(settings)


def build_sink(settings: Settings) -> HubSpotSink:
    return HubSpotSink(settings)
