"""Top-level sections of chub.yaml that belong to one area each, validated by that area's
own pydantic model (``integration/config.py`` knows only their names): ``golden``
(survivorship, facts), ``landing`` (bounds, deletion guard), ``operations`` (schedules,
sensors, alerts, locks), ``serve`` (the web server)."""

from __future__ import annotations

from pydantic import BaseModel

from integration.sections.golden import GoldenSettings
from integration.sections.landing import LandingSettings
from integration.sections.operations import OperationsSettings
from integration.sections.serve import ServeSettings

__all__ = ["SECTIONS", "GoldenSettings", "LandingSettings", "OperationsSettings", "ServeSettings"]

#: section name -> its model; a missing section is the model's defaults
SECTIONS: dict[str, type[BaseModel]] = {
    "golden": GoldenSettings,
    "landing": LandingSettings,
    "operations": OperationsSettings,
    "serve": ServeSettings,
}
