"""Salesforce (downstream CRM): golden records upserted as Accounts by external id."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.http import HttpUrl
from connectors.salesforce.sink import SalesforceSink

__all__ = ["SalesforceSink", "Settings", "build_sink"]


class Settings(BaseModel):
    """The ``type: salesforce`` section of chub.yaml.

    Give either ``access_token`` (static, cannot be refreshed) or ``client_id`` +
    ``client_secret`` (OAuth2 client-credentials flow, refreshed on 401).
    """

    model_config = ConfigDict(extra="forbid")

    #: e.g. https://acme.my.salesforce.com
    instance_url: HttpUrl
    api_version: str = "v60.0"
    access_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    #: default ``<instance_url>/services/oauth2/token``
    token_url: HttpUrl | None = None
    sobject: str = "Account"
    #: a field marked "External ID" (and unique) on the sObject, holding our golden id
    external_id_field: str = "Chub_Golden_Id__c"
    #: golden field -> sObject field; overrides/extends the defaults ("" drops a field)
    field_map: dict[str, str] = Field(default_factory=dict)
    batch_size: int = Field(default=200, ge=1, le=200)
    #: a golden id merged into another: "flag" upserts Chub_Status__c = merged and
    #: Chub_Merged_Into__c = the survivor's id; "delete" deletes the Account
    on_merge: Literal["flag", "delete"] = "flag"
    timeout: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    #: seconds to wait after 403 REQUEST_LIMIT_EXCEEDED before trying again
    throttle_wait: float = Field(default=30.0, ge=0)

    @model_validator(mode="after")
    def _credentials(self) -> Settings:
        if not self.access_token and not (self.client_id and self.client_secret):
            raise ValueError("give access_token, or client_id and client_secret")
        return self


def build_sink(settings: Settings) -> SalesforceSink:
    return SalesforceSink(settings)
