"""`chub user add / set-role / list`: the users the review app logs in."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from integration.cli import main
from integration.store import AppUser, session_scope
from integration.web.auth import authenticate


def _config(tmp_path: Path, hub_url: str) -> str:
    config = tmp_path / "chub.yaml"
    config.write_text(f"hub: {{database_url: '{hub_url}'}}\n")
    return str(config)


def test_add_a_user_from_stdin_change_the_role_and_list(
    engine, hub_url, tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    config = _config(tmp_path, hub_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long passphrase\n"))
    assert main(["user", "add", "wang", "--role", "steward", "--password-stdin", "-c", config]) == 0
    with session_scope(engine) as s:
        user = s.scalars(select(AppUser)).one()
        assert user.role == "steward" and user.password_hash.startswith("$argon2id$")
        assert "a long passphrase" not in user.password_hash
        assert authenticate(s, "wang", "a long passphrase") is not None
        assert authenticate(s, "wang", "a long passphrase!") is None
    assert main(["user", "set-role", "wang", "admin", "-c", config]) == 0
    assert main(["user", "list", "-c", config]) == 0
    out = capsys.readouterr()
    assert "wang" in out.out and "admin" in out.out
    assert "role steward -> admin" in out.err


def test_user_mistakes_are_one_line(engine, hub_url, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    config = _config(tmp_path, hub_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["user", "add", "li", "--role", "viewer", "--password-stdin", "-c", config]) == 2
    assert "at least 8 characters" in capsys.readouterr().err
    assert main(["user", "set-role", "nobody", "viewer", "-c", config]) == 2
    assert "there is no user 'nobody'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["user", "add", "li", "--role", "root", "-c", config])
