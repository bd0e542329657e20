"""The hub lock: re-entrant in one thread, exclusive across threads and processes, and
released by the kernel / the server when its holder is killed (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from integration.locks import LockBusy, hub_lock

HOLDER = """
import sys, time
from integration.locks import hub_lock
from integration.store import make_engine
with hub_lock(make_engine(sys.argv[1]), "resolve"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_the_same_thread_may_take_a_lock_it_holds(engine) -> None:  # type: ignore[no-untyped-def]
    with hub_lock(engine, "resolve", wait=1):
        with hub_lock(engine, "resolve", wait=0):  # would wait for itself without re-entry
            pass
        # still held after the inner block: another thread cannot take it
        failed: list[BaseException] = []

        def other() -> None:
            try:
                with hub_lock(engine, "resolve", wait=0.3):
                    pass
            except LockBusy as exc:
                failed.append(exc)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert len(failed) == 1
        assert str(failed[0]) == (
            "another run holds the hub lock 'resolve' (waited 0.3 s): try again when it ends"
        )
    with hub_lock(engine, "resolve", wait=0):  # released at the outer block's end
        pass


def test_other_names_do_not_wait(engine) -> None:  # type: ignore[no-untyped-def]
    with hub_lock(engine, "resolve"), hub_lock(engine, "sync:erp", wait=0):
        pass


def test_a_killed_holder_leaves_no_lock_behind(engine) -> None:  # type: ignore[no-untyped-def]
    url = engine.url.render_as_string(hide_password=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(LockBusy):
            with hub_lock(engine, "resolve", wait=0.5):
                pass
        assert time.monotonic() - started >= 0.5  # it waited as told, then gave up
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        with hub_lock(engine, "resolve", wait=10):
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
