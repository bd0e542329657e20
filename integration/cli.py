"""The ``chub`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from connectors.contract import ConnectorError
from integration.config_file import DEFAULT_CONFIG, ConfigError

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


def _cmd_status(args: argparse.Namespace) -> int:
    from integration.status import status_report

    hub = _hub(args)
    print(status_report(hub))
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    from integration.pipeline.land import sync_source

    hub = _hub(args)
    _require_schema(hub)
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
        progress=_say if args.verbose else None,
    )
    print(
        f"{args.source}: {report.seen} records in {report.pages} pages ({report.new} new, "
        f"{report.changed} changed, {report.unchanged} unchanged, {report.flagged} flagged, "
        f"{report.deleted} deleted) in {report.seconds:.1f}s"
    )
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from integration.runner import run_job

    hub = _hub(args)
    _require_schema(hub)
    ok = run_job(args.config, say=_say)
    return 0 if ok else 1


def _cmd_replay(args: argparse.Namespace) -> int:
    from integration.pipeline.publish import replay_dead_letters

    hub = _hub(args)
    if args.sink not in hub.settings.sinks:
        raise ConfigError(hub.settings.path, f"sinks.{args.sink}", "no such sink")
    n = replay_dead_letters(hub.engine, args.sink)
    print(f"{n} dead letters of {args.sink} will be pushed again on the next run")
    return 0


def _cmd_dedupe(args: argparse.Namespace) -> int:
    from dedupe.cli import run_dedupe

    summary = run_dedupe(
        args.input, args.spec, args.out, args.pairs, progress=_say, previous_path=args.previous
    )
    print(summary)
    return 0


def _cmd_serve_callbacks(args: argparse.Namespace) -> int:
    from integration.callbacks import serve_wecom_callbacks

    hub = _hub(args)
    _require_schema(hub)
    server = serve_wecom_callbacks(hub, args.source, args.host, args.port)
    print(
        f"listening for {args.source} change callbacks on http://{args.host}:{server.server_port}/",
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _cmd_review_list(args: argparse.Namespace) -> int:
    from integration.review import pending_pairs

    hub = _hub(args)
    _require_schema(hub)
    pairs = pending_pairs(hub.engine, args.limit)
    for p in pairs:
        print(f"pair {p.pair_id}  p={p.score:.3f}  {p.left}  <->  {p.right}")
        for field, detail in sorted(p.explanation.items()):
            if isinstance(detail, dict) and detail.get("level") != "missing":
                level = detail.get("level")
                weight = detail.get("weight")
                shown = f"{weight:+.2f}" if isinstance(weight, int | float) else "?"
                print(f"    {field:<24} {level!s:<18} {shown}")
    if not pairs:
        print("no pairs wait for review")
    return 0


def _cmd_review_decide(args: argparse.Namespace) -> int:
    from integration.review import decide

    hub = _hub(args)
    _require_schema(hub)
    decide(hub.engine, args.pair, args.answer, actor=args.by, reason=args.reason)
    print(f"pair {args.pair}: {args.answer} recorded; the next run obeys it")
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

    add(
        "status",
        _cmd_status,
        "Show sources and their cursors, row verdicts, clusters, golden "
        "records, the review queue and what each sink has accepted.",
    )

    sync = add("sync", _cmd_sync, "Land one source: pull every stream from its stored cursor.")
    sync.add_argument("source", help="a source name from chub.yaml")
    sync.add_argument("--full", action="store_true", help="re-read from the beginning")
    sync.add_argument("-v", "--verbose", action="store_true", help="print progress per page")

    add("run", _cmd_run, "Run the whole asset graph once (the customer_hub_sync job), in process.")

    replay = add("replay", _cmd_replay, "Make a sink's dead letters eligible to be pushed again.")
    replay.add_argument("sink", help="a sink name from chub.yaml")

    cb = add(
        "serve-callbacks",
        _cmd_serve_callbacks,
        "Serve the WeCom change-callback URL: each "
        "add/edit/delete event refreshes just that contact in the hub.",
    )
    cb.add_argument("source", help="a wecom source name from chub.yaml")
    cb.add_argument("--host", default="127.0.0.1")
    cb.add_argument("--port", type=int, default=8790)

    review = sub.add_parser(
        "review",
        help="The duplicate-merge review queue.",
        description="The duplicate-merge review queue: pairs the matcher "
        "was unsure about, and your answers (kept as constraints).",
    )
    review_sub = review.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    rl = review_sub.add_parser(
        "list",
        help="Pending pairs with each field's contribution.",
        description="Pending pairs with each field's contribution.",
    )
    rl.set_defaults(func=_cmd_review_list)
    rl.add_argument("--limit", type=int, default=20)
    with_config(rl)
    for answer, text in (
        ("merge", "They are the same customer."),
        ("apart", "They are different customers: keep them apart."),
    ):
        rd = review_sub.add_parser(answer, help=text, description=text)
        rd.set_defaults(func=_cmd_review_decide, answer=answer)
        rd.add_argument("pair", type=int, help="the pair id from `chub review list`")
        rd.add_argument("--by", required=True, help="who decides")
        rd.add_argument("--reason", help="why")
        with_config(rd)

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
    if isinstance(exc, HubStoreError | QuarantineError | QuarantineUsageError | ReviewError):
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
