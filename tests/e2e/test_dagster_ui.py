"""The Dagster UI (dagster-webserver on 127.0.0.1, real Chromium) loads the code location
and draws the hub's asset graph: every asset, in its group, from landing to publishing.
The screenshot in docs/screenshots/asset-graph.png is taken here."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
WEBSERVER = Path(sys.executable).with_name("dagster-webserver")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SHOT = REPO / "docs" / "screenshots" / "asset-graph.png"
ASSETS = [
    "land_erp",
    "land_marketing",
    "land_calls",
    "land_leads",
    "customer_rows",
    "customer_clusters",
    "golden_customers",
    "publish_crm",
]
GROUPS = ["landing", "standardize", "resolve", "golden", "publish"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(tmp_path: Path) -> Path:
    stub = "http://127.0.0.1:9"  # never called: the UI only loads the definitions
    config = {
        "hub": {"database_url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "sources": {
            "erp": {
                "type": "kingdee",
                "base_url": stub,
                "acct_id": "a",
                "username": "u",
                "app_id": "i",
                "app_secret": "s",
            },
            "marketing": {"type": "hubspot", "base_url": stub, "token": "t"},
            "calls": {"type": "callcenter", "base_url": stub, "email": "a@b.cn", "api_token": "t"},
            "leads": {"type": "dropfolder", "path": str(tmp_path), "pattern": "*.csv"},
        },
        "sinks": {
            "crm": {
                "type": "salesforce",
                "instance_url": stub,
                "client_id": "c",
                "client_secret": "s",
            }
        },
        "operations": {"running_by_default": False},
    }
    path = tmp_path / "chub.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def webserver(tmp_path: Path) -> Iterator[str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CHUB_CONFIG": str(_config(tmp_path)),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "GX_ANALYTICS_ENABLED": "false",
        "PYTHONPATH": str(REPO),
    }
    log = (tmp_path / "webserver.log").open("wb")
    proc = subprocess.Popen(
        [str(WEBSERVER), "-h", "127.0.0.1", "-p", str(port), "-m", "integration.definitions"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "webserver.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "dagster-webserver did not answer in 60 s"
            time.sleep(0.5)
        yield url
    finally:
        # SIGINT to its process group (the webserver and its code server), then wait
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def test_the_dagster_ui_draws_the_asset_graph(webserver: str) -> None:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            page.goto(f"{webserver}/asset-groups")
            page.get_by_text("Global asset lineage").wait_for(timeout=30_000)
            for group in GROUPS:  # the groups, collapsed at first
                page.get_by_text(group, exact=True).first.wait_for(timeout=30_000)
            page.wait_for_timeout(1000)
            skip = page.get_by_role("button", name="Skip")  # a first visit's newsletter box
            if skip.count():
                skip.click()
            page.keyboard.press("Alt+e")  # the graph's "Expand all groups"
            for name in ASSETS:
                page.get_by_text(name, exact=True).first.wait_for(timeout=30_000)
            page.wait_for_timeout(1000)  # the edges' layout settles
            SHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT))
            # the job that runs it all is there too, with the asset count
            page.goto(f"{webserver}/locations/integration.definitions/jobs/customer_hub_sync")
            page.get_by_text(f"View {len(ASSETS)} assets").wait_for(timeout=30_000)
        finally:
            browser.close()
    assert SHOT.stat().st_size > 20_000  # a drawn graph, not a blank page
