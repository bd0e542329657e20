"""The ``chub`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from connectors.contract import ConnectorError
from integration.commands import CommandTree, register_all
from integration.config_file import DEFAULT_CONFIG, ConfigError
from integration.errors import ChubError

__all__ = ["main"]

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cmd_demo(args: argparse.Namespace) -> int:
    from integration.demo.run import run_demo

    print(run_demo(workdir=args.dir, people=args.people, fresh=args.fresh, say=_say))
    return 0


def _hub(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from integration.hub import Hub

    return Hub.from_config(args.config, say=_say)


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from integration.store import upgrade

    hub = _hub(args)
    revision = upgrade(hub.engine)
    print(f"hub database at revision {revision}")
    return 0


def _cmd_dedupe(args: argparse.Namespace) -> int:
    from dedupe.cli import run_dedupe

    summary = run_dedupe(
        args.input, args.spec, args.out, args.pairs, progress=_say, previous_path=args.previous
    )
    print(summary)
    return 0


def _artifacts(hub) -> Path:  # type: ignore[no-untyped-def]
    return hub.settings.resolve_path(hub.settings.hub.artifacts_dir)


def _cmd_quality_docs(args: argparse.Namespace) -> int:
    from integration.quality_ops import build_docs

    hub = _hub(args)
    _require_schema(hub)
    out = (
        Path(args.out)
        if args.out
        else hub.settings.resolve_path(hub.settings.hub.artifacts_dir) / "data_docs"
    )
    print(f"Data Docs: {build_docs(hub.engine, out)}")
    return 0


def _cmd_quality_report(args: argparse.Namespace) -> int:
    from integration.quality_ops import build_report

    hub = _hub(args)
    _require_schema(hub)
    out = (
        Path(args.out)
        if args.out
        else hub.settings.resolve_path(hub.settings.hub.artifacts_dir) / "quality"
    )
    text, html, png = build_report(hub.engine, out)
    print(text)
    print(f"charts: {html} and {png}")
    return 0


def _cmd_quarantine_list(args: argparse.Namespace) -> int:
    from integration.quality_ops import list_quarantine

    hub = _hub(args)
    _require_schema(hub)
    rows = list_quarantine(hub.engine, args.source, args.limit)
    for row in rows:
        why = "; ".join(f"{r.get('field')}: {r.get('message')}" for r in row.reasons)
        print(f"{row.row_id:>8}  {row.source}/{row.key}  {why}")
    if not rows:
        print("the quarantine is empty")
    return 0


def _cmd_quarantine_correct(args: argparse.Namespace) -> int:
    from integration.quality_ops import correct_row

    hub = _hub(args)
    _require_schema(hub)
    values: dict[str, str] = {}
    for item in args.values:
        field, sep, value = item.partition("=")
        if not sep or not field:
            raise QuarantineUsageError(f"expected FIELD=VALUE, got {item!r}")
        values[field.strip()] = value
    verdict = correct_row(
        hub.engine, hub.rules, args.row, values, actor=args.by, reason=args.reason
    )
    print(f"row {args.row} is now {verdict}")
    return 0


def _cmd_quarantine_override(args: argparse.Namespace) -> int:
    from integration.quality_ops import override_row

    hub = _hub(args)
    _require_schema(hub)
    override_row(hub.engine, args.row, actor=args.by, reason=args.reason)
    print(f"row {args.row} is accepted as it is until its source changes it")
    return 0


class QuarantineUsageError(Exception):
    pass


def _require_schema(hub) -> None:  # type: ignore[no-untyped-def]
    from integration.store import HubStoreError, check_reachable

    check_reachable(hub.engine)
    if not hub.schema_is_current():
        raise HubStoreError("the hub database schema is not current: run `chub db upgrade` first")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chub",
        description="customer-hub: land customers from every silo, deduplicate them into golden "
        "records, check them and push them back out.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "-c",
            "--config",
            default=os.environ.get("CHUB_CONFIG", DEFAULT_CONFIG),
            help="the chub.yaml to use (default: $CHUB_CONFIG or ./chub.yaml)",
        )
        return p

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_: str, config: bool = True
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return with_config(p) if config else p

    demo = add(
        "demo",
        _cmd_demo,
        "Start stand-in servers for WeCom, the ERP, the call centre, the "
        "marketing platform and a CRM, filled with generated Chinese customers; run the whole "
        "asset graph on an embedded SQLite hub and print a summary.",
        config=False,
    )
    demo.add_argument("--dir", default=".chub/demo", help="where the demo keeps its hub and config")
    demo.add_argument("--people", type=int, default=2500, help="real customers to generate")
    demo.add_argument("--fresh", action="store_true", help="start from an empty hub")

    db = sub.add_parser("db", help="Hub database commands.", description="Hub database commands.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    up = db_sub.add_parser(
        "upgrade",
        help="Create or migrate the hub tables to the newest schema.",
        description="Create or migrate the hub tables to the newest schema.",
    )
    up.set_defaults(func=_cmd_db_upgrade)
    with_config(up)

    qual = sub.add_parser(
        "quality", help="Data quality reports.", description="Data quality reports."
    )
    qual_sub = qual.add_subparsers(dest="quality_command", required=True, metavar="QUALITY_COMMAND")
    docs = qual_sub.add_parser(
        "docs",
        help="Build Great Expectations Data Docs (HTML) from the kept validation results.",
        description="Build Great Expectations Data Docs (HTML) from the kept validation results.",
    )
    docs.set_defaults(func=_cmd_quality_docs)
    docs.add_argument("--out", help="output folder (default: <artifacts_dir>/data_docs)")
    with_config(docs)
    rep_help = (
        "Scorecards per source and for the golden records, with HTML and PNG charts of "
        "their history."
    )
    rep = qual_sub.add_parser("report", help=rep_help, description=rep_help)
    rep.set_defaults(func=_cmd_quality_report)
    rep.add_argument("--out", help="output folder (default: <artifacts_dir>/quality)")
    with_config(rep)

    quar = sub.add_parser(
        "quarantine",
        help="List, correct or override quarantined rows.",
        description="List, correct or override quarantined rows.",
    )
    quar_sub = quar.add_subparsers(dest="quarantine_command", required=True, metavar="ACTION")
    ql = quar_sub.add_parser(
        "list",
        help="Quarantined rows with every reason (values masked).",
        description="Quarantined rows with every reason (values masked).",
    )
    ql.set_defaults(func=_cmd_quarantine_list)
    ql.add_argument("--source", help="only this source")
    ql.add_argument("--limit", type=int, default=50)
    with_config(ql)
    qc = quar_sub.add_parser(
        "correct",
        help="Correct fields of a row and check it again.",
        description="Correct fields of a row and check it again; the fix is "
        "kept and re-applied when the source changes the record.",
    )
    qc.set_defaults(func=_cmd_quarantine_correct)
    qc.add_argument("row", type=int, help="the row id from `chub quarantine list`")
    qc.add_argument("values", nargs="+", metavar="FIELD=VALUE")
    qc.add_argument("--by", required=True, help="who makes the correction")
    qc.add_argument("--reason", help="why")
    with_config(qc)
    qo = quar_sub.add_parser(
        "override",
        help="Accept a quarantined row as it is.",
        description="Accept a quarantined row as it is, until its source changes it.",
    )
    qo.set_defaults(func=_cmd_quarantine_override)
    qo.add_argument("row", type=int)
    qo.add_argument("--by", required=True)
    qo.add_argument("--reason", required=True)
    with_config(qo)

    dd = add(
        "dedupe",
        _cmd_dedupe,
        "Deduplicate any CSV with a matching spec (the engine alone, no hub needed).",
        config=False,
    )
    dd.add_argument("input", help="a UTF-8 CSV with a header row")
    dd.add_argument(
        "--spec", required=True, help="YAML: `id: <column>` and `fields: {column: type}`"
    )
    dd.add_argument("--out", required=True, help="where to write <id>,cluster_id")
    dd.add_argument("--pairs", help="where to write the scored pairs above the lower threshold")
    dd.add_argument(
        "--previous",
        help="an earlier run's --out: clusters keep their ids (new records join them)",
    )
    register_all(CommandTree(sub))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        _say("chub: interrupted")
        return 130
    except Exception as exc:
        code = _user_error(exc)
        if code is None:
            raise
        return code


def _user_error(exc: Exception) -> int | None:
    """The exit code for a user's mistake or an outside system's failure, said in one
    line; None for a bug (its traceback is wanted). The error classes are imported
    here, not at start-up: `chub dedupe` should not wait for the hub store and GX."""
    from dedupe.errors import DedupeError
    from integration.quality_ops import QuarantineError
    from integration.review import ReviewError
    from integration.store import HubStoreError

    if isinstance(exc, ConfigError):
        _say(f"chub: configuration error: {exc}")
        return 2
    if isinstance(
        exc, ChubError | HubStoreError | QuarantineError | QuarantineUsageError | ReviewError
    ):
        _say(f"chub: {exc}")
        return 2
    if isinstance(exc, ConnectorError):
        _say(f"chub: {type(exc).__name__}: {exc}")
        return 1
    if isinstance(exc, DedupeError):
        _say(f"chub: {exc}")
        return 2
    return None


if __name__ == "__main__":
    sys.exit(main())
