"""What every `chub` command knows about chub.yaml before loading it: where it is
by default and how a mistake in it is reported. Kept apart from `integration.config`
(pydantic and the connector registry) so that commands that never read the file, such
as `chub dedupe`, start without loading those."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["DEFAULT_CONFIG", "ConfigError"]

DEFAULT_CONFIG = "chub.yaml"


class ConfigError(Exception):
    """chub.yaml is wrong; ``str(err)`` is the sentence to show the user.

    One error may carry several problems (``more``): the loader reports every mistake of
    a file at once, so an operator fixes them in one round instead of one per run.
    ``key`` and ``problem`` are the first; ``problems`` lists them all as (key, problem).
    """

    def __init__(
        self,
        path: Path | str,
        key: str,
        problem: str,
        *,
        more: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.path, self.key, self.problem = str(path), key, problem
        self.problems: list[tuple[str, str]] = [(key, problem), *more]
        if len(self.problems) == 1:
            where = f"{self.path}: {key}: " if key else f"{self.path}: "
            super().__init__(where + problem)
            return
        # still one line: the CLI prints a user's mistake in one line
        listed = "; ".join(
            f"({n}) {k}: {p}" if k else f"({n}) {p}"
            for n, (k, p) in enumerate(self.problems, start=1)
        )
        super().__init__(f"{self.path}: {len(self.problems)} problems: {listed}")

    @classmethod
    def of(cls, path: Path | str, problems: Sequence[tuple[str, str]]) -> ConfigError:
        """One error for every (key, problem) found in ``path`` (at least one)."""
        (key, problem), *more = problems
        return cls(path, key, problem, more=more)
