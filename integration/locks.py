"""One writer at a time: named hub-level locks, inside Dagster and out.

On PostgreSQL a session-level advisory lock (``pg_advisory_lock`` on a hash of the name),
held on a connection of its own for as long as the ``with`` block runs: it is released when
the holder's connection ends, so a killed process never leaves a lock behind. On SQLite a
``fcntl`` lock on a file beside the database (``<db>.<name>.lock``), released by the kernel
when the holder dies.

Names: ``sync:<source>`` (one sync of a source at a time), ``resolve`` (resolve, golden
and publish: the stages that rewrite identities and push them), ``run`` (one `chub run`
at a time).

A lock is re-entrant within one thread: a stage that takes ``resolve`` may call a
function that takes it again (a flock on a second descriptor, or an advisory lock on a
second connection, would otherwise wait for itself for ever).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from integration.errors import ChubError

__all__ = ["LockBusy", "hub_lock"]


class LockBusy(ChubError):
    """Another process holds the lock and we were told not to wait (or waited enough)."""


def _key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


#: per thread: (database, lock name) -> how many times this thread holds it now
_held = threading.local()


def _holdings() -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] | None = getattr(_held, "counts", None)
    if counts is None:
        counts = _held.counts = {}
    return counts


@contextmanager
def hub_lock(engine: Engine, name: str, *, wait: float | None = None) -> Iterator[None]:
    """Hold lock ``name`` of this hub for the block.

    ``wait``: None waits as long as it takes; a number of seconds waits that long, then
    raises LockBusy naming the lock (0: do not wait at all).
    """
    slot = (engine.url.render_as_string(hide_password=False), name)
    counts = _holdings()
    if counts.get(slot):
        counts[slot] += 1
        try:
            yield
        finally:
            counts[slot] -= 1
        return
    lock = _pg_lock if engine.dialect.name == "postgresql" else _file_lock
    with lock(engine, name, wait):
        counts[slot] = 1
        try:
            yield
        finally:
            del counts[slot]


def _busy(name: str, wait: float | None) -> LockBusy:
    waited = "" if not wait else f" (waited {wait:g} s)"
    return LockBusy(f"another run holds the hub lock {name!r}{waited}: try again when it ends")


@contextmanager
def _pg_lock(engine: Engine, name: str, wait: float | None) -> Iterator[None]:
    key = _key(name)
    conn = engine.connect()
    try:
        if wait is None:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        else:
            deadline = time.monotonic() + wait
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                if time.monotonic() >= deadline:
                    raise _busy(name, wait)
                time.sleep(0.1)
        conn.commit()  # the lock is the session's, not the transaction's
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
    finally:
        conn.close()


def _lock_path(engine: Engine, name: str) -> Path:
    db = engine.url.database or ""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    if db and db != ":memory:":
        return Path(f"{db}.{safe}.lock")
    # an in-memory hub lives in one process: a lock file per process id is enough
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"chub-{os.getpid()}-{safe}.lock"


@contextmanager
def _file_lock(engine: Engine, name: str, wait: float | None) -> Iterator[None]:
    path = _lock_path(engine, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if wait is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise _busy(name, wait) from None
                    time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
