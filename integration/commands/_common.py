"""What several command modules need: the schema check before a command touches the hub."""

from __future__ import annotations

from typing import Any

__all__ = ["require_schema"]


def require_schema(hub: Any) -> None:
    from integration.store import HubStoreError, check_reachable

    check_reachable(hub.engine)
    if not hub.schema_is_current():
        raise HubStoreError("the hub database schema is not current: run `chub db upgrade` first")
