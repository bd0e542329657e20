"""`chub status`, `chub sync`, `chub run` and the backfill / replay commands: what a data
engineer runs and watches.

- ``chub backfill sync SOURCE --since DATE | --full``: re-read a source from a date (or
  from the beginning) and bring everything downstream up to date;
- ``chub backfill resolve``: re-resolve every row, rebuild the golden records, publish
  (``--refit`` re-learns the matching model first);
- ``chub backfill publish SINK``: push every golden record to one sink again.

Each runs the same Dagster job the UI offers (``sync_<source>``, ``resolve_and_publish`` /
``nightly_refit``, ``republish_<sink>``), in this process, one run at a time per hub.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from integration.commands import CommandTree, hub_of, say
from integration.commands._common import require_schema, wait_options
from integration.config_file import ConfigError
from integration.errors import ChubError

__all__ = ["register"]


def _cmd_status(args: argparse.Namespace) -> int:
    from integration.status import status_report

    hub = hub_of(args)
    print(status_report(hub))
    return 0


def _known_source(hub: Any, source: str) -> None:
    if source not in hub.settings.sources:
        known = ", ".join(sorted(hub.settings.sources)) or "none configured"
        raise ConfigError(
            hub.settings.path, f"sources.{source}", f"no such source (known: {known})"
        )


def _cmd_sync(args: argparse.Namespace) -> int:
    from integration.pipeline.land import sync_source
    from integration.status import recorded_run

    hub = hub_of(args)
    require_schema(hub)
    _known_source(hub, args.source)
    with recorded_run(hub.engine, "sync", args.source) as detail:
        report = sync_source(
            hub.engine,
            args.source,
            hub.sources[args.source],
            full=args.full,
            progress=say if args.verbose else None,
        )
        detail.update(report.as_metadata())
    print(
        f"{args.source}: {report.seen} records in {report.pages} pages ({report.new} new, "
        f"{report.changed} changed, {report.unchanged} unchanged, {report.flagged} flagged, "
        f"{report.deleted} deleted) in {report.seconds:.1f}s"
    )
    return 0


def _wait_of(args: argparse.Namespace, hub: Any) -> float | None:
    if args.no_wait:
        return 0
    if args.wait is not None:
        return float(args.wait)
    ops = hub.settings.operations
    return getattr(ops, "run_lock_wait_seconds", None)


def _run(args: argparse.Namespace, job: str, run_config: dict[str, Any] | None = None) -> int:
    from integration.runner import run_job

    hub = hub_of(args)
    require_schema(hub)
    wait = _wait_of(args, hub)
    hub.close()
    ok = run_job(args.config, say=say, job_name=job, run_config=run_config, wait=wait)
    return 0 if ok else 1


def _cmd_run(args: argparse.Namespace) -> int:
    from schedules import FULL_SYNC_JOB

    return _run(args, FULL_SYNC_JOB)


def _parse_date(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ChubError(
            f"--since {value!r} is not a date (use 2026-03-01 or 2026-03-01T08:00+08:00)"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _cmd_backfill_sync(args: argparse.Namespace) -> int:
    from integration.runner import rewind_source
    from schedules.jobs import resync_run_config, sync_job_name

    if bool(args.since) == bool(args.full):
        raise ChubError("say where to re-read from: --since DATE or --full (one of them)")
    hub = hub_of(args)
    require_schema(hub)
    _known_source(hub, args.source)
    if args.since:
        when = _parse_date(args.since)
        if when > datetime.now(UTC):
            raise ChubError(f"--since {args.since} is in the future")
        source = hub.sources[args.source]
        kind = hub.settings.sources[args.source].type
        rewind_source(hub.engine, args.source, kind, list(source.streams), when)
        say(f"{args.source}: cursors set to {when.isoformat()}; syncing")
    hub.close()
    return _run(args, sync_job_name(args.source), resync_run_config(args.source, full=args.full))


def _cmd_backfill_resolve(args: argparse.Namespace) -> int:
    from schedules import NIGHTLY_JOB, RESOLVE_JOB

    return _run(args, NIGHTLY_JOB if args.refit else RESOLVE_JOB)


def _cmd_backfill_publish(args: argparse.Namespace) -> int:
    from schedules.jobs import republish_job_name

    hub = hub_of(args)
    if args.sink not in hub.settings.sinks:
        known = ", ".join(sorted(hub.settings.sinks)) or "none configured"
        raise ConfigError(hub.settings.path, f"sinks.{args.sink}", f"no such sink (known: {known})")
    hub.close()
    return _run(args, republish_job_name(args.sink))


def _waiting(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    return wait_options(
        p, "another chub run", "as long as it takes, or operations.run_lock_wait_seconds"
    )


def register(tree: CommandTree) -> None:
    tree.command(
        ("status",),
        _cmd_status,
        "Show per source the last successful sync, lag, rows landed, quarantined and last "
        "error; the review queue; dead letters per sink; the last run's result and duration.",
    )
    sync = tree.command(
        ("sync",), _cmd_sync, "Land one source: pull every stream from its stored cursor."
    )
    sync.add_argument("source", help="a source name from chub.yaml")
    sync.add_argument("--full", action="store_true", help="re-read from the beginning")
    sync.add_argument("-v", "--verbose", action="store_true", help="print progress per page")
    _waiting(
        tree.command(
            ("run",),
            _cmd_run,
            "Run the whole asset graph once (the customer_hub_sync job), in process; one "
            "chub run at a time per hub (a second one waits, or says one is running).",
        )
    )
    group_help = "Backfill and replay: re-sync a source, re-resolve everything, re-publish."
    bs = _waiting(
        tree.command(
            ("backfill", "sync"),
            _cmd_backfill_sync,
            "Re-read one source from a date (--since) or from the beginning (--full), then "
            "bring everything downstream up to date.",
            group_help=group_help,
        )
    )
    bs.add_argument("source", help="a source name from chub.yaml")
    bs.add_argument("--since", metavar="DATE", help="ISO date or time (UTC unless it says)")
    bs.add_argument("--full", action="store_true", help="re-read everything")
    br = _waiting(
        tree.command(
            ("backfill", "resolve"),
            _cmd_backfill_resolve,
            "Re-resolve every customer row, rebuild the golden records and publish.",
            group_help=group_help,
        )
    )
    br.add_argument(
        "--refit", action="store_true", help="re-learn the matching model first (the nightly job)"
    )
    bp = _waiting(
        tree.command(
            ("backfill", "publish"),
            _cmd_backfill_publish,
            "Push every golden record to one sink again (the target ids stay: no duplicates).",
            group_help=group_help,
        )
    )
    bp.add_argument("sink", help="a sink name from chub.yaml")
