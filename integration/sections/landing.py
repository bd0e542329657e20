"""The ``landing:`` section of chub.yaml: bounds on what lands, the mass-deletion guard."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["LandingSettings"]


class LandingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
