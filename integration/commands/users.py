"""`chub user add|set-role|list`: the review web app's users."""

from __future__ import annotations

import argparse
import getpass
import sys

from integration.commands import CommandTree, hub_of, say
from integration.commands._common import require_schema

__all__ = ["register"]


def _read_password(args: argparse.Namespace) -> str:
    from integration.web.auth import AuthError

    if args.password_stdin:
        # one line: what `printf '%s\n' "$PW" | chub user add ...` or a secret store sends
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise AuthError("no terminal to ask for the password: pass it with --password-stdin")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise AuthError("the two passwords differ; nothing was changed")
    return first


def _cmd_add(args: argparse.Namespace) -> int:
    from integration.web.auth import add_user

    hub = hub_of(args)
    require_schema(hub)
    password = _read_password(args)
    user = add_user(hub.engine, args.name, password, args.role)
    say(f"user {user.username} added with role {user.role}")
    return 0


def _cmd_set_role(args: argparse.Namespace) -> int:
    from integration.web.auth import set_role

    hub = hub_of(args)
    require_schema(hub)
    before = set_role(hub.engine, args.name, args.role)
    say(f"user {args.name}: role {before} -> {args.role}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from integration.web.auth import list_users

    hub = hub_of(args)
    require_schema(hub)
    users = list_users(hub.engine)
    print(f"{'user':<24}{'role':<10}created")
    for u in users:
        print(f"{u.username:<24}{u.role:<10}{u.created_at:%Y-%m-%d %H:%M}")
    if not users:
        print("(no users yet: `chub user add NAME --role admin`)")
    return 0


def register(tree: CommandTree) -> None:
    roles = ("admin", "steward", "viewer")
    group = "Users of the review web app (roles: admin, steward, viewer)."
    add = tree.command(
        ("user", "add"),
        _cmd_add,
        "Add a user; the password is asked for twice, or read from stdin.",
        group_help=group,
    )
    add.add_argument("name", help="the login name")
    add.add_argument("--role", required=True, choices=roles, help="what the user may do")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line"
    )
    role = tree.command(("user", "set-role"), _cmd_set_role, "Change a user's role.")
    role.add_argument("name", help="the login name")
    role.add_argument("role", choices=roles, help="the new role")
    tree.command(("user", "list"), _cmd_list, "List the users and their roles.")
