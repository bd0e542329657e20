"""chub.yaml -> typed settings.

Secrets come only from the environment (``${WECOM_SECRET}``, or ``${VAR:-default}``).
Every error names the file, the key and what is wrong, in one sentence.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.contract import ConnectorConfigError
from connectors.registry import settings_model
from integration.config_file import DEFAULT_CONFIG, ConfigError

__all__ = [
    "DEFAULT_CONFIG",
    "ConfigError",
    "HubSettings",
    "Settings",
    "SinkConfig",
    "SourceConfig",
    "load_settings",
]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HubSettings(_Strict):
    database_url: str = "sqlite:///.chub/hub.db"
    #: where Data Docs, scorecards and other artefacts go
    artifacts_dir: str = ".chub/artifacts"


class MatchingSettings(_Strict):
    upper: float = Field(0.95, ge=0, le=1)
    lower: float = Field(0.6, ge=0, le=1)
    spec: str | None = None  # a YAML matching spec; the canonical customer spec by default


class PublishSettings(_Strict):
    #: golden records that fail the golden quality suite are never published
    require_quality: bool = True
    max_attempts: int = Field(5, ge=1)


class SourceConfig(BaseModel):
    name: str
    type: str
    settings: Any  # the connector's own validated Settings model
    schedule: str | None = None


class SinkConfig(BaseModel):
    name: str
    type: str
    settings: Any


class Settings(BaseModel):
    path: str
    base_dir: str
    hub: HubSettings
    sources: dict[str, SourceConfig]
    sinks: dict[str, SinkConfig]
    matching: MatchingSettings
    publish: PublishSettings
    quality: dict[str, Any]
    #: area sections (integration/sections/): golden, landing, operations, serve
    golden: Any = None
    landing: Any = None
    operations: Any = None
    serve: Any = None

    def resolve_path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else Path(self.base_dir) / p

    @property
    def database_url(self) -> str:
        url = self.hub.database_url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            rel = url.removeprefix("sqlite:///")
            if rel and rel != ":memory:":
                return "sqlite:///" + str(self.resolve_path(rel))
        return url


#: (key, problem) pairs found while loading one file; reported together at the end
_Problems = list[tuple[str, str]]


def _expand_env(value: Any, key: str, problems: _Problems) -> Any:
    if isinstance(value, str):

        def repl(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            problems.append((key, f"environment variable {name} is not set"))
            return m.group(0)

        return _ENV_REF.sub(repl, value)
    if isinstance(value, dict):
        return {
            k: _expand_env(v, f"{key}.{k}" if key else str(k), problems) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_expand_env(v, f"{key}[{i}]", problems) for i, v in enumerate(value)]
    return value


def _pydantic_problems(prefix: str, exc: ValidationError) -> _Problems:
    found: _Problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        key = f"{prefix}.{loc}" if prefix and loc else prefix or loc
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        found.append((key, msg[0].lower() + msg[1:] if msg else "is invalid"))
    return found


def _section(raw: dict[str, Any], name: str, problems: _Problems) -> dict[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        problems.append((name, f"must be a mapping, not {type(value).__name__}"))
        return {}
    return value


def _endpoints(
    raw: dict[str, Any],
    role: Literal["source", "sink"],
    base_dir: Path,
    problems: _Problems,
) -> dict[str, Any]:
    section = role + "s"
    out: dict[str, Any] = {}
    for name, body in _section(raw, section, problems).items():
        key = f"{section}.{name}"
        if not isinstance(body, dict):
            problems.append((key, "must be a mapping with at least a 'type'"))
            continue
        body = dict(body)
        type_name = body.pop("type", None)
        if not type_name:
            problems.append((f"{key}.type", "required key is missing"))
            continue
        schedule = body.pop("schedule", None) if role == "source" else None
        try:
            model = settings_model(role, str(type_name))
        except ConnectorConfigError as exc:
            problems.append((f"{key}.type", str(exc)))
            continue
        except ImportError as exc:
            problems.append((f"{key}.type", f"connector cannot be loaded: {exc}"))
            continue
        try:
            # base_dir: a connector resolves its relative paths against chub.yaml's folder
            settings = model.model_validate(body, context={"base_dir": str(base_dir)})
        except ValidationError as exc:
            problems.extend(_pydantic_problems(key, exc))
            continue
        cls = SourceConfig if role == "source" else SinkConfig
        extra = {"schedule": schedule} if role == "source" else {}
        out[str(name)] = cls(name=str(name), type=str(type_name), settings=settings, **extra)
    return out


def _model(
    model: type[BaseModel], raw: dict[str, Any], key: str, problems: _Problems
) -> BaseModel | None:
    try:
        return model.model_validate(_section(raw, key, problems))
    except ValidationError as exc:
        problems.extend(_pydantic_problems(key, exc))
        return None


def load_settings(path: str | Path = DEFAULT_CONFIG) -> Settings:
    """Read and validate chub.yaml; raise one ConfigError naming file, key and problem of
    every mistake found (a file that cannot be read or parsed stops at that)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            path, "", "file not found (run `chub demo` to write an example)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot be read: {exc}") from None
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise ConfigError(
            path, where, f"is not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(path, "", "must be a YAML mapping at the top level")
    problems: _Problems = []
    raw = _expand_env(raw, "", problems)
    unset = {key for key, _ in problems}
    from integration.sections import SECTIONS

    known = {"hub", "sources", "sinks", "matching", "publish", "quality", *SECTIONS}
    for key in raw:
        if key not in known:
            problems.append((str(key), f"unknown key (expected one of {', '.join(sorted(known))})"))
    parts: dict[str, Any] = {}
    models: list[tuple[str, type[BaseModel]]] = [
        ("hub", HubSettings),
        ("matching", MatchingSettings),
        ("publish", PublishSettings),
        *SECTIONS.items(),
    ]
    for key, model in models:
        parts[key] = _model(model, raw, key, problems)
    matching = parts["matching"]
    if isinstance(matching, MatchingSettings) and matching.lower > matching.upper:
        problems.append(("matching.lower", "must not be above matching.upper"))
    base_dir = path.resolve().parent
    sources = _endpoints(raw, "source", base_dir, problems)
    sinks = _endpoints(raw, "sink", base_dir, problems)
    quality = _section(raw, "quality", problems)
    if problems:
        # an unset variable also fails its key's validation: say it once, the cause
        first_seen = [
            (key, problem)
            for key, problem in problems
            if key not in unset or problem.startswith("environment variable")
        ]
        raise ConfigError.of(path, list(dict.fromkeys(first_seen)))
    return Settings(
        path=str(path),
        base_dir=str(base_dir),
        sources=sources,
        sinks=sinks,
        quality=quality,
        **parts,
    )
