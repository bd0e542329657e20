"""The review app over a hub built by the real pipeline, served in process (TestClient
over https, so that the Secure cookies are sent back as a browser would)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from integration.hub import Hub
from integration.web.app import create_app
from tests.web.review.hubdata import PASSWORD, SETTINGS, add_users, build_hub

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(hub_url: str, tmp_path: Path) -> FastAPI:
    config = tmp_path / "chub.yaml"
    config.write_text(
        f"hub: {{database_url: '{hub_url}'}}\n"
        f"matching: {{upper: {SETTINGS.upper}, lower: {SETTINGS.lower}}}\n"
    )
    return create_app(Hub.from_config(config))


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the least work: the tests are about who may do what, not hash cost
    (the app's own parameters are argon2-cffi's defaults)."""
    from argon2 import PasswordHasher

    from integration.web import auth

    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def hub(engine: Engine) -> dict[str, Any]:
    built = build_hub(engine)
    add_users(engine)
    return built


@pytest.fixture
def app(engine: Engine, hub_url: str, tmp_path: Path, hub: dict[str, Any]) -> Iterator[FastAPI]:
    application = make_app(hub_url, tmp_path)
    yield application
    application.state.hub.close()


def client_for(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/review/login")
    return client.post(
        "/review/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )


@pytest.fixture
def as_user(app: FastAPI):  # type: ignore[no-untyped-def]
    """``as_user("sam")``: a client logged in as that user."""

    def make(username: str) -> TestClient:
        client = client_for(app)
        response = login(client, username)
        assert response.status_code == 303, response.text
        return client

    return make
