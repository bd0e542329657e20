"""Each connector's mapping under generated payloads of its own shape (every field missing,
of a wrong type, huge, full of NUL or odd Unicode), landed and standardized: every landed
record ends with a verdict (ok / quarantined / deleted) or an activity, no step crashes,
and a second standardize has nothing left to look at."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from sqlalchemy import Engine, text

import quality
from connectors.callcenter.mapping import map_call, map_ticket
from connectors.contract import Mapped, Page, RawRecord, StreamKind
from connectors.hubspot.mapping import map_contact
from connectors.kingdee import mapping as kingdee
from connectors.sql_erp import mapping as sql_erp
from connectors.tryton import mapping as tryton
from connectors.wecom.mapping import to_customer
from integration.pipeline.land import LandingReport, land_page
from integration.pipeline.standardize import standardize
from tests.property import strategies as gen
from tests.property.figures import explore, tally

RULES = quality.default_rules()
_names = itertools.count(1)
V = gen.values(gen.chars_no_surrogates)  # landing flags surrogates before any mapping


def shaped(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A payload with any of ``fields`` (each of its shape or anything else) and odd keys."""
    known = st.fixed_dictionaries({}, optional={k: st.one_of(s, s, V) for k, s in fields.items()})
    return st.builds(
        lambda a, b: {**b, **a},
        known,
        st.dictionaries(gen.texts(gen.chars_no_surrogates, 8), V, max_size=2),
    )


def listof(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.one_of(inner, V), max_size=3)


dates = st.one_of(
    st.sampled_from(["2026-01-01 10:00:00", "2026-01-01T10:00:00+08:00", "2026/13/45", ""]),
    st.integers(min_value=-(2**63), max_value=2**63),
    V,
)
SQL_COLUMNS: dict[str, str | list[str]] = {
    "name": "cname",
    "mobile": "mob",
    "phones": ["tel1", "tel2"],
    "email": "mail",
    "company_name": "corp",
    "customer_type": "kind",
    "address": "addr",
    "tags": "tags",
    "source_updated_at": "mod",
}

#: connector -> (payload strategy per stream kind, map_record per stream kind)
CONNECTORS: dict[
    str, dict[str, tuple[st.SearchStrategy[Any], Callable[[dict[str, Any]], Mapped]]]
] = {
    "sql_erp": {
        "customer": (
            shaped(
                {
                    c: V
                    for c in [
                        "cname",
                        "mob",
                        "tel1",
                        "tel2",
                        "mail",
                        "corp",
                        "kind",
                        "addr",
                        "tags",
                    ]
                }
                | {"mod": dates}
            ),
            lambda p: Mapped(
                customer=sql_erp.map_customer(p, SQL_COLUMNS, tz="Asia/Shanghai", watermark="mod")
            ),
        ),
        "order": (
            shaped({"cust": V, "dt": dates, "amt": st.one_of(V, st.decimals()), "cur": V}),
            lambda p: Mapped(
                activity=sql_erp.map_order(
                    p,
                    customer_key="cust",
                    customer_stream="customers",
                    amount="amt",
                    at="dt",
                    tz="Asia/Shanghai",
                    currency="CNY",
                    currency_column="cur",
                )
            ),
        ),
    },
    "wecom": {
        "customer": (
            shaped(
                {
                    "external_contact": shaped(
                        {
                            "external_userid": V,
                            "name": V,
                            "type": st.sampled_from([1, 2]),
                            "corp_name": V,
                            "unionid": V,
                        }
                    ),
                    "follow_info": listof(
                        shaped(
                            {
                                "userid": V,
                                "remark_mobiles": listof(V),
                                "tag_id": listof(V),
                                "createtime": st.integers(),
                                "remark_corp_name": V,
                            }
                        )
                    ),
                    "tags": st.dictionaries(
                        gen.texts(gen.chars_no_surrogates, 6),
                        shaped({"name": V, "group": V}),
                        max_size=2,
                    ),
                }
            ),
            lambda p: Mapped(customer=to_customer(p)),
        ),
    },
    "hubspot": {
        "customer": (
            shaped(
                {
                    "id": V,
                    "properties": shaped(
                        {
                            k: V
                            for k in [
                                "firstname",
                                "lastname",
                                "email",
                                "phone",
                                "mobilephone",
                                "company",
                            ]
                        }
                        | {"lastmodifieddate": dates}
                    ),
                    "updatedAt": dates,
                }
            ),
            map_contact,
        ),
    },
    "callcenter": {
        "customer": (
            shaped(
                {
                    k: V
                    for k in ["id", "name", "mobile", "email", "phones", "tags", "requester", "via"]
                }
                | {"source_updated_at": dates}
            ),
            map_ticket,
        ),
        "order": (
            shaped(
                {k: V for k in ["id", "channel", "mobile", "name", "phones", "via"]}
                | {"source_updated_at": dates, "started_at": dates, "at": dates}
            ),
            map_call,
        ),
    },
    "kingdee": {
        "customer": (
            shaped(
                {
                    "FName": V,
                    "FTEL": V,
                    "contacts": listof(shaped({"FMOBILE": V, "FEMAIL": V})),
                    "FModifyDate": dates,
                    "FSOCIALCRECODE": V,
                }
            ),
            lambda p: Mapped(customer=kingdee.map_customer(p)),
        ),
        "order": (
            shaped(
                {
                    "FCustId": V,
                    "FDate": dates,
                    "FBillNo": V,
                    "lines": listof(shaped({"FAllAmount": V})),
                    "FCancelStatus": V,
                    "FDocumentStatus": V,
                }
            ),
            lambda p: Mapped(activity=kingdee.map_order(p)),
        ),
    },
    "tryton": {
        "customer": (
            shaped(
                {
                    k: V
                    for k in [
                        "name",
                        "code",
                        "email",
                        "mobile",
                        "phones",
                        "tags",
                        "uscc",
                        "type",
                        "active",
                    ]
                }
                | {"last_modified_at": dates, "create_date": dates}
            ),
            lambda p: Mapped(customer=tryton.map_party(p)),
        ),
        "order": (
            shaped(
                {
                    "party": V,
                    "sale_date": dates,
                    "total_amount": V,
                    "state": V,
                    "number": V,
                    "reference": V,
                }
            ),
            lambda p: Mapped(activity=tryton.map_sale(p)),
        ),
    },
}


