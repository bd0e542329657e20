"""The ``operations:`` section of chub.yaml: schedules, sensors, alerts, locks (issue 18)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["OperationsSettings"]


class OperationsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
