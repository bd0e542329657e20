"""`chub review ...`: the duplicate-merge review queue (and, with the system of record,
`chub resolve`, `chub golden merge|split`)."""

from __future__ import annotations

import argparse

from integration.commands import CommandTree, hub_of
from integration.commands._common import require_schema

__all__ = ["register"]

_REVIEW = (
    "The duplicate-merge review queue: pairs the matcher was unsure about, and your "
    "answers (kept as constraints)."
)


def _cmd_review_list(args: argparse.Namespace) -> int:
    from integration.review import pending_pairs

    hub = hub_of(args)
    require_schema(hub)
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

    hub = hub_of(args)
    require_schema(hub)
    decide(hub.engine, args.pair, args.answer, actor=args.by, reason=args.reason)
    print(f"pair {args.pair}: {args.answer} recorded; the next run obeys it")
    return 0


def register(tree: CommandTree) -> None:
    rl = tree.command(
        ("review", "list"),
        _cmd_review_list,
        "Pending pairs with each field's contribution.",
        group_help=_REVIEW,
    )
    rl.add_argument("--limit", type=int, default=20)
    for answer, text in (
        ("merge", "They are the same customer."),
        ("apart", "They are different customers: keep them apart."),
    ):
        rd = tree.command(("review", answer), _cmd_review_decide, text)
        rd.set_defaults(answer=answer)
        rd.add_argument("pair", type=int, help="the pair id from `chub review list`")
        rd.add_argument("--by", required=True, help="who decides")
        rd.add_argument("--reason", help="why")
