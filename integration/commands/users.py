"""`chub user add|set-role|list`: the review web app's users."""

from __future__ import annotations

from integration.commands import CommandTree

__all__ = ["register"]


def register(tree: CommandTree) -> None:
    """Nothing yet: the review web app is being built (issue 17)."""
