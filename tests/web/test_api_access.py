"""API tokens (hashing, scopes, expiry, revocation), masking without the pii scope, and
the audit log of every answer that carried unmasked personal data."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from integration.hub import Hub
from integration.store import ApiToken, AuditLog, session_scope
from integration.web.app import create_app
from integration.web.masking import mask_deep, mask_fields, personal_fields_in
from integration.web.tokens import (
    TokenError,
    authenticate,
    create_token,
    list_tokens,
    parse_expiry,
    revoke_token,
)
from tests.web.conftest import HubData, write_config

ENDPOINTS = [
    "/api/golden/G-00001",
    "/api/golden/G-00001/history",
    "/api/lookup?source=erp&id=C-10001",
    "/api/search?name=li",
    "/api/changes",
    "/api/changes/head",
    "/api/status",
]


@pytest.fixture
def client(web_hub: Hub, golden_hub: HubData) -> Iterator[TestClient]:
    with TestClient(create_app(web_hub)) as c:
        yield c


def _token(hub: Hub, name: str, scopes: list[str], **kw: object) -> str:
    with session_scope(hub.engine) as session:
        token, _ = create_token(session, name, scopes, **kw)  # type: ignore[arg-type]
    return token


def _audit(hub: Hub) -> list[AuditLog]:
    with session_scope(hub.engine) as session:
        return list(session.scalars(select(AuditLog).order_by(AuditLog.id)))


# --- tokens -----------------------------------------------------------------------------


def test_a_token_is_random_and_only_its_sha256_is_stored(web_hub: Hub) -> None:
    first = _token(web_hub, "one", ["read"])
    second = _token(web_hub, "two", ["read"])
    assert first != second and len(first) > 40 and first.startswith("chub_")
    with session_scope(web_hub.engine) as session:
        rows = {r.name: r for r in session.scalars(select(ApiToken))}
        assert rows["one"].token_hash == hashlib.sha256(first.encode()).hexdigest()
        stored = " ".join(f"{r.token_hash} {r.scopes} {r.name}" for r in rows.values())
    assert first not in stored and second not in stored


def test_token_names_scopes_and_expiry_are_checked(web_hub: Hub) -> None:
    with session_scope(web_hub.engine) as session:
        create_token(session, "crm", ["read"])
        with pytest.raises(TokenError, match="exists already"):
            create_token(session, "crm", ["read"])
        with pytest.raises(TokenError, match="unknown scope 'write'"):
            create_token(session, "x", ["write"])
        with pytest.raises(TokenError, match="token name"):
            create_token(session, "bad name!", ["read"])
        _, info = create_token(session, "pii-only", ["pii"])
        assert info.scopes == ("read", "pii")  # pii widens read; alone it would grant nothing
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert parse_expiry("30d", now=now) == now + timedelta(days=30)
    assert parse_expiry("12h", now=now) == now + timedelta(hours=12)
    assert parse_expiry("2027-02-01", now=now) == datetime(2027, 2, 1, tzinfo=UTC)
    for bad in ("0d", "soon", "2026-01-01"):
        with pytest.raises(TokenError, match="--expires"):
            parse_expiry(bad, now=now)


def test_no_token_a_wrong_one_a_revoked_one_an_expired_one_get_401_and_no_data(
    client: TestClient, web_hub: Hub
) -> None:
    good = _token(web_hub, "good", ["read"])
    revoked = _token(web_hub, "revoked", ["read", "pii"])
    expired = _token(web_hub, "expired", ["read", "pii"])
    with session_scope(web_hub.engine) as session:
        revoke_token(session, "revoked")
        session.execute(
            update(ApiToken)
            .where(ApiToken.name == "expired")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    for path in ENDPOINTS:
        assert client.get(path, headers={"Authorization": f"Bearer {good}"}).status_code == 200
        for headers in (
            {},
            {"Authorization": "Bearer chub_wrong"},
            {"Authorization": f"Basic {good}"},
            {"Authorization": f"Bearer {revoked}"},
            {"Authorization": f"Bearer {expired}"},
        ):
            r = client.get(path, headers=headers)
            assert r.status_code == 401, (path, headers)
            assert r.headers["www-authenticate"] == "Bearer"
            assert set(r.json()) == {"detail", "errors"}
            assert "G-0000" not in r.text and "example.com" not in r.text


def test_a_token_that_expires_later_works_until_then(web_hub: Hub) -> None:
    token = _token(web_hub, "soon", ["read"], expires_at=datetime.now(UTC) + timedelta(hours=1))
    with session_scope(web_hub.engine) as session:
        assert authenticate(session, token) is not None
        later = datetime.now(UTC) + timedelta(hours=2)
        assert authenticate(session, token, now=later) is None
        assert {t.name: t.state(later) for t in list_tokens(session)} == {"soon": "expired"}


def test_revoking_twice_or_an_unknown_name_is_a_clear_error(web_hub: Hub) -> None:
    _token(web_hub, "crm", ["read"])
    with session_scope(web_hub.engine) as session:
        revoke_token(session, "crm")
        with pytest.raises(TokenError, match="revoked already"):
            revoke_token(session, "crm")
        with pytest.raises(TokenError, match="no token named 'nope'"):
            revoke_token(session, "nope")


def test_use_is_noted_at_most_once_a_minute(web_hub: Hub) -> None:
    token = _token(web_hub, "crm", ["read"])
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    with session_scope(web_hub.engine) as session:
        authenticate(session, token, now=t0)
        authenticate(session, token, now=t0 + timedelta(seconds=30))
        assert list_tokens(session)[0].last_used_at == t0
        authenticate(session, token, now=t0 + timedelta(seconds=61))
        assert list_tokens(session)[0].last_used_at == t0 + timedelta(seconds=61)


def _chub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "integration.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_token_commands_print_the_token_once_on_its_own_line(
    engine, hub_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config = str(write_config(tmp_path, hub_url))
    made = _chub(
        "token",
        "create",
        "crm-sync",
        "--scope",
        "read",
        "--scope",
        "pii",
        "--expires",
        "30d",
        "-c",
        config,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("chub_")
    token = lines[0]
    assert "shown only this once" in made.stderr and token not in made.stderr
    listed = _chub("token", "list", "-c", config, cwd=tmp_path)
    assert "crm-sync" in listed.stdout and "read,pii" in listed.stdout
    assert "active" in listed.stdout and token not in listed.stdout
    again = _chub("token", "create", "crm-sync", "-c", config, cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.startswith("chub: a token named")
    assert "Traceback" not in again.stderr
    bad = _chub("token", "create", "x", "--expires", "someday", "-c", config, cwd=tmp_path)
    assert bad.returncode == 2 and "--expires" in bad.stderr
    gone = _chub("token", "revoke", "crm-sync", "-c", config, cwd=tmp_path)
    assert gone.returncode == 0 and "revoked" in gone.stdout
    assert "revoked" in _chub("token", "list", "-c", config, cwd=tmp_path).stdout
    with session_scope(engine) as session:
        assert authenticate(session, token) is None


# --- masking and the audit log -----------------------------------------------------------


def test_masking_of_mobiles_phones_and_emails() -> None:
    fields = {
        "name": "张三",
        "mobile": "+8613800138000",
        "phones": ["+862161234567"],
        "email": "zhang@example.com",
        "mobiles": [{"value": "13800138000", "source": "erp"}],
        "city": "上海",
    }
    masked = mask_fields(fields)
    assert masked["mobile"] == "138****8000"
    assert masked["email"] == "z***@example.com"
    assert masked["phones"] == ["862*****4567"]
    assert masked["mobiles"] == [{"value": "138****8000", "source": "erp"}]
    assert masked["name"] == "张三" and masked["city"] == "上海"
    assert fields["mobile"] == "+8613800138000"  # a copy, the input is left alone
    assert personal_fields_in(fields) == ["email", "mobile", "mobiles", "phones"]
    assert personal_fields_in({"mobile": "", "email": None, "name": "x"}) == []
    detail = {"before": {"email": "a@b.cn"}, "fields": [{"mobile": "13800138000"}], "n": 1}
    assert mask_deep(detail) == {
        "before": {"email": "a***@b.cn"},
        "fields": [{"mobile": "138****8000"}],
        "n": 1,
    }


def test_without_pii_every_endpoint_masks_and_nothing_is_audited(
    client: TestClient, web_hub: Hub, golden_hub: HubData
) -> None:
    headers = {"Authorization": f"Bearer {_token(web_hub, 'reader', ['read'])}"}
    raw_values = [f["mobile"] for f in golden_hub.goldens.values()] + [
        f["email"] for f in golden_hub.goldens.values()
    ]
    for path in ENDPOINTS:
        text = client.get(path, headers=headers).text
        assert not [v for v in raw_values if v in text], path
    one = client.get("/api/golden/G-00001", headers=headers).json()["record"]["fields"]
    assert one["mobile"].startswith("138****") and one["email"] == "u***@example.com"
    assert _audit(web_hub) == []


def test_with_pii_values_are_plain_and_each_answer_is_audited(
    client: TestClient, web_hub: Hub, golden_hub: HubData
) -> None:
    headers = {"Authorization": f"Bearer {_token(web_hub, 'crm-sync', ['read', 'pii'])}"}
    body = client.get("/api/golden/G-00001", headers=headers).json()
    assert body["record"]["fields"]["mobile"] == golden_hub.goldens["G-00001"]["mobile"]
    client.get("/api/lookup", params={"source": "erp", "id": "C-10002"}, headers=headers)
    client.get("/api/search", params={"name": "li"}, headers=headers)
    client.get("/api/status", headers=headers)  # figures only: nothing personal, no entry
    entries = _audit(web_hub)
    assert [(e.actor_kind, e.actor, e.action) for e in entries] == [
        ("token", "crm-sync", "api_pii")
    ] * 3
    assert [e.target for e in entries] == ["golden G-00001", "lookup erp:C-10002", "search name"]
    assert entries[0].detail["golden_ids"] == ["G-00001"]
    assert entries[0].detail["fields"] == ["email", "mobile"]
    assert entries[0].detail["path"] == "/api/golden/G-00001"
    assert entries[2].detail["records"] == len(entries[2].detail["golden_ids"]) > 0
    assert all(e.at is not None for e in entries)


def test_a_feed_event_with_contact_details_is_masked_or_audited(
    client: TestClient, web_hub: Hub, golden_hub: HubData
) -> None:
    from integration.events import record_event

    with session_scope(web_hub.engine) as session:
        record_event(
            session,
            "changed",
            "G-00003",
            cause="source",
            detail={"changed": {"mobile": ["+8613800000001", "+8613900000002"]}},
        )
    reader = {"Authorization": f"Bearer {_token(web_hub, 'reader', ['read'])}"}
    crm = {"Authorization": f"Bearer {_token(web_hub, 'crm', ['read', 'pii'])}"}
    masked = client.get("/api/changes", params={"limit": "1000"}, headers=reader).json()
    assert masked["events"][-1]["detail"] == {"changed": {"mobile": ["138****0001", "139****0002"]}}
    assert _audit(web_hub) == []
    plain = client.get("/api/changes", params={"limit": "1000"}, headers=crm).json()
    assert plain["events"][-1]["detail"]["changed"]["mobile"][0] == "+8613800000001"
    entries = _audit(web_hub)
    assert len(entries) == 1 and entries[0].detail["golden_ids"] == ["G-00003"]
