"""The ``operations:`` section of chub.yaml: schedules, sensors, alerts, freshness, retries.

Example::

    operations:
      timezone: Asia/Shanghai
      sync_schedule: "*/15 * * * *"       # incremental sync of every source
      nightly_schedule: "0 2 * * *"       # refit the matching model and re-resolve
      quality_report_schedule: "0 7 * * 1"
      max_lag_minutes: 60                 # a source older than this is not fresh
      sources:
        erp: {schedule: "0 * * * *", max_lag_minutes: 180}
      alerts:
        - {kind: wecom_robot, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${ROBOT_KEY}"}
        - {kind: webhook, url: "https://ops.example.com/hooks/chub"}
      dagster_url: "https://dagster.example.com"   # run links in alerts

A source's own ``sources.<name>.schedule`` still works and wins over ``sync_schedule``;
``operations.sources.<name>.schedule`` wins over both.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["AlertTarget", "OperationsSettings", "SourceOperations", "valid_cron"]


def valid_cron(value: str) -> str:
    """A five-field cron string Dagster accepts, else ValueError saying so."""
    from dagster._utils.schedules import is_valid_cron_string

    if not is_valid_cron_string(value):
        raise ValueError(f"{value!r} is not a cron schedule (five fields, e.g. '*/15 * * * *')")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceOperations(_Strict):
    """Per-source overrides."""

    schedule: str | None = None
    max_lag_minutes: Annotated[int, Field(ge=1)] | None = None

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else valid_cron(value)


class AlertTarget(_Strict):
    """Where a failure is posted: a WeCom group robot, or any URL that takes a JSON POST."""

    kind: Literal["wecom_robot", "webhook"]
    url: str
    timeout: Annotated[float, Field(gt=0, le=60)] = 10.0

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


class OperationsSettings(_Strict):
    timezone: str = "UTC"
    sync_schedule: str = "*/15 * * * *"
    nightly_schedule: str = "0 2 * * *"
    quality_report_schedule: str = "0 7 * * 1"
    #: schedules and sensors start running as soon as the daemon loads the code location
    running_by_default: bool = True
    max_lag_minutes: Annotated[int, Field(ge=1)] = 60
    sources: dict[str, SourceOperations] = Field(default_factory=dict)
    alerts: list[AlertTarget] = Field(default_factory=list)
    #: the Dagster UI's address, for the run links in alerts
    dagster_url: str = "http://127.0.0.1:3000"
    #: how often the drop-folder, callback and review sensors look (seconds)
    sensor_interval_seconds: Annotated[int, Field(ge=5)] = 60
    #: retries (with exponential backoff from ``retry_delay_seconds``) of landing and publishing
    landing_retries: Annotated[int, Field(ge=0, le=10)] = 3
    publish_retries: Annotated[int, Field(ge=0, le=10)] = 3
    retry_delay_seconds: Annotated[float, Field(ge=0)] = 10.0
    #: how long a second `chub run` waits for the one running; unset: as long as it takes
    run_lock_wait_seconds: Annotated[float, Field(ge=0)] | None = None

    @field_validator("sync_schedule", "nightly_schedule", "quality_report_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        return valid_cron(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (e.g. Asia/Shanghai, UTC)") from None
        return value

    @field_validator("dagster_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value).rstrip("/")

    def sync_cron(self, source: str, own: str | None = None) -> str:
        """The incremental-sync cron of ``source`` (``own``: sources.<name>.schedule)."""
        override = self.sources.get(source)
        if override is not None and override.schedule:
            return override.schedule
        return own or self.sync_schedule

    def max_lag(self, source: str) -> int:
        override = self.sources.get(source)
        if override is not None and override.max_lag_minutes:
            return override.max_lag_minutes
        return self.max_lag_minutes
