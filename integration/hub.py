"""The hub: settings, the store and the configured connectors, built once per process."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine, func, select

import dedupe
import quality
from connectors.contract import Sink, Source
from connectors.registry import build_sink, build_source
from integration.config import ConfigError, Settings, load_settings
from integration.store import CustomerRow, head_revision, make_engine
from integration.store import current_revision as _current_revision

__all__ = ["Hub"]


class Hub:
    def __init__(self, settings: Settings, *, say: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self._say = say

    @classmethod
    def from_config(cls, path: str | Path, *, say: Callable[[str], None] | None = None) -> Hub:
        return cls(load_settings(path), say=say)

    def say(self, message: str) -> None:
        if self._say is not None:
            self._say(message)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    def schema_is_current(self) -> bool:
        return _current_revision(self.engine) == head_revision()

    @cached_property
    def rules(self) -> quality.RuleSet:
        try:
            return quality.rules_from_config(self.settings.quality)
        except quality.QualityConfigError as exc:
            raise ConfigError(self.settings.path, exc.key_path, exc.message) from None

    @cached_property
    def match_spec(self) -> dedupe.MatchSpec:
        path = self.settings.matching.spec
        if not path:
            return dedupe.CUSTOMER_SPEC
        try:
            return dedupe.MatchSpec.from_yaml(str(self.settings.resolve_path(path)))
        except dedupe.DedupeError as exc:
            raise ConfigError(self.settings.path, "matching.spec", str(exc)) from None

    @property
    def match_settings(self) -> dedupe.MatchSettings:
        m = self.settings.matching
        return dedupe.MatchSettings(upper=m.upper, lower=m.lower)

    @cached_property
    def sources(self) -> dict[str, Source]:
        return {
            name: build_source(cfg.type, cfg.settings)
            for name, cfg in self.settings.sources.items()
        }

    def sink(self, name: str) -> Sink:
        cfg = self.settings.sinks[name]
        return build_sink(cfg.type, cfg.settings)

    def sink_source(self, name: str) -> str | None:
        """The source that a write-back sink writes to (same system, same settings)."""
        sink = self.settings.sinks[name]
        for src_name, src in self.settings.sources.items():
            if src.type == sink.type:
                return src_name
        return None

    def blocked_sources(self) -> dict[str, float]:
        """Sources whose quarantine rate is above their threshold: held back from resolution."""
        rates = self.failure_rates()
        return {s: r for s, r in rates.items() if self.rules.for_scope(s).blocks(r)}

    def failure_rates(self) -> dict[str, float]:
        counts: dict[str, list[int]] = {}
        with self.engine.connect() as conn:
            q = select(CustomerRow.source, CustomerRow.verdict, func.count()).group_by(
                CustomerRow.source, CustomerRow.verdict
            )
            for source, verdict, n in conn.execute(q):
                if verdict == "deleted":
                    continue
                per = counts.setdefault(source, [0, 0])
                per[1] += n
                per[0] += n if verdict == "quarantined" else 0
        return {s: (bad / total if total else 0.0) for s, (bad, total) in counts.items()}

    def close(self) -> None:
        if "sources" in self.__dict__:
            for source in self.sources.values():
                source.close()
        if "engine" in self.__dict__:
            self.engine.dispose()


def stderr_say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
