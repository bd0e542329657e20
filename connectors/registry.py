"""Which connector module serves which ``type:`` in chub.yaml.

Every connector package exposes the same names: ``Settings`` (a pydantic model of its
chub.yaml section, ``extra="forbid"``), and ``build_source(settings)`` and/or
``build_sink(settings)``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel

from connectors.contract import ConnectorConfigError, Sink, Source

__all__ = ["SINK_TYPES", "SOURCE_TYPES", "build_sink", "build_source", "settings_model"]

SOURCE_TYPES: dict[str, str] = {
    "wecom": "connectors.wecom",
    "kingdee": "connectors.kingdee",
    "tryton": "connectors.tryton",
    "sql": "connectors.sql_erp",
    "callcenter": "connectors.callcenter",
    "hubspot": "connectors.hubspot",
    "dropfolder": "connectors.dropfolder",
}
SINK_TYPES: dict[str, str] = {
    "salesforce": "connectors.salesforce",
    "hubspot": "connectors.hubspot",
    "wecom": "connectors.wecom",
    "kingdee": "connectors.kingdee",
    "tryton": "connectors.tryton",
    # the BI database (not "sql": a sink of a source's type is taken for a write-back)
    "sql_bi": "connectors.sql_sink",
}

Role = Literal["source", "sink"]


def _module(role: Role, type_name: str) -> ModuleType:
    table = SOURCE_TYPES if role == "source" else SINK_TYPES
    if type_name not in table:
        known = ", ".join(sorted(table))
        raise ConnectorConfigError(f"unknown {role} type {type_name!r} (known: {known})")
    return importlib.import_module(table[type_name])


def settings_model(role: Role, type_name: str) -> type[BaseModel]:
    model: type[BaseModel] = _module(role, type_name).Settings
    return model


def build_source(type_name: str, settings: BaseModel | dict[str, Any]) -> Source:
    module = _module("source", type_name)
    if isinstance(settings, dict):
        settings = module.Settings.model_validate(settings)
    source: Source = module.build_source(settings)
    return source


def build_sink(type_name: str, settings: BaseModel | dict[str, Any]) -> Sink:
    module = _module("sink", type_name)
    if isinstance(settings, dict):
        settings = module.Settings.model_validate(settings)
    sink: Sink = module.build_sink(settings)
    return sink
