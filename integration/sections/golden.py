"""The ``golden:`` section of chub.yaml: survivorship rules per field, 360° fact thresholds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["GoldenSettings"]


class GoldenSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
