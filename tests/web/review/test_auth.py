"""Logins, sessions, CSRF and roles of the review app, on the hub store (SQLite and
PostgreSQL): every route but login needs a session, every form its CSRF token, and
every action is checked against the role on the server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from integration.store import AppSession, AuditLog, Decision, MatchPair, session_scope
from integration.store.models import utcnow
from integration.web.auth import AuthError, add_user, set_role
from tests.web.review.conftest import client_for, csrf_of, login

PAGES = [
    "/review/",
    "/review/bulk",
    "/review/search?q=x",
    "/review/quarantine",
    "/review/audit",
    "/review/users",
]


def _status(engine, pair_id: int) -> str:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return s.scalar(select(MatchPair.status).where(MatchPair.id == pair_id))


def _decisions(engine) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return len(
            s.scalars(select(Decision.id).where(Decision.action.in_(("merge", "apart")))).all()
        )


@pytest.mark.parametrize("path", PAGES)
def test_every_page_wants_a_session(app, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client_for(app).get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/review/login?next=")


def test_the_root_leads_a_browser_to_login_then_to_the_queue(app, as_user) -> None:  # type: ignore[no-untyped-def]
    browser = client_for(app)
    root = browser.get("/")
    assert root.status_code == 303 and root.headers["location"] == "/review/"
    # followed as a browser would: no session, so the login form, which leads back
    queue = browser.get(root.headers["location"])
    assert queue.status_code == 303
    assert queue.headers["location"] == "/review/login?next=/review/"
    page = browser.get(queue.headers["location"])
    assert page.status_code == 200 and 'name="next" value="/review/"' in page.text
    steward = as_user("sam")
    assert steward.get("/", follow_redirects=True).url.path == "/review/"
    assert "csrf_token" in steward.get("/", follow_redirects=True).text


def test_an_action_without_a_session_changes_nothing(app, engine, hub: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    pair = hub["pending"][0]
    response = client_for(app).post(f"/review/pairs/{pair}/decide", data={"answer": "merge"})
    assert response.status_code == 303 and "/review/login" in response.headers["location"]
    assert _status(engine, pair) == "pending"


def test_login_sets_a_secure_http_only_expiring_cookie_and_stores_only_its_hash(
    app, engine
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    response = login(client, "sam")
    assert response.status_code == 303 and response.headers["location"] == "/review/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("chub_session=")
    )
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "expires", "samesite"} <= flags
    assert "samesite=lax" in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    with session_scope(engine) as s:
        stored = s.scalars(select(AppSession.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0]
    assert client.get("/review/").status_code == 200


def test_a_wrong_password_is_refused_and_audited(app, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    response = login(client, "sam", "not the password")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.text
    assert client.get("/review/").status_code == 303
    response = login(client, "nobody", "whatever-it-is")
    assert response.status_code == 401  # an unknown name reads the same
    with session_scope(engine) as s:
        actions = s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["login_failed", "login_failed"]


def test_logins_are_rate_limited_per_name(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    for _ in range(5):
        assert login(client, "tom", "wrong password!").status_code == 401
    # the right password now waits too: guessing has to stop, not just fail
    response = login(client, "tom")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert login(client_for(app), "sam").status_code == 303  # another name is not held up


def test_logins_are_rate_limited_per_address_across_names(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from integration.web.auth import LoginLimiter
    from integration.web.review import admin

    # a limiter of this test's own (the app's is per process: other tests' failures count)
    monkeypatch.setattr(admin, "LIMITER", LoginLimiter(per_address=3))
    client = client_for(app)
    for name in ("amy", "bob", "cat"):  # one client walking through names
        assert login(client, name, "wrong password!").status_code == 401
    held = login(client, "sam")
    assert held.status_code == 429 and "Too many failed attempts" in held.text


def test_login_form_needs_its_csrf_cookie(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    page = client.get("/review/login")
    token = csrf_of(page.text)
    client.cookies.clear()
    response = client.post(
        "/review/login", data={"username": "sam", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 403


def test_login_never_redirects_elsewhere(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    page = client.get("/review/login")
    response = client.post(
        "/review/login",
        data={
            "username": "sam",
            "password": "correct horse battery",
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/review/",
        },
    )
    assert response.headers["location"] == "/review/"


def test_an_expired_session_is_a_login_again(app, engine, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    with session_scope(engine) as s:
        s.execute(update(AppSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/review/").status_code == 303


def test_logout_ends_the_session_even_for_a_copied_cookie(app, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    copied = {"Cookie": f"chub_session={client.cookies.get('chub_session')}"}
    assert client_for(app).get("/review/", headers=copied).status_code == 200
    csrf = csrf_of(client.get("/review/").text)
    assert client.post("/review/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/review/").status_code == 303
    assert client_for(app).get("/review/", headers=copied).status_code == 303


def test_a_form_without_the_csrf_token_is_refused(app, engine, hub, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    pair = hub["pending"][0]
    url = f"/review/pairs/{pair}/decide"
    assert client.post(url, data={"answer": "merge"}).status_code == 403
    assert client.post(url, data={"answer": "merge", "csrf_token": "forged"}).status_code == 403
    other_session = as_user("tom")
    foreign = csrf_of(other_session.get("/review/").text)
    assert client.post(url, data={"answer": "merge", "csrf_token": foreign}).status_code == 403
    assert _status(engine, pair) == "pending" and _decisions(engine) == 0
    csrf = csrf_of(client.get("/review/").text)
    cross_site = client.post(
        url,
        data={"answer": "merge", "csrf_token": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403 and _status(engine, pair) == "pending"
    assert client.post(url, data={"answer": "merge", "csrf_token": csrf}).status_code == 303
    assert _status(engine, pair) == "merged"


def test_a_viewer_reads_but_is_refused_every_action(app, engine, hub, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("vic")
    pair = hub["pending"][0]
    assert client.get(f"/review/pairs/{pair}").status_code == 200
    csrf = csrf_of(client.get("/review/").text)
    refused = [
        client.post(f"/review/pairs/{pair}/decide", data={"answer": "merge", "csrf_token": csrf}),
        client.post(
            "/review/bulk", data={"pair_ids": [pair], "min_score": "0", "csrf_token": csrf}
        ),
        client.post("/review/quarantine/1/override", data={"reason": "fine", "csrf_token": csrf}),
        client.post(
            "/review/quarantine/1/correct", data={"field": "name", "value": "x", "csrf_token": csrf}
        ),
        client.post(
            "/review/golden/G/split", data={"member": "erp:customers:E0", "csrf_token": csrf}
        ),
        client.post("/review/golden/G/merge", data={"other": "H", "csrf_token": csrf}),
        client.post("/review/users/sam/role", data={"role": "admin", "csrf_token": csrf}),
        client.get("/review/users"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert "may not do this" in refused[0].text
    assert _status(engine, pair) == "pending" and _decisions(engine) == 0


def test_a_steward_decides_but_only_an_admin_manages_users(app, engine, hub, as_user) -> None:  # type: ignore[no-untyped-def]
    steward = as_user("sam")
    assert steward.get("/review/users").status_code == 403
    viewer = as_user("vic")
    viewer_csrf = csrf_of(viewer.get("/review/").text)
    admin = as_user("ada")
    page = admin.get("/review/users")
    assert page.status_code == 200 and "vic" in page.text
    response = admin.post(
        "/review/users/vic/role", data={"role": "steward", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 303
    # the role is read on every request: vic's open session has it at once
    pair = hub["pending"][0]
    decided = viewer.post(
        f"/review/pairs/{pair}/decide", data={"answer": "apart", "csrf_token": viewer_csrf}
    )
    assert decided.status_code == 303 and _status(engine, pair) == "kept_apart"
    with session_scope(engine) as s:
        assert s.scalars(select(AuditLog.action).where(AuditLog.action == "user_role")).all() == [
            "user_role"
        ]


def test_user_functions_refuse_bad_input(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AuthError, match="at least 8"):
        add_user(engine, "zed", "short", "viewer")
    with pytest.raises(AuthError, match="role must be one of"):
        add_user(engine, "zed", "long enough pw", "root")
    add_user(engine, "zed", "long enough pw", "viewer")
    with pytest.raises(AuthError, match="already a user"):
        add_user(engine, "zed", "long enough pw", "viewer")
    with pytest.raises(AuthError, match="no user 'nobody'"):
        set_role(engine, "nobody", "admin")
    assert set_role(engine, "zed", "steward") == "viewer"
