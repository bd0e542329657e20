"""What several command modules need: the schema check before a command touches the hub,
and the options that say how long to wait for a hub lock another run holds."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["require_schema", "wait_options"]


def wait_options(
    p: argparse.ArgumentParser, holder: str, default: str = "as long as it takes"
) -> argparse.ArgumentParser:
    """``--no-wait`` / ``--wait SECONDS`` for a command that needs a lock ``holder`` may hold."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--no-wait",
        action="store_true",
        help=f"when {holder} holds the hub, say so and stop (exit 2)",
    )
    group.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help=f"wait at most this long for {holder} (default: {default})",
    )
    return p


def require_schema(hub: Any) -> None:
    from integration.store import HubStoreError, check_reachable

    check_reachable(hub.engine)
    if not hub.schema_is_current():
        raise HubStoreError("the hub database schema is not current: run `chub db upgrade` first")
