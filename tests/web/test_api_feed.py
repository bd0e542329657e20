"""The change feed while runs write: a reader that follows the cursor misses nothing and
sees nothing twice, even when events commit out of id order (PostgreSQL)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from integration.event_feed import START, Position, read_feed
from integration.events import record_event
from integration.hub import Hub
from integration.store import IdentityEvent, session_scope
from integration.web.app import create_app
from integration.web.tokens import create_token

WRITERS = 3
RUNS_PER_WRITER = 12


@pytest.fixture
def client(web_hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(web_hub)) as c:
        yield c


@pytest.fixture
def headers(web_hub: Hub) -> dict[str, str]:
    with session_scope(web_hub.engine) as session:
        token, _ = create_token(session, "feed-reader", ["read"])
    return {"Authorization": f"Bearer {token}"}


def _writer(engine: Engine, number: int, failures: list[BaseException]) -> None:
    """Runs that each write a few events and stay open a random while before they
    commit, so that ids taken early may commit late; every fourth run rolls back."""
    rng = random.Random(number)
    try:
        for run in range(RUNS_PER_WRITER):
            session = Session(engine)
            try:
                for k in range(rng.randint(1, 3)):
                    record_event(
                        session,
                        "changed",
                        f"G-W{number}-{run}",
                        cause="engine",
                        run_id=f"w{number}-{run}",
                        detail={"k": k},
                    )
                    session.flush()
                    time.sleep(rng.uniform(0, 0.02))
                time.sleep(rng.uniform(0, 0.05))
                if run % 4 == 3:
                    session.rollback()
                else:
                    session.commit()
            finally:
                session.close()
    except BaseException as exc:  # the test fails with it below
        failures.append(exc)


def test_a_reader_following_the_cursor_while_writers_commit_sees_each_event_once(
    client: TestClient, headers: dict[str, str], engine: Engine
) -> None:
    failures: list[BaseException] = []
    writers = [threading.Thread(target=_writer, args=(engine, n, failures)) for n in range(WRITERS)]
    for w in writers:
        w.start()
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        writing = any(w.is_alive() for w in writers)
        params = {"limit": "5"} | ({"cursor": cursor} if cursor else {})
        r = client.get("/api/changes", params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [e["id"] for e in body["events"]]
        cursor = body["next_cursor"]
        pages += 1
        # done once the writers had finished before a page that came back empty-handed
        if not writing and not body["more"] and not body["events"]:
            break
        if not body["events"]:
            time.sleep(0.005)
    for w in writers:
        w.join()
    assert not failures, failures
    with session_scope(engine) as session:
        committed = list(session.scalars(select(IdentityEvent.id)))
    assert len(committed) > WRITERS * RUNS_PER_WRITER // 2  # the rolled-back runs are not there
    assert len(seen) == len(set(seen)), "an event was handed out twice"
    assert sorted(seen) == sorted(committed), "an event was missed"
    assert pages > 10  # the reader really ran alongside the writers


def test_an_event_that_commits_late_is_handed_out_after_the_cursor_not_behind_it(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: ids cannot commit out of order")
    early = Session(engine)
    late = Session(engine)
    reader = Session(engine)
    try:
        record_event(early, "created", "G-EARLY", cause="engine")
        early.flush()  # takes the smaller id, stays open
        record_event(late, "created", "G-LATE", cause="engine")
        late.commit()  # the larger id commits first
        page = read_feed(reader, START, 100)
        # the open transaction holds the feed back: G-LATE is not handed out before it
        assert [e.golden_id for e in page.events] == []
        early.commit()
        page = read_feed(reader, START, 100)
        assert [e.golden_id for e in page.events] == ["G-EARLY", "G-LATE"]
        again = read_feed(reader, page.next_cursor, 100)
        assert again.events == [] and again.next_cursor == page.next_cursor
    finally:
        for s in (early, late, reader):
            s.close()


def test_a_transaction_of_another_database_does_not_hold_the_feed_back(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    from sqlalchemy import create_engine, text

    other = create_engine(engine.url.set(database="postgres"))
    with other.connect() as conn:
        conn.execute(text("SELECT pg_current_xact_id()"))  # an open transaction with an id
        with session_scope(engine) as session:
            record_event(session, "created", "G-NOW", cause="engine")
        with Session(engine) as reader:
            page = read_feed(reader, START, 10)
            assert [e.golden_id for e in page.events] == ["G-NOW"]
        conn.rollback()
    other.dispose()


def test_cursor_text_round_trips_and_refuses_what_it_did_not_hand_out() -> None:
    assert Position.parse(str(Position(812, 77))) == Position(812, 77)
    for bad in ("", "12", "a-b", "-1-2", "1-2-3", "9" * 20 + "-1"):
        with pytest.raises(ValueError):
            Position.parse(bad)
