"""`chub serve` (the golden-record API and the review web app), `chub token create |
list | revoke` (API tokens), `chub search reindex` (the API's search keys)."""

from __future__ import annotations

import argparse

from integration.commands import CommandTree, hub_of, say
from integration.commands._common import require_schema

__all__ = ["register"]


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from integration.sections.serve import ServeSettings
    from integration.web.app import create_app

    hub = hub_of(args)
    require_schema(hub)
    serve: ServeSettings = hub.settings.serve or ServeSettings()
    host = args.host or serve.host
    port = args.port if args.port is not None else serve.port
    app = create_app(hub, keep_search_index=True)
    say(f"chub serve: http://{host}:{port}/ (API under /api, its OpenAPI at /openapi.json)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=args.log_level,
        access_log=args.log_level == "debug",
        # the request target bound is ours (414); uvicorn's own header limit stays the default
        limit_concurrency=args.max_connections,
    )
    return 0


def _cmd_token_create(args: argparse.Namespace) -> int:
    from integration.store import session_scope
    from integration.web.tokens import create_token, parse_expiry

    hub = hub_of(args)
    require_schema(hub)
    expires = parse_expiry(args.expires) if args.expires else None
    with session_scope(hub.engine) as session:
        token, info = create_token(session, args.name, args.scope or ["read"], expires_at=expires)
    until = f", expires {info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else ""
    say(
        f"token {info.name!r} (scopes: {', '.join(info.scopes)}{until}) created; it is shown"
        " only this once, on the next line: keep it in the client's secret store"
    )
    print(token, flush=True)
    return 0


def _cmd_token_list(args: argparse.Namespace) -> int:
    from integration.store import session_scope
    from integration.web.tokens import list_tokens

    hub = hub_of(args)
    require_schema(hub)
    with session_scope(hub.engine) as session:
        tokens = list_tokens(session)
    if not tokens:
        say("no API tokens (chub token create NAME --scope read)")
        return 0
    print(f"{'name':<24} {'scopes':<10} {'state':<8} {'created':<16} {'expires':<16} last used")
    for t in tokens:
        print(
            f"{t.name:<24} {','.join(t.scopes):<10} {t.state():<8}"
            f" {t.created_at:%Y-%m-%d %H:%M} "
            f" {f'{t.expires_at:%Y-%m-%d %H:%M}' if t.expires_at else '-':<16}"
            f" {f'{t.last_used_at:%Y-%m-%d %H:%M}' if t.last_used_at else '-'}"
        )
    return 0


def _cmd_token_revoke(args: argparse.Namespace) -> int:
    from integration.store import session_scope
    from integration.web.tokens import revoke_token

    hub = hub_of(args)
    require_schema(hub)
    with session_scope(hub.engine) as session:
        info = revoke_token(session, args.name)
    print(f"token {info.name!r} revoked: requests with it are refused from now on")
    return 0


def _cmd_search_reindex(args: argparse.Namespace) -> int:
    from integration.web.api.index import rebuild

    hub = hub_of(args)
    require_schema(hub)
    keyed = rebuild(hub.engine)
    print(f"search keys rebuilt for {keyed} active golden records")
    return 0


def register(tree: CommandTree) -> None:
    serve = tree.command(
        ("serve",),
        _cmd_serve,
        "Serve the golden-record API (/api, /openapi.json, /healthz) and the review web app.",
    )
    serve.add_argument("--host", default=None, help="address to bind (default: serve.host)")
    serve.add_argument("--port", type=int, default=None, help="port (default: serve.port)")
    serve.add_argument(
        "--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug")
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=200,
        help="open connections beyond this are answered 503 (default 200)",
    )

    group = "API tokens of the golden-record API."
    create = tree.command(
        ("token", "create"),
        _cmd_token_create,
        "Make an API token; it is printed once, on a line of its own.",
        group_help=group,
    )
    create.add_argument("name", help="who or what uses it, e.g. crm-sync")
    create.add_argument(
        "--scope",
        action="append",
        choices=("read", "pii"),
        help="read: records, lookup, search, feed, status (mobiles and e-mails masked);"
        " pii: the same unmasked (every such answer is audited). Repeat for both.",
    )
    create.add_argument(
        "--expires", default=None, help="30d, 12h, 90m from now, or an ISO date (default: never)"
    )
    tree.command(("token", "list"), _cmd_token_list, "List API tokens (never the tokens).")
    revoke = tree.command(
        ("token", "revoke"), _cmd_token_revoke, "Revoke an API token by name, at once."
    )
    revoke.add_argument("name")
    tree.command(
        ("search", "reindex"),
        _cmd_search_reindex,
        "Rebuild the API's search keys of every active golden record.",
        group_help="The golden-record API's search keys.",
    )
