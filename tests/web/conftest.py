"""Fixtures of the web tests (the API and the review app): a hub with generated golden
records, written straight through the models, and the app of `chub serve` around it.

``golden_hub`` holds ``HubData.PEOPLE`` golden records (hanzi and Latin names, mobiles,
e-mails, companies, one to three source records each in the erp / crm / wecom sources)
plus one merge (``HubData.RETIRED`` lives on as ``HubData.SURVIVOR``), each change with
its identity event. ``HubData`` can add more (``add_golden``, ``merge``) in a test.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from integration.events import record_event
from integration.hub import Hub
from integration.store import (
    CustomerRow,
    GoldenCustomer,
    GoldenMember,
    SourceRecord,
    session_scope,
)

_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
_GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇"]
_LATIN = ["Daniel Torres", "Maria Schmidt", "John Smith", "Anna Weber", "José Li"]
_COMPANIES = ["上海新元科技有限公司", "北京远大贸易有限公司", "Acme GmbH", "杭州云端网络有限公司"]


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


@dataclass
class HubData:
    """Writes golden records with their members and events; remembers what it wrote."""

    engine: Engine
    PEOPLE: int = 24
    RETIRED: str = "G-MERGED-A"
    SURVIVOR: str = "G-MERGED-B"
    goldens: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    _next_row: int = 0

    def _source_row(
        self, session: Any, source: str, stream: str, key: str, fields: dict[str, Any]
    ) -> int:
        record = SourceRecord(
            source=source,
            stream=stream,
            source_key=key,
            payload=fields,
            payload_hash=_digest(fields),
        )
        session.add(record)
        session.flush()
        session.add(
            CustomerRow(
                id=record.id,
                source=source,
                stream=stream,
                source_key=key,
                fields=fields,
                record_hash=_digest(fields),
            )
        )
        return record.id

    def add_golden(
        self,
        golden_id: str,
        fields: dict[str, Any],
        members: Sequence[tuple[str, str, str]],
        *,
        facts: dict[str, Any] | None = None,
        event: bool = True,
    ) -> None:
        """One active golden record with these members (source, stream, key) and its
        ``created`` event."""
        with session_scope(self.engine) as session:
            session.add(
                GoldenCustomer(
                    golden_id=golden_id,
                    fields=fields,
                    lineage={
                        name: {
                            "from": f"{members[0][0]}:{members[0][1]}:{members[0][2]}",
                            "rule": "most_recent_non_empty",
                        }
                        for name in fields
                    },
                    facts=facts or {"orders": 0, "revenue": 0.0, "lifecycle_stage": "lead"},
                    version=1,
                    content_hash=_digest(fields),
                    status="active",
                )
            )
            session.flush()
            for source, stream, key in members:
                row_id = self._source_row(session, source, stream, key, fields)
                session.add(
                    GoldenMember(
                        row_id=row_id,
                        golden_id=golden_id,
                        source=source,
                        stream=stream,
                        source_key=key,
                    )
                )
            if event:
                record_event(session, "created", golden_id, cause="engine", run_id="fixture")
        self.goldens[golden_id] = dict(fields)
        self.members[golden_id] = list(members)

    def change(self, golden_id: str, **new_fields: Any) -> None:
        """Change fields of a golden record (version + 1) with its ``changed`` event."""
        with session_scope(self.engine) as session:
            golden = session.get(GoldenCustomer, golden_id)
            assert golden is not None
            golden.fields = {**golden.fields, **new_fields}
            golden.version += 1
            golden.content_hash = _digest(golden.fields)
            record_event(session, "changed", golden_id, cause="source", run_id="fixture")
        self.goldens[golden_id].update(new_fields)

    def merge(self, retired: str, survivor: str) -> None:
        """Move the members of ``retired`` to ``survivor`` and retire it, with the events
        a merge records."""
        with session_scope(self.engine) as session:
            gone = session.get(GoldenCustomer, retired)
            assert gone is not None
            for member in session.query(GoldenMember).filter_by(golden_id=retired):
                member.golden_id = survivor
            gone.status, gone.merged_into = "retired", survivor
            gone.version += 1
            record_event(session, "merged", retired, cause="engine", other_id=survivor)
            record_event(session, "retired", retired, cause="engine", other_id=survivor)
            record_event(session, "changed", survivor, cause="engine")
        self.members[survivor] += self.members.pop(retired)
        self.goldens.pop(retired)

    def populate(self, seed: int = 7) -> None:
        rng = random.Random(seed)
        for i in range(self.PEOPLE):
            if i % 6 == 5:
                name = _LATIN[(i // 6) % len(_LATIN)]
            else:
                name = _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i * 7) % len(_GIVEN)]
            fields: dict[str, Any] = {
                "customer_type": "person",
                "name": name,
                "mobile": f"+86138{i:04d}{rng.randrange(10_000):04d}",
                "email": f"user{i}@example.com",
                "city": "上海",
            }
            if i % 3 == 0:
                fields["company_name"] = _COMPANIES[(i // 3) % len(_COMPANIES)]
            if i % 4 == 0:
                fields["phones"] = [f"+86215{i:03d}{rng.randrange(10_000):04d}"]
            members = [("erp", "customers", f"C-{10000 + i}")]
            if i % 2 == 0:
                members.append(("crm", "contacts", f"crm-{i}"))
            if i % 5 == 0:
                members.append(("wecom", "contacts", f"wm{i:06d}external"))
            self.add_golden(
                f"G-{i:05d}", fields, members, facts={"orders": i % 4, "revenue": 100.0 * i}
            )
        self.add_golden(
            self.RETIRED,
            {
                "customer_type": "person",
                "name": "孙悦",
                "mobile": "+8613900139000",
                "email": "sun@example.com",
            },
            [("erp", "customers", "C-MERGED-A")],
        )
        self.add_golden(
            self.SURVIVOR,
            {
                "customer_type": "person",
                "name": "孙悦",
                "mobile": "+8613900139000",
                "email": "sunyue@example.com",
            },
            [("crm", "contacts", "crm-merged-b")],
        )
        self.merge(self.RETIRED, self.SURVIVOR)


def write_config(tmp_path: Path, url: str, serve: str = "") -> Path:
    """A chub.yaml of a hub with no sources, on ``url`` (and a ``serve:`` section)."""
    path = tmp_path / "chub.yaml"
    path.write_text(f"hub:\n  database_url: {url}\n{serve}", encoding="utf-8")
    return path


def hub_on(engine: Engine, config: Path) -> Hub:
    """The Hub of ``config``, sharing the test's engine."""
    hub = Hub.from_config(config)
    hub.__dict__["engine"] = engine  # cached_property: one engine per test
    return hub


@pytest.fixture
def golden_hub(engine: Engine) -> HubData:
    """A migrated hub with generated golden records, one merge and their events."""
    data = HubData(engine)
    data.populate()
    return data


@pytest.fixture
def web_hub(engine: Engine, hub_url: str, tmp_path: Path) -> Iterator[Hub]:
    """The Hub the app is built around (no sources; the test's database)."""
    hub = hub_on(engine, write_config(tmp_path, hub_url))
    yield hub
