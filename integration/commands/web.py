"""`chub serve` (the golden-record API and the review web app), `chub token`, `chub user`."""

from __future__ import annotations

from integration.commands import CommandTree

__all__ = ["register"]


def register(tree: CommandTree) -> None:
    """Nothing yet: `chub serve` is being built (issues 16 and 17)."""
