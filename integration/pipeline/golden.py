"""The golden stage of the asset graph; the work is in ``integration/golden/``."""

from __future__ import annotations

from integration.golden.build import GoldenReport, build_golden, content_hash

__all__ = ["GoldenReport", "build_golden", "content_hash"]