class MappingSource:
    """The connector's own mapping behind the Source contract, for standardize."""

    def __init__(self, maps: dict[str, Callable[[dict[str, Any]], Mapped]]) -> None:
        self.maps = maps
        self.streams: dict[str, StreamKind] = {kind: kind for kind in maps}  # type: ignore[misc]

    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        return iter(())

    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        return self.maps[stream](payload)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("connector", sorted(CONNECTORS))
@explore
@given(data=st.data())
def test_every_mapped_record_gets_a_verdict_and_nothing_crashes(
    engine: Engine, connector: str, data: st.DataObject
) -> None:
    shapes = CONNECTORS[connector]
    name = f"map{next(_names)}"
    source = MappingSource({kind: fn for kind, (_, fn) in shapes.items()})
    pages: dict[str, list[RawRecord]] = {}
    for kind, (payloads, _) in shapes.items():
        records = data.draw(
            st.lists(
                st.builds(
                    RawRecord,
                    key=st.one_of(
                        st.sampled_from(["C1", "C2", "C3"]), gen.texts(gen.chars_no_surrogates, 10)
                    ),
                    payload=payloads,
                    deleted=st.sampled_from([False, False, False, True]),
                ),
                max_size=6,
            ),
            label=kind,
        )
        pages[kind] = records
    inputs = sum(len(r) for r in pages.values())
    with tally(f"mapping: {connector}", inputs) as figures:
        for kind, records in pages.items():
            land_page(engine, name, kind, Page(records, "1"), LandingReport(source=name))
        report = standardize(engine, {name: source}, RULES)
        with engine.connect() as conn:
            landed = conn.execute(
                text("SELECT id, source_key, payload FROM source_record WHERE source = :s"),
                {"s": name},
            ).all()
            verdicts = dict(
                conn.execute(
                    text("SELECT id, verdict FROM customer_row WHERE source = :s"), {"s": name}
                ).all()
            )
            activities = {
                i
                for (i,) in conn.execute(
                    text("SELECT id FROM activity WHERE source = :s"), {"s": name}
                )
            }
        without = [r.source_key for r in landed if r.id not in verdicts and r.id not in activities]
        figures.lost += len(without)
        note(f"reasons {dict(report.reasons)}")
        assert not without, f"records left without a verdict or an activity: {without[:3]!r}"
        assert set(verdicts.values()) <= {"ok", "quarantined", "deleted"}
        assert report.looked_at == len(landed)
        assert standardize(engine, {name: source}, RULES).looked_at == 0
