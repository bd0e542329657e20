"""Masking of a golden record as the golden stage really writes it: the list fields
(``mobiles``, ``emails``, ``phones``) and their lineage, whose ``values`` map each phone or
e-mail to the records it came from, in the record, its history, a lookup and a search; and
the review app's pages for a viewer. A caller without the pii scope finds none of the
numbers or addresses in any answer, while the source refs beside them stay readable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from integration.golden.survivorship import Member, survive
from integration.hub import Hub
from integration.store import GoldenCustomer, GoldenHistory, session_scope
from integration.web.app import create_app
from integration.web.masking import mask_deep
from integration.web.tokens import create_token
from tests.web.conftest import HubData

GOLDEN = "G-LISTS"
MEMBERS = [
    Member(
        "erp:customers:C-77001",
        "erp",
        "kingdee",
        "customers",
        "C-77001",
        {
            "name": "欧阳娜娜",
            "mobile": "+8613812345678",
            "email": "ouyang.nana@example.com",
            # a mobile among the phones moves to ``mobiles``; the landline stays a phone
            "phones": ["+8613987654321", "+862161234567"],
        },
        "2026-01-05T08:00:00+00:00",
    ),
    Member(
        "crm:contacts:crm-77001",
        "crm",
        "hubspot",
        "contacts",
        "crm-77001",
        {"name": "欧阳娜娜", "mobile": "+8613700001111", "email": "nana@corp.example.cn"},
        "2026-02-01T08:00:00+00:00",
    ),
]
#: what must never reach a caller without pii, in any spelling the record holds
RAW = [
    "13812345678",
    "13987654321",
    "13700001111",
    "61234567",
    "ouyang.nana",
    "nana@corp",
]


def _no_raw(text: str) -> list[str]:
    return [v for v in RAW if v in text]


@pytest.fixture
def lists_hub(golden_hub: HubData) -> HubData:
    """The fixture hub plus one golden record whose fields and lineage are survivorship's
    own output (lists with their sources), at version 2 with version 1 in its history."""
    survived = survive(MEMBERS)
    golden_hub.add_golden(
        GOLDEN, survived.fields, [("erp", "customers", "C-77001"), ("crm", "contacts", "crm-77001")]
    )
    now = datetime.now(UTC)
    with session_scope(golden_hub.engine) as session:
        session.execute(
            update(GoldenCustomer)
            .where(GoldenCustomer.golden_id == GOLDEN)
            .values(lineage=survived.lineage, version=2)
        )
        session.add(
            GoldenHistory(
                golden_id=GOLDEN,
                version=1,
                fields=survived.fields,
                lineage=survived.lineage,
                facts={"orders": 0},
                status="active",
                valid_from=now - timedelta(days=1),
                valid_to=now,
            )
        )
    return golden_hub


@pytest.fixture
def client(web_hub: Hub, lists_hub: HubData) -> Iterator[TestClient]:
    with TestClient(create_app(web_hub)) as c:
        yield c


def _bearer(hub: Hub, name: str, scopes: list[str]) -> dict[str, str]:
    with session_scope(hub.engine) as session:
        token, _ = create_token(session, name, scopes)
    return {"Authorization": f"Bearer {token}"}


def test_list_fields_and_their_lineage_are_masked_in_every_answer(
    client: TestClient, web_hub: Hub
) -> None:
    reader = _bearer(web_hub, "reader", ["read"])
    answers = {
        "golden": client.get(f"/api/golden/{GOLDEN}", headers=reader),
        "history": client.get(f"/api/golden/{GOLDEN}/history", headers=reader),
        "lookup": client.get(
            "/api/lookup", params={"source": "crm", "id": "crm-77001"}, headers=reader
        ),
        "search": client.get("/api/search", params={"name": "ouyang"}, headers=reader),
        "feed": client.get("/api/changes", params={"limit": "1000"}, headers=reader),
    }
    for what, response in answers.items():
        assert response.status_code == 200, (what, response.text)
        assert _no_raw(response.text) == [], what
    record = answers["golden"].json()["record"]
    assert record["fields"]["mobiles"] == ["137****1111", "138****5678", "139****4321"]
    assert record["fields"]["emails"] == ["n***@corp.example.cn", "o***@example.com"]
    assert record["fields"]["phones"] == ["862*****4567"]
    # the lineage names the masked values and, unchanged, the records they came from
    assert record["lineage"]["mobiles"] == {
        "rule": "all",
        "values": {
            "137****1111": ["crm:contacts:crm-77001"],
            "138****5678": ["erp:customers:C-77001"],
            "139****4321": ["erp:customers:C-77001"],
        },
    }
    assert record["lineage"]["emails"]["values"] == {
        "n***@corp.example.cn": ["crm:contacts:crm-77001"],
        "o***@example.com": ["erp:customers:C-77001"],
    }
    assert record["lineage"]["mobile"]["from"] == "crm:contacts:crm-77001"
    assert record["lineage"]["source_ids"]["values"] == [m.ref for m in reversed(MEMBERS)]
    (earlier,) = answers["history"].json()["versions"]
    assert earlier["fields"]["mobiles"] == record["fields"]["mobiles"]
    assert earlier["lineage"]["mobiles"] == record["lineage"]["mobiles"]
    assert answers["lookup"].json()["record"]["lineage"] == record["lineage"]


def test_with_pii_the_lists_and_their_lineage_are_whole(client: TestClient, web_hub: Hub) -> None:
    crm = _bearer(web_hub, "crm-sync", ["read", "pii"])
    record = client.get(f"/api/golden/{GOLDEN}", headers=crm).json()["record"]
    assert record["fields"]["mobiles"] == ["+8613700001111", "+8613812345678", "+8613987654321"]
    assert record["lineage"]["mobiles"]["values"]["+8613812345678"] == ["erp:customers:C-77001"]
    history = client.get(f"/api/golden/{GOLDEN}/history", headers=crm).json()
    assert history["versions"][0]["lineage"]["emails"]["values"]["ouyang.nana@example.com"] == [
        "erp:customers:C-77001"
    ]


def test_two_numbers_masked_alike_keep_both_sources() -> None:
    # 138 0000 5678 and 138 9999 5678 both read 138****5678: one entry, both records
    lineage = {
        "mobiles": {
            "rule": "all",
            "values": {"+8613800005678": ["erp:c:1"], "+8613899995678": ["crm:c:2", "erp:c:1"]},
        }
    }
    assert mask_deep(lineage)["mobiles"]["values"] == {"138****5678": ["crm:c:2", "erp:c:1"]}


def test_a_review_viewer_sees_the_lists_and_lineage_masked(
    web_hub: Hub, lists_hub: HubData, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2 import PasswordHasher

    from integration.web import auth

    # the least argon2 work: this test is about what a viewer sees, not the hash's cost
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    auth.add_user(web_hub.engine, "vic", "viewer password", "viewer")
    auth.add_user(web_hub.engine, "ada", "admin password!", "admin")
    pages = {}
    with TestClient(
        create_app(web_hub), base_url="https://testserver", follow_redirects=False
    ) as app:
        for user, password in (("vic", "viewer password"), ("ada", "admin password!")):
            app.cookies.clear()
            login = app.get("/review/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
            assert csrf is not None
            signed_in = app.post(
                "/review/login",
                data={"username": user, "password": password, "csrf_token": csrf.group(1)},
            )
            assert signed_in.status_code == 303, signed_in.text
            pages[user] = app.get(f"/review/golden/{GOLDEN}").text
    assert _no_raw(pages["vic"]) == []
    assert "139****4321" in pages["vic"] and "erp:customers:C-77001" in pages["vic"]
    assert "13987654321" in pages["ada"]  # a steward or admin sees the record whole
