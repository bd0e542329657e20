"""A small hub built by the real pipeline (land, standardize, resolve, golden), with pairs
left for review, golden records of several members, and a quarantined row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

import dedupe
import quality
from integration.golden.build import build_golden
from integration.pipeline.land import sync_source
from integration.pipeline.resolve import resolve_customers
from integration.pipeline.standardize import standardize
from integration.store import MatchPair, session_scope
from integration.web.auth import add_user
from tests.integration.doubles import ListSource, rec

#: a wide review band, so that a handful of records leaves several pairs to decide
SETTINGS = dedupe.MatchSettings(upper=0.995, lower=0.3)
PASSWORD = "correct horse battery"

PEOPLE = [
    ("张伟", "13800138000", "zhangwei@example.com", "北京市朝阳区建国路88号"),
    ("王芳", "13912345678", "wangfang@example.cn", "上海市浦东新区世纪大道100号"),
    ("李娜", "13698765432", "lina@163.com", "广州市天河区体育西路1号"),
    ("刘洋", "13511112222", "liuyang@qq.com", "深圳市南山区科技园路5号"),
    ("陈静", "13733334444", "chenjing@example.com", "杭州市西湖区文三路20号"),
    ("杨磊", "13855556666", "yanglei@126.com", "成都市武侯区人民南路3号"),
    ("赵敏", "13977778888", "zhaomin@example.cn", "南京市鼓楼区中山路18号"),
    ("黄强", "13699990000", "huangqiang@qq.com", "武汉市洪山区珞喻路7号"),
]


def _sources() -> dict[str, ListSource]:
    erp, crm, calls = [], [], []
    for i, (name, mobile, email, address) in enumerate(PEOPLE):
        erp.append(
            rec(
                f"E{i}",
                name=name,
                mobile=mobile,
                email=email,
                address=address,
                customer_type="person",
            )
        )
        # the marketing silo: a middle character added to every other name, the mobile
        # written with spaces and dashes, a one-character typo in some e-mails
        crm.append(
            rec(
                f"M{i}",
                name=name if i % 2 else name[0] + "小" + name[1:],
                mobile=f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
                email=email.replace("@", "1@") if i % 3 == 0 else email,
            )
        )
        # the call centre: the last digit of the mobile mistyped
        calls.append(
            rec(
                f"C{i}",
                name=name,
                mobile=mobile[:-1] + str((int(mobile[-1]) + 1) % 10),
                address=address,
            )
        )
    calls.append(rec("BAD1", name="", mobile="12", email="not-an-email"))
    # orders of the ERP customers, so that the golden records carry 360° facts
    orders = [
        rec(
            f"O{i}-{k}",
            customer=f"E{i}",
            amount=120.0 * (k + 1) + 37 * i,
            at=f"2026-{k + 3:02d}-1{i % 9}T10:00:00",
        )
        for i in range(len(PEOPLE))
        for k in range(i % 4 + 1)
    ]
    return {
        "erp": ListSource(
            {"customers": erp, "orders": orders}, kinds={"customers": "customer", "orders": "order"}
        ),
        "crm": ListSource({"leads": crm}),
        "calls": ListSource({"contacts": calls}),
    }


def build_hub(engine: Engine) -> dict[str, Any]:
    """Land, standardize, resolve and build; returns the pending pair ids, best first."""
    sources = _sources()
    for name, source in sources.items():
        sync_source(engine, name, source)
    rules = quality.default_rules()
    standardize(engine, sources, rules)
    resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)
    build_golden(engine, rules)
    with session_scope(engine) as session:
        pending = list(
            session.scalars(
                select(MatchPair.id)
                .where(MatchPair.status == "pending")
                .order_by(MatchPair.score.desc())
            )
        )
    return {"pending": pending, "rules": rules}


def add_users(engine: Engine) -> None:
    for name, role in (("ada", "admin"), ("sam", "steward"), ("tom", "steward"), ("vic", "viewer")):
        add_user(engine, name, PASSWORD, role)
