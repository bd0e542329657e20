"""What every `chub` command knows about chub.yaml before loading it: where it is
by default and how a mistake in it is reported. Kept apart from `integration.config`
(pydantic and the connector registry) so that commands that never read the file, such
as `chub dedupe`, start without loading those."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_CONFIG", "ConfigError"]

DEFAULT_CONFIG = "chub.yaml"


class ConfigError(Exception):
    """chub.yaml is wrong; ``str(err)`` is the sentence to show the user."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path, self.key, self.problem = str(path), key, problem
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        super().__init__(where + problem)
