"""The ``serve:`` section of chub.yaml (chub serve): host, port, sessions, API limits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ServeSettings"]


class ServeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
