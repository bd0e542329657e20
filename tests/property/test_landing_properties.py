"""Landing under generated pages: every record is a row or a flagged row, one row per source
key (the last version wins), every page commits and the cursor moves to the last page's.

Runs on SQLite and on the PostgreSQL of CHUB_TEST_DATABASE_URL, where the COPY + merge
path and the database's own refusals (NUL, surrogates, lengths) are met."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from connectors.contract import Mapped, Page, RawRecord, StreamKind
from integration.pipeline import land
from integration.pipeline.land import (
    LandingReport,
    land_page,
    payload_hash,
    read_cursor,
    storable,
    sync_source,
)
from tests.property import strategies as gen
from tests.property.figures import explore, tally

_names = itertools.count(1)


class PagesSource:
    """An in-process source serving fixed pages, each with the cursor given to it."""

    def __init__(self, pages: Sequence[tuple[Sequence[RawRecord], str | None]]) -> None:
        self.pages = pages
        self.streams: dict[str, StreamKind] = {"s": "customer"}

    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        for records, after in self.pages:
            yield Page(records, after)

    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        return Mapped(customer=dict(payload))  # type: ignore[arg-type]

    def close(self) -> None:
        pass


def _stored(engine: Engine, source: str) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT source_key, payload, raw_text, problem, payload_hash, deleted "
                "FROM source_record WHERE source = :source"
            ),
            {"source": source},
        ).all()
    by_key: dict[str, Any] = {}
    for row in rows:
        by_key.setdefault(row.source_key, []).append(row)
    return by_key


def _expected(pages: Sequence[Sequence[RawRecord]]) -> dict[str, Any]:
    """Stored key -> how the last version of that record must be stored."""
    latest: dict[str, Any] = {}
    for records in pages:
        for record in records:
            row = storable(record)
            latest[row.key] = row
    return latest


def _check(engine: Engine, source: str, pages: Sequence[Sequence[RawRecord]], figures) -> None:  # type: ignore[no-untyped-def]
    expected = _expected(pages)
    stored = _stored(engine, source)
    lost = [k for k in expected if k not in stored]
    twice = [k for k, rows in stored.items() if len(rows) > 1]
    extra = [k for k in stored if k not in expected]
    figures.lost += len(lost)
    figures.duplicated += len(twice) + len(extra)
    assert not lost, f"records lost: {lost[:5]!r}"
    assert not twice and not extra, f"landed twice / under a key no record has: {twice, extra}"
    for key, want in expected.items():
        (row,) = stored[key]
        assert row.payload_hash == want.digest, key  # the last version won
        assert bool(row.deleted) == want.deleted
        if row.payload is None:
            # no body: a tombstone, or a record flagged with why (and what arrived)
            assert row.deleted or row.problem, f"{key!r} landed with nothing and no flag"
        else:
            body = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
            assert body == json.loads(want.payload)


cursors = st.one_of(st.none(), gen.texts(max_size=30), st.just("x" * 5000))


@explore
@given(pages=gen.pages, after=st.lists(cursors, min_size=4, max_size=4))
def test_sync_lands_every_record_once_and_moves_the_cursor(
    engine: Engine, pages: list[list[RawRecord]], after: list[str | None]
) -> None:
    name = f"prop{next(_names)}"
    served = list(zip(pages, after, strict=False))
    inputs = sum(len(p) for p in pages)
    with tally("landing: sync_source", inputs) as figures:
        report = sync_source(engine, name, PagesSource(served))
        _check(engine, name, pages, figures)
        assert report.pages == len(pages)  # every page committed
        assert report.new == len(_expected(pages))
        assert read_cursor(engine, name, "s") == served[-1][1]
        with engine.connect() as conn:
            state = conn.execute(
                text("SELECT pages, last_error FROM sync_state WHERE source = :s"), {"s": name}
            ).one()
        assert (state.pages, state.last_error) == (len(pages), None)
        # the same pages again (a re-sync after a lost answer): nothing new, nothing twice
        again = sync_source(engine, name, PagesSource(served), full=True)
        assert again.new == 0
        _check(engine, name, pages, figures)


@explore
@given(records=st.lists(gen.raw_records(), max_size=12), cursor=cursors)
def test_a_page_commits_whatever_it_holds(
    engine: Engine, records: list[RawRecord], cursor: str | None
) -> None:
    name = f"page{next(_names)}"
    with tally("landing: land_page", len(records)) as figures:
        report = LandingReport(source=name)
        land_page(engine, name, "s", Page(records, cursor), report)
        _check(engine, name, [records], figures)
        expected = _expected([records])
        assert report.seen == len(expected) == report.new
        assert report.flagged == sum(r.problem is not None for r in expected.values())
        assert read_cursor(engine, name, "s") == cursor


#: records the fast path takes (a short clean key, an object payload), or may refuse to
as_they_come = st.builds(
    RawRecord,
    key=gen.texts(st.characters(blacklist_categories=("Cc", "Cs")), 30),
    payload=st.dictionaries(gen.texts(gen.chars_any, 12), gen.values(gen.chars_any), max_size=6),
    deleted=st.booleans(),
)


@explore
@given(record=st.one_of(as_they_come, gen.raw_records()))
def test_the_fast_path_stores_what_the_checked_path_stores(record: RawRecord) -> None:
    """storable's fast path (its own JSON encoder, no checks but the cheap ones) gives the
    row the checked path gives, and a record stored as it came has the hash payload_hash
    gives it: a faster landing never changes what is stored or hashed."""
    row = storable(record)
    assert row == land._storable_checked(record, 1_000_000)
    if row.problem is None and row.payload is not None:
        assert row.digest == payload_hash(record)
        assert row.payload == json.dumps(
            record.payload, sort_keys=True, ensure_ascii=False, default=str
        )
