"""Writing a stream's pages in order while the source reads the next one.

A page's write into PostgreSQL is mostly the server's work (COPY, merge, commit), during
which this process would only wait; reading the next page from the source and making its
records storable is this process's work. :class:`PageWriter` lets the two overlap by one
page: page N is written on a worker thread while the source yields page N+1 and its rows
are prepared. Each page is still its own transaction with its cursor, written in order,
and page N+1 is not written before page N has committed; what a caller sees of a page
(its counts, a refusal, an error) is handed over in order on the caller's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Generic, TypeVar

T = TypeVar("T")


class PageWriter(Generic[T]):
    """Runs a stream's page writes one at a time, in order, at most one in flight.

    ``pool`` None writes each page at once on the caller's thread (SQLite, whose writes
    are this process's own work: a second thread would only contend for the interpreter).
    ``done`` gets each page's outcome on the caller's thread, in order; an exception of a
    write is raised from the :meth:`put` or :meth:`drain` that collects it.
    """

    def __init__(self, pool: Executor | None, done: Callable[[T], None]) -> None:
        self._pool, self._done = pool, done
        self._pending: Future[T] | None = None

    def put(self, write: Callable[[], T]) -> None:
        """Write a page: after the page before it has committed and been handed over."""
        self.drain()
        if self._pool is None:
            self._done(write())
        else:
            self._pending = self._pool.submit(write)

    def drain(self) -> None:
        """Wait for the page in flight, if any, and hand its outcome over (or raise)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._done(pending.result())
