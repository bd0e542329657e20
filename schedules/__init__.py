"""Schedules, sensors and automation: when the hub's jobs run, and who is told."""

from schedules.jobs import (
    FULL_SYNC_JOB,
    NIGHTLY_JOB,
    QUALITY_REPORT_JOB,
    RESOLVE_JOB,
    build_jobs,
    build_schedules,
)
from schedules.sensors import RUN_RECORDED_TAG, build_sensors

__all__ = [
    "FULL_SYNC_JOB",
    "NIGHTLY_JOB",
    "QUALITY_REPORT_JOB",
    "RESOLVE_JOB",
    "RUN_RECORDED_TAG",
    "build_jobs",
    "build_schedules",
    "build_sensors",
]
