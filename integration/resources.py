"""Dagster resources."""

from __future__ import annotations

from functools import lru_cache

import dagster as dg

from integration.hub import Hub, stderr_say

__all__ = ["HubResource"]


@lru_cache(maxsize=8)
def _hub(config_path: str, verbose: bool) -> Hub:
    return Hub.from_config(config_path, say=stderr_say if verbose else None)


class HubResource(dg.ConfigurableResource):
    """The hub store and the connectors configured in chub.yaml."""

    config_path: str = "chub.yaml"
    #: print one progress line per stage on stderr (the demo turns it on)
    verbose: bool = False

    def get(self) -> Hub:
        return _hub(self.config_path, self.verbose)
