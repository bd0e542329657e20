"""The ``chub`` sub-commands, one module per area of work.

Each module in ``MODULES`` has ``register(tree: CommandTree) -> None`` and adds its commands
by path, e.g. ``tree.command(("golden", "merge"), func, "Merge two golden records.")``;
groups (``golden``, ``review``, ...) are made the first time a path names them, so two
areas may add commands to one group without sharing a file. A command function takes the
parsed ``argparse.Namespace`` and returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from integration.config_file import DEFAULT_CONFIG

__all__ = ["MODULES", "CommandTree", "hub_of", "say"]

#: modules whose ``register`` adds commands (one per area; see each module's docstring)
MODULES = (
    "integration.commands.identity",
    "integration.commands.golden",
    "integration.commands.operations",
    "integration.commands.web",
    "integration.commands.users",
    "integration.commands.callbacks",
)

Command = Callable[[argparse.Namespace], int]


def say(message: str) -> None:
    """Progress and warnings go to stderr, so stdout stays the command's answer."""
    print(message, file=sys.stderr, flush=True)


def hub_of(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The Hub of ``--config`` (imported late: ``chub --help`` should not load pydantic)."""
    from integration.hub import Hub

    return Hub.from_config(args.config, say=say)


def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument(
        "-c",
        "--config",
        default=os.environ.get("CHUB_CONFIG", DEFAULT_CONFIG),
        help="the chub.yaml to use (default: $CHUB_CONFIG or ./chub.yaml)",
    )
    return p


class CommandTree:
    """Builds nested sub-parsers by path, making each group once."""

    def __init__(self, sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        self._root = sub
        self._groups: dict[tuple[str, ...], argparse._SubParsersAction] = {}  # type: ignore[type-arg]

    def group(self, path: tuple[str, ...], help_: str) -> argparse._SubParsersAction:  # type: ignore[type-arg]
        """The sub-parsers of group ``path`` (made now if new, with ``help_``)."""
        if path in self._groups:
            return self._groups[path]
        parent = self._root if len(path) == 1 else self.group(path[:-1], help_)
        p = parent.add_parser(path[-1], help=help_, description=help_)
        sub = p.add_subparsers(dest="_".join(path) + "_command", required=True, metavar="ACTION")
        self._groups[path] = sub
        return sub

    def command(
        self,
        path: tuple[str, ...],
        func: Command,
        help_: str,
        *,
        group_help: str = "",
        config: bool = True,
    ) -> argparse.ArgumentParser:
        """Add command ``path`` (its last word under the group of the others)."""
        parent = self._root if len(path) == 1 else self.group(path[:-1], group_help or help_)
        p = parent.add_parser(path[-1], help=help_, description=help_)
        p.set_defaults(func=func)
        return with_config(p) if config else p


def register_all(tree: CommandTree) -> None:
    for name in MODULES:
        importlib.import_module(name).register(tree)
