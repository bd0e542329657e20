"""`chub serve-callbacks SOURCE`: the WeCom change-callback URL (and its inbox worker)."""

from __future__ import annotations

import argparse

from integration.commands import CommandTree, hub_of
from integration.commands._common import require_schema

__all__ = ["register"]


def _cmd_serve_callbacks(args: argparse.Namespace) -> int:
    from integration.callbacks import serve_wecom_callbacks

    hub = hub_of(args)
    require_schema(hub)
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


def register(tree: CommandTree) -> None:
    cb = tree.command(
        ("serve-callbacks",),
        _cmd_serve_callbacks,
        "Serve the WeCom change-callback URL: each add/edit/delete event is acknowledged "
        "at once, queued in the hub, and a worker refreshes just that contact (also "
        "draining what an earlier, killed server left queued).",
    )
    cb.add_argument("source", help="a wecom source name from chub.yaml")
    cb.add_argument("--host", default="127.0.0.1")
    cb.add_argument("--port", type=int, default=8790)
