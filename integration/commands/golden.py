"""`chub replay ...` (and, with the golden record, `chub golden show`, `chub deadletters`)."""

from __future__ import annotations

import argparse

from integration.commands import CommandTree, hub_of
from integration.config_file import ConfigError

__all__ = ["register"]


def _cmd_replay(args: argparse.Namespace) -> int:
    from integration.pipeline.publish import replay_dead_letters

    hub = hub_of(args)
    if args.sink not in hub.settings.sinks:
        raise ConfigError(hub.settings.path, f"sinks.{args.sink}", "no such sink")
    n = replay_dead_letters(hub.engine, args.sink)
    print(f"{n} dead letters of {args.sink} will be pushed again on the next run")
    return 0


def register(tree: CommandTree) -> None:
    replay = tree.command(
        ("replay",), _cmd_replay, "Make a sink's dead letters eligible to be pushed again."
    )
    replay.add_argument("sink", help="a sink name from chub.yaml")
