"""The chub command line: help for every command, one clear sentence for user mistakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from integration.cli import main


def _chub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "integration.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["demo"],
        ["db", "upgrade"],
        ["status"],
        ["sync"],
        ["run"],
        ["replay"],
        ["dedupe"],
        ["review", "list"],
        ["review", "merge"],
        ["quality", "docs"],
        ["quality", "report"],
        ["quarantine", "list"],
        ["quarantine", "correct"],
        ["quarantine", "override"],
        ["serve-callbacks"],
    ],
)
def test_every_command_explains_itself(command: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "usage: chub" in out and len(out.splitlines()) > 3


def test_wrong_config_is_one_sentence_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "chub.yaml"
    config.write_text("sources:\n  wecom:\n    type: wecom\n    corp_id: ww1\n")
    result = _chub("status", "-c", str(config))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"chub: configuration error: {config}: sources.wecom.corp_secret: required key is missing"
    )


def test_unreachable_database_is_one_sentence(tmp_path: Path) -> None:
    config = tmp_path / "chub.yaml"
    config.write_text("hub:\n  database_url: postgresql+psycopg://x@127.0.0.1:1/none\n")
    result = _chub("db", "upgrade", "-c", str(config))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "chub: cannot reach the hub database postgresql+psycopg://x@127.0.0.1:1/none"
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_sync_before_upgrade_says_what_to_do(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "chub.yaml"
    config.write_text("sources:\n  m: {type: hubspot, token: t, base_url: 'http://127.0.0.1:9'}\n")
    assert main(["sync", "m", "-c", str(config)]) == 2
    assert "run `chub db upgrade` first" in capsys.readouterr().err


def test_db_upgrade_then_status(tmp_path: Path, hub_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "chub.yaml"
    config.write_text(
        f"hub: {{database_url: '{hub_url}'}}\n"
        "sources:\n  m: {type: hubspot, token: t, base_url: 'http://127.0.0.1:9'}\n"
    )
    assert main(["db", "upgrade", "-c", str(config)]) == 0
    assert main(["status", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "schema current: yes" in out and "m " in out and "customer rows: 0 ok" in out


def test_unknown_source_names_the_known_ones(tmp_path: Path, hub_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "chub.yaml"
    config.write_text(
        f"hub: {{database_url: '{hub_url}'}}\n"
        "sources:\n  m: {type: hubspot, token: t, base_url: 'http://127.0.0.1:9'}\n"
    )
    main(["db", "upgrade", "-c", str(config)])
    assert main(["sync", "nosuch", "-c", str(config)]) == 2
    assert "sources.nosuch: no such source (known: m)" in capsys.readouterr().err
