"""chub.yaml errors name the file, the key and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from integration.config import ConfigError, load_settings

GOOD = """
hub:
  database_url: sqlite:///hub.db
sources:
  marketing:
    type: hubspot
    base_url: http://127.0.0.1:9
    token: ${TEST_HUBSPOT_TOKEN}
    schedule: "*/15 * * * *"
matching:
  upper: 0.9
  lower: 0.5
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chub.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_is_typed_and_secrets_come_from_the_environment(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TEST_HUBSPOT_TOKEN", "pat-123")
    settings = load_settings(_write(tmp_path, GOOD))
    src = settings.sources["marketing"]
    assert src.type == "hubspot" and src.schedule == "*/15 * * * *"
    assert src.settings.token == "pat-123"
    assert settings.matching.upper == 0.9
    # a relative SQLite path is relative to the config file, not to the current directory
    assert settings.database_url == f"sqlite:///{tmp_path / 'hub.db'}"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (GOOD, "sources.marketing.token", "environment variable TEST_HUBSPOT_TOKEN is not set"),
        ("sources:\n  m:\n    type: nosuch\n", "sources.m.type", "unknown source type 'nosuch'"),
        ("sources:\n  m:\n    base_url: x\n", "sources.m.type", "required key is missing"),
        (
            "sources:\n  m:\n    type: hubspot\n    token: t\n    colour: red\n",
            "sources.m.colour",
            "unknown key",
        ),
        ("sources:\n  m:\n    type: hubspot\n", "sources.m.token", "required key is missing"),
        ("matching:\n  upper: high\n", "matching.upper", "valid number"),
        ("matching:\n  upper: 0.5\n  lower: 0.7\n", "matching.lower", "must not be above"),
        ("hubb: {}\n", "hubb", "unknown key"),
        ("sources: [1, 2]\n", "sources", "must be a mapping"),
        ("hub: {database_url: [unclosed\n", "line", "not valid YAML"),
    ],
)
def test_errors_name_file_key_and_problem(tmp_path, monkeypatch, text, key, problem) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TEST_HUBSPOT_TOKEN", raising=False)
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert message.startswith(str(path)), message
    assert key in message and problem in message, message
    assert "\n" not in message


def test_missing_file_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yaml")


def test_env_default_is_used_when_the_variable_is_unset(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CHUB_X_URL", raising=False)
    path = _write(tmp_path, "hub:\n  database_url: ${CHUB_X_URL:-sqlite:///x.db}\n")
    assert load_settings(path).hub.database_url == "sqlite:///x.db"


def test_every_problem_of_a_file_is_reported_at_once(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TEST_HUBSPOT_TOKEN", raising=False)
    path = _write(
        tmp_path,
        """
sources:
  marketing:
    type: hubspot
    base_url: not a url
    token: ${TEST_HUBSPOT_TOKEN}
  leads:
    type: dropfolder
    path: exports/leads
  broken:
    colour: red
matching:
  upper: high
hubb: {}
""",
    )
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert message.startswith(f"{path}: 6 problems: "), message
    for key, problem in [
        ("sources.marketing.base_url", "must be an http(s) URL"),
        ("sources.marketing.token", "environment variable TEST_HUBSPOT_TOKEN is not set"),
        ("sources.leads.path", f"folder '{tmp_path / 'exports/leads'}' does not exist"),
        ("sources.broken.type", "required key is missing"),
        ("matching.upper", "valid number"),
        ("hubb", "unknown key"),
    ]:
        assert any(k == key and problem in p for k, p in err.value.problems), (key, message)
        assert f"{key}: " in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url", ["127.0.0.1:9", "hubapi.com", "ftp://x.example", "http://", "http://h:port"]
)
def test_a_base_url_that_is_no_url_is_refused_at_load(tmp_path, url: str) -> None:  # type: ignore[no-untyped-def]
    path = _write(
        tmp_path, f"sources:\n  m:\n    type: hubspot\n    token: t\n    base_url: '{url}'\n"
    )
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert err.value.key == "sources.m.base_url" and len(err.value.problems) == 1, str(err.value)


def test_a_relative_drop_folder_is_relative_to_chub_yaml(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "exports").mkdir()
    monkeypatch.chdir("/")
    path = _write(tmp_path, "sources:\n  leads:\n    type: dropfolder\n    path: exports\n")
    assert load_settings(path).sources["leads"].settings.path == str(tmp_path / "exports")
