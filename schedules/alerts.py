"""Post an alert to every target in ``operations.alerts`` (WeCom robot or any webhook).

A target that refuses is logged and skipped: one broken robot key must not hide the
alert from the others, nor fail the run or sensor that raised it.
"""

from __future__ import annotations

import logging

from connectors.contract import ConnectorError
from connectors.webhook import Alert, post_alert
from integration.sections.operations import OperationsSettings

__all__ = ["Alert", "run_url", "send_alert"]

log = logging.getLogger("schedules.alerts")


def run_url(ops: OperationsSettings, run_id: str) -> str:
    return f"{ops.dagster_url}/runs/{run_id}"


def send_alert(ops: OperationsSettings, alert: Alert) -> list[str]:
    """Post to each target; the problems of the targets that refused (empty: all took it)."""
    problems: list[str] = []
    for target in ops.alerts:
        try:
            post_alert(target.kind, target.url, alert, timeout=target.timeout)
        except ConnectorError as exc:
            log.warning("alert to a %s target failed: %s", target.kind, exc)
            problems.append(str(exc))
    return problems
