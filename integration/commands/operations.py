"""`chub status`, `chub sync`, `chub run`: what a data engineer runs and watches."""

from __future__ import annotations

import argparse

from integration.commands import CommandTree, hub_of, say
from integration.commands._common import require_schema
from integration.config_file import ConfigError

__all__ = ["register"]


def _cmd_status(args: argparse.Namespace) -> int:
    from integration.status import status_report

    hub = hub_of(args)
    print(status_report(hub))
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    from integration.pipeline.land import sync_source

    hub = hub_of(args)
    require_schema(hub)
    if args.source not in hub.settings.sources:
        known = ", ".join(sorted(hub.settings.sources)) or "none configured"
        raise ConfigError(
            hub.settings.path, f"sources.{args.source}", f"no such source (known: {known})"
        )
    report = sync_source(
        hub.engine,
        args.source,
        hub.sources[args.source],
        full=args.full,
        progress=say if args.verbose else None,
    )
    print(
        f"{args.source}: {report.seen} records in {report.pages} pages ({report.new} new, "
        f"{report.changed} changed, {report.unchanged} unchanged, {report.flagged} flagged, "
        f"{report.deleted} deleted) in {report.seconds:.1f}s"
    )
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from integration.runner import run_job

    hub = hub_of(args)
    require_schema(hub)
    ok = run_job(args.config, say=say)
    return 0 if ok else 1


def register(tree: CommandTree) -> None:
    tree.command(
        ("status",),
        _cmd_status,
        "Show sources and their cursors, row verdicts, clusters, golden "
        "records, the review queue and what each sink has accepted.",
    )
    sync = tree.command(
        ("sync",), _cmd_sync, "Land one source: pull every stream from its stored cursor."
    )
    sync.add_argument("source", help="a source name from chub.yaml")
    sync.add_argument("--full", action="store_true", help="re-read from the beginning")
    sync.add_argument("-v", "--verbose", action="store_true", help="print progress per page")
    tree.command(
        ("run",),
        _cmd_run,
        "Run the whole asset graph once (the customer_hub_sync job), in process.",
    )
