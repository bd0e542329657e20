"""`chub golden show`, `chub golden rebuild`, `chub deadletters`, `chub replay`: the golden
record and its publishing, from the command line."""

from __future__ import annotations

import argparse
import json

from integration.commands import CommandTree, hub_of, say
from integration.commands._common import require_schema, wait_options
from integration.config_file import ConfigError

__all__ = ["register"]


def _cmd_show(args: argparse.Namespace) -> int:
    from integration.golden.view import golden_view, render_text
    from integration.store import session_scope

    hub = hub_of(args)
    try:
        with session_scope(hub.engine) as session:
            view = golden_view(session, args.golden_id, history=args.history)
    finally:
        hub.close()
    if args.json:
        print(json.dumps(view, ensure_ascii=False, indent=2, default=str))
    else:
        print(render_text(view))
    return 0


#: the hub lock of the writing stages (resolve, golden, publish): the one the golden asset
#: takes (``integration.assets.RESOLVE_LOCK``; not imported, it would load Dagster)
_WRITER_LOCK = "resolve"


def _cmd_rebuild(args: argparse.Namespace) -> int:
    """A full golden build: every record's fingerprint compared, not only the candidates
    the incremental rules name (the way out if a writer ever changed what a golden record
    is built from without leaving the trace those rules read)."""
    from integration.locks import hub_lock
    from integration.pipeline.golden import build_golden

    hub = hub_of(args)
    try:
        require_schema(hub)
        wait = 0.0 if args.no_wait else args.wait
        with hub_lock(hub.engine, _WRITER_LOCK, wait=wait):
            report = build_golden(
                hub.engine,
                hub.rules,
                settings=hub.settings.golden,
                # the same inputs as the golden asset's, so the settings digest agrees and
                # only what really moved is rewritten
                source_types={name: src.type for name, src in hub.settings.sources.items()},
                full=True,
            )
    finally:
        hub.close()
    if args.json:
        print(json.dumps(report.as_metadata(), indent=2))
        return 0
    changed = report.created + report.updated + report.retired
    print(
        f"golden rebuild: {changed} records changed ({report.created} new, {report.updated} "
        f"updated, {report.retired} retired) of {report.golden}, {report.unchanged} unchanged, "
        f"in {report.seconds:.1f}s"
    )
    return 0


def _sink_of(hub, name: str) -> None:  # type: ignore[no-untyped-def]
    if name not in hub.settings.sinks:
        known = ", ".join(sorted(hub.settings.sinks)) or "none configured"
        raise ConfigError(hub.settings.path, f"sinks.{name}", f"no such sink (sinks: {known})")


def _cmd_deadletters(args: argparse.Namespace) -> int:
    from integration.pipeline.publish import dead_letters

    hub = hub_of(args)
    try:
        _sink_of(hub, args.sink)
        letters = dead_letters(hub.engine, args.sink)
    finally:
        hub.close()
    if args.json:
        print(json.dumps([letter.__dict__ for letter in letters], ensure_ascii=False, indent=2))
        return 0
    if not letters:
        print(f"{args.sink}: no dead letters")
        return 0
    for letter in letters:
        print(f"{letter.golden_id}\tattempts {letter.attempts}\t{letter.error}")
    print(f"{len(letters)} dead letters in {args.sink} (chub replay {args.sink} [GOLDEN_ID ...])")
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from integration.pipeline.publish import publish, replay_dead_letters

    hub = hub_of(args)
    try:
        _sink_of(hub, args.sink)
        ids = args.golden_ids or None
        n = replay_dead_letters(hub.engine, args.sink, ids)
        if ids and n < len(set(ids)):
            say(f"{len(set(ids)) - n} of the given golden ids are no dead letters of {args.sink}")
        if n == 0:
            print(f"{args.sink}: nothing to replay")
            return 0
        if args.later:
            print(f"{n} dead letters of {args.sink} will be pushed again on the next run")
            return 0
        sink = hub.sink(args.sink)
        try:
            report = publish(
                hub.engine,
                args.sink,
                sink,
                require_quality=hub.settings.publish.require_quality,
                max_attempts=hub.settings.publish.max_attempts,
                source_name=hub.sink_source(args.sink),
                only=ids,
            )
        finally:
            sink.close()
    finally:
        hub.close()
    print(
        f"replayed {n} dead letters of {args.sink}: {report.pushed} accepted, "
        f"{report.dead} dead again, {report.failed - report.dead} to retry"
    )
    return 0 if report.failed == 0 else 1


def register(tree: CommandTree) -> None:
    show = tree.command(
        ("golden", "show"),
        _cmd_show,
        "Show one golden record: fields with lineage, members, facts, status.",
        group_help="The golden records.",
    )
    show.add_argument("golden_id")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument("--history", action="store_true", help="also every earlier version")
    rebuild = tree.command(
        ("golden", "rebuild"),
        _cmd_rebuild,
        "Rebuild every golden record whose inputs moved, comparing all of them (a full "
        "build, not only the incremental candidates); prints how many changed.",
    )
    rebuild.add_argument("--json", action="store_true", help="print the build report as JSON")
    wait_options(rebuild, "a resolve, golden or publish run")
    dead = tree.command(
        ("deadletters",), _cmd_deadletters, "List a sink's dead letters with their errors."
    )
    dead.add_argument("sink", help="a sink name from chub.yaml")
    dead.add_argument("--json", action="store_true", help="print JSON")
    replay = tree.command(
        ("replay",), _cmd_replay, "Push a sink's dead letters (all, or the ones named) again."
    )
    replay.add_argument("sink", help="a sink name from chub.yaml")
    replay.add_argument("golden_ids", nargs="*", metavar="GOLDEN_ID")
    replay.add_argument(
        "--later", action="store_true", help="only make them eligible for the next run"
    )
