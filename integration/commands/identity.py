"""`chub review ...`, `chub resolve [--refit]`, `chub golden merge|split`: the review queue,
resolution with the stored matching state, and the admins' identity decisions."""

from __future__ import annotations

import argparse
import json

from integration.commands import CommandTree, hub_of
from integration.commands._common import require_schema
from integration.errors import ChubError

__all__ = ["register"]

_REVIEW = (
    "The duplicate-merge review queue: pairs the matcher was unsure about, and your "
    "answers (applied at once, kept as constraints)."
)


def _cmd_review_list(args: argparse.Namespace) -> int:
    from integration.review import pending_pairs

    hub = hub_of(args)
    require_schema(hub)
    pairs = pending_pairs(hub.engine, args.limit)
    if args.json:
        print(json.dumps([p.as_json() for p in pairs], ensure_ascii=False, indent=2))
        return 0
    for p in pairs:
        print(f"pair {p.pair_id}  p={p.score:.3f}  {p.left}  <->  {p.right}")
        print(f"    golden {p.left_golden}  <->  {p.right_golden}")
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

    hub = hub_of(args)
    require_schema(hub)
    decision = decide(hub.engine, args.pair, args.answer, actor=args.by, reason=args.reason)
    print(f"pair {args.pair}: {args.answer} applied (decision {decision})")
    return 0


def _cmd_resolve(args: argparse.Namespace) -> int:
    from integration.pipeline.resolve import resolve_customers

    hub = hub_of(args)
    require_schema(hub)
    if args.buckets:
        if args.refit:
            raise ChubError(
                "--buckets resolves under the stored model: run `chub resolve --refit` "
                "without --buckets first"
            )
        from integration.partitioned_job import resolve_in_buckets
        from integration.resources import HubResource

        # the plan, buckets and last step of the partitioned_resolution job, in worker
        # processes of this machine instead of Dagster steps
        report = resolve_in_buckets(
            HubResource(config_path=str(args.config)), args.buckets, workers=args.workers
        )
    else:
        report = resolve_customers(
            hub.engine,
            hub.match_spec,
            hub.match_settings,
            exclude_sources=set(hub.blocked_sources()),
            refit=args.refit,
        )
    if args.json:
        print(json.dumps(report.as_metadata(), ensure_ascii=False, indent=2))
        return 0
    print(
        f"{report.mode} resolution: {report.rows_matched} rows matched, "
        f"{report.rows_removed} removed; {report.rows} rows in {report.clusters} clusters; "
        f"{report.records_changed_cluster} records changed cluster; "
        f"{report.review_pairs} pairs wait for review ({report.seconds:.1f}s)"
    )
    for why in report.unapplied_decisions:
        print(f"  not applied: {why}")
    return 0


def _cmd_golden_merge(args: argparse.Namespace) -> int:
    from integration.identity import merge_golden

    hub = hub_of(args)
    require_schema(hub)
    survivor = merge_golden(hub.engine, args.a, args.b, actor=args.by, reason=args.reason)
    retired = args.b if survivor == args.a else args.a
    print(f"merged: {survivor} survives, {retired} is retired and leads to it")
    return 0


def _cmd_golden_apart(args: argparse.Namespace) -> int:
    from integration.identity import keep_apart

    hub = hub_of(args)
    require_schema(hub)
    decision = keep_apart(hub.engine, args.a, args.b, actor=args.by, reason=args.reason)
    print(f"{args.a} and {args.b} are kept apart from now on (decision {decision})")
    return 0


def _cmd_golden_split(args: argparse.Namespace) -> int:
    from integration.identity import split_member

    hub = hub_of(args)
    require_schema(hub)
    new_id = split_member(
        hub.engine, args.golden_id, args.member, actor=args.by, reason=args.reason
    )
    print(f"{args.member} split out of {args.golden_id} into {new_id}")
    return 0


def _who(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", required=True, help="who decides")
    p.add_argument("--reason", help="why")


def register(tree: CommandTree) -> None:
    rl = tree.command(
        ("review", "list"),
        _cmd_review_list,
        "Pending pairs with each field's comparison level and weight.",
        group_help=_REVIEW,
    )
    rl.add_argument("--limit", type=int, default=20)
    rl.add_argument(
        "--json", action="store_true", help="print the queue as JSON (id, score, refs, fields)"
    )
    for answer, text in (
        ("merge", "They are the same customer: merge their golden records now."),
        ("apart", "They are different customers: keep them apart."),
    ):
        rd = tree.command(("review", answer), _cmd_review_decide, text)
        rd.set_defaults(answer=answer)
        rd.add_argument("pair", type=int, help="the pair id from `chub review list`")
        _who(rd)
    rs = tree.command(
        ("resolve",),
        _cmd_resolve,
        "Match the rows that changed since the last run, with the stored model "
        "(--refit: learn the model again and re-resolve every row).",
    )
    rs.add_argument(
        "--refit",
        action="store_true",
        help="re-learn the weights from all rows and re-resolve everything",
    )
    rs.add_argument("--json", action="store_true", help="print the report as JSON")
    rs.add_argument(
        "--buckets",
        type=int,
        default=0,
        metavar="N",
        help="match every row in N blocking buckets under the stored model (scale-out; "
        "the same result as one process)",
    )
    rs.add_argument(
        "--workers", type=int, default=2, metavar="W", help="processes for --buckets (default 2)"
    )
    gm = tree.command(
        ("golden", "merge"),
        _cmd_golden_merge,
        "Merge two golden records now; the older survives, the other leads to it.",
        group_help="The golden records.",
    )
    gm.add_argument("a", help="a golden id")
    gm.add_argument("b", help="another golden id")
    _who(gm)
    ga = tree.command(
        ("golden", "apart"),
        _cmd_golden_apart,
        "Keep two golden records apart in every later run and refit.",
        group_help="The golden records.",
    )
    ga.add_argument("a", help="a golden id")
    ga.add_argument("b", help="another golden id")
    _who(ga)
    gs = tree.command(
        ("golden", "split"),
        _cmd_golden_split,
        "Split a member out of a golden record into a new one, kept apart from now on.",
        group_help="The golden records.",
    )
    gs.add_argument("golden_id")
    gs.add_argument("member", help="a customer row id or source:stream:key")
    _who(gs)
