"""Schedules, sensors and automation: when the hub's jobs run."""

from schedules.jobs import FULL_SYNC_JOB, build_jobs, build_schedules

__all__ = ["FULL_SYNC_JOB", "build_jobs", "build_schedules"]
