"""The review app in a real browser: Debian's Chromium driven by Playwright against the
app served by uvicorn on 127.0.0.1. A steward logs in, works three pairs with the
keyboard, bulk-merges, splits a member out of a golden record and searches by pinyin
and by mobile; a viewer sees masked values, reveals one and is refused an action.
The screenshots of the queue, a pair and a golden record are taken here: into
docs/screenshots/ (committed, shown in the README) when CHUB_UPDATE_SCREENSHOTS=1, else
into a temporary folder, so that a CI run leaves the working tree as it found it
(a PNG differs by a few bytes from run to run)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from integration.store import (
    AuditLog,
    Decision,
    GoldenCustomer,
    GoldenMember,
    MatchPair,
    make_engine,
    session_scope,
    upgrade,
)
from tests.web.review.conftest import make_app
from tests.web.review.hubdata import PASSWORD, add_users, build_hub

playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_SHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 820}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    folder = tmp_path_factory.mktemp("review")
    url = f"sqlite:///{folder / 'hub.db'}"
    engine = make_engine(url)
    upgrade(engine)
    built = build_hub(engine)
    add_users(engine)
    app = make_app(url, folder)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "engine": engine, **built}
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.hub.close()
        engine.dispose()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: docs/screenshots/ only when asked to update them."""
    if os.environ.get("CHUB_UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SHOTS
    return tmp_path_factory.mktemp("screenshots")


def _shoot(page: Any, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


@pytest.fixture(scope="module")
def browser(served: dict[str, Any]) -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _login(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/")  # the server's root leads to the queue, without a session
    assert "/review/login" in page.url  # to the login page first
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/review/")
    return page


def _pair_id(page: Any) -> int:
    found = re.search(r"/review/pairs/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def _status(engine: Engine, pair_id: int) -> str:
    with session_scope(engine) as s:
        return str(s.scalar(select(MatchPair.status).where(MatchPair.id == pair_id)))


def test_a_viewer_sees_masked_values_reveals_one_and_is_refused_an_action(
    served: dict[str, Any], browser: Any
) -> None:
    base, engine = served["base"], served["engine"]
    with session_scope(engine) as s:
        golden = s.scalars(
            select(GoldenCustomer).where(
                GoldenCustomer.status == "active", GoldenCustomer.version > 0
            )
        ).first()
        assert golden is not None
        gid, mobile = golden.golden_id, golden.fields["mobile"]
        pending = s.scalar(select(MatchPair.id).where(MatchPair.status == "pending"))
    digits = mobile.removeprefix("+86")
    page = _login(browser, base, "vic")
    page.goto(f"{base}/review/golden/{gid}")
    cell = page.locator("tr[data-field=mobile] .value")
    assert cell.inner_text() == f"{digits[:3]}****{digits[-4:]}"
    assert digits not in page.content()
    page.click("tr[data-field=mobile] button.reveal")
    page.wait_for_function(
        "v => document.querySelector('tr[data-field=mobile] .value').textContent === v", arg=mobile
    )
    with session_scope(engine) as s:
        reveal = s.scalars(select(AuditLog).where(AuditLog.action == "reveal")).one()
    assert (reveal.actor, reveal.target) == ("vic", f"golden:{gid}")
    assert pending is not None, "the test hub has no pending pair"
    page.goto(f"{base}/review/pairs/{pending}")
    with page.expect_navigation():
        page.keyboard.press("m")
    assert "Not allowed" in page.inner_text("h1")
    assert "viewer" in page.inner_text(".message")
    assert _status(engine, pending) == "pending"
    page.context.close()


def test_a_steward_works_three_pairs_with_the_keyboard(
    served: dict[str, Any], browser: Any, shots: Path
) -> None:
    base, engine = served["base"], served["engine"]
    page = _login(browser, base, "sam")
    assert "pairs left" in page.inner_text("#left")
    _shoot(page, shots / "queue.png")
    page.click("#start")
    page.wait_for_selector("#pair")
    _shoot(page, shots / "pair.png")
    page.keyboard.press("?")
    assert page.is_visible("#help")
    page.keyboard.press("?")
    assert not page.is_visible("#help")
    first = _pair_id(page)
    if page.get_attribute("#pair", "data-has-next") == "1":  # j and k move without deciding
        with page.expect_navigation():
            page.keyboard.press("j")
        assert _pair_id(page) != first
        with page.expect_navigation():
            page.keyboard.press("k")
        assert _pair_id(page) == first
    worked = []
    for key, status in (("m", "merged"), ("a", "kept_apart"), ("m", "merged")):
        pair_id = _pair_id(page)
        if key == "a":
            page.keyboard.press("r")  # r: straight into the reason field
            page.keyboard.type("different people, same household")
            page.keyboard.press("Escape")
        with page.expect_navigation():
            page.keyboard.press(key)
        worked.append(pair_id)
        assert _status(engine, pair_id) == status, (key, pair_id)
        assert f"Pair {pair_id}" in page.inner_text(".flash")
    assert len(set(worked)) == 3
    with session_scope(engine) as s:
        by_sam = s.scalars(select(Decision).where(Decision.actor == "sam")).all()
    assert len(by_sam) == 3
    assert [d.reason for d in by_sam if d.action == "apart"] == ["different people, same household"]
    page.context.close()


def test_a_steward_bulk_merges_after_a_preview(served: dict[str, Any], browser: Any) -> None:
    base, engine = served["base"], served["engine"]
    page = _login(browser, base, "sam")
    page.click("header nav >> text=Bulk")
    page.fill("#min_score", "0.9")
    page.click("#preview")
    rows = page.locator("form.bulk tbody tr")
    previewed = rows.count()
    if previewed == 0:
        pytest.fail("no pending pair scores 0.9 or more in the test hub")
    ids = [
        int(v)
        for v in page.locator("input[name=pair_ids]").evaluate_all("els => els.map(e => e.value)")
    ]
    assert f"Merge these {previewed} pairs" in page.inner_text("#confirm")
    page.click("#confirm")
    page.wait_for_url(f"{base}/review/")
    assert "pairs merged" in page.inner_text(".flash")
    assert all(_status(engine, p) != "pending" for p in ids)
    page.context.close()


def test_a_steward_splits_a_member_out_of_a_golden_record(
    served: dict[str, Any], browser: Any, shots: Path
) -> None:
    base, engine = served["base"], served["engine"]
    with session_scope(engine) as s:
        sizes = s.execute(
            select(GoldenMember.golden_id, func.count()).group_by(GoldenMember.golden_id)
        ).all()
        gid = max(sizes, key=lambda r: (r[1], r[0]))[0]
    page = _login(browser, base, "sam")
    page.goto(f"{base}/review/golden/{gid}")
    members = page.locator("tr[data-member]")
    before = members.count()
    assert before >= 2
    row = members.nth(before - 1)
    ref = row.get_attribute("data-member")
    row.locator("input[name=reason]").fill("another person with the same name")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert f"{ref} was split out into" in page.inner_text(".flash")
    assert page.locator("tr[data-member]").count() == before - 1
    assert page.locator("table.history .ev-split, table.history .ev-left").count() >= 1
    _shoot(page, shots / "golden.png")
    with session_scope(engine) as s:
        key = ref.split(":", 2)[2]
        moved_to = s.scalar(select(GoldenMember.golden_id).where(GoldenMember.source_key == key))
    assert moved_to != gid
    page.context.close()


def test_search_by_pinyin_and_by_mobile(served: dict[str, Any], browser: Any) -> None:
    base, engine = served["base"], served["engine"]
    with session_scope(engine) as s:
        zhang = s.scalar(select(GoldenMember.golden_id).where(GoldenMember.source_key == "E0"))
    page = _login(browser, base, "sam")
    page.click("header nav >> text=Search")
    for query, how in (("zhang wei", "pinyin"), ("+86 138-0013-8000", "mobile")):
        page.fill("#q", query)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        result = page.locator(f"table.results a[href='/review/golden/{zhang}']")
        assert result.count() == 1, query
        assert how in page.inner_text("table.results")
    page.locator(f"table.results a[href='/review/golden/{zhang}']").click()
    page.wait_for_url(f"{base}/review/golden/{zhang}")
    assert "张伟" in page.inner_text("table.fields")
    page.context.close()
