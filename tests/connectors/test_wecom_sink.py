"""WeCom sink against the loopback fake: remark + tags, idempotent re-pushes, tag creation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connectors.contract import OutboundRecord
from connectors.fakes.wecom import FakeWeCom
from connectors.wecom import Settings, WeComSink, build_sink, build_source
from connectors.wecom.mapping import merge_description


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    rows = [
        {
            "external_contact": {"external_userid": "wmA", "name": "张伟", "type": 1},
            "follow_info": {
                "userid": "zhangsan",
                "createtime": 1_700_000_000,
                "description": "老客户，喜欢绿茶",
                "remark_mobiles": ["13800138000"],
                "tag_id": ["vip"],
            },
        },
        {
            "external_contact": {"external_userid": "wmB", "name": "李娜", "type": 1},
            "follow_info": {"userid": "lisi", "createtime": 1_700_000_100},
        },
    ]
    groups = [{"group_id": "g-own", "group_name": "等级", "tag": [{"id": "vip", "name": "VIP"}]}]
    with FakeWeCom(rows, groups, follow_users=["wangwu"]) as server:
        yield server


def sink_for(fake: FakeWeCom, **kw: Any) -> WeComSink:
    return build_sink(Settings(**fake.settings(**kw)), sleep=lambda s: None)


def golden(gid: str = "G1", **fields: Any) -> OutboundRecord:
    base = {"wecom_external_userid": "wmA", "owner": "zhangsan", "mobile": "13900001111"}
    return OutboundRecord(gid, {**base, **fields})


def tag_names(fake: FakeWeCom, ext: str, userid: str) -> set[str]:
    names = {t["id"]: t["name"] for g in fake.tag_groups for t in g["tag"]}
    return {names[t] for t in fake.follow(ext, userid)["tag_id"]}


def writes(fake: FakeWeCom) -> tuple[int, int, int]:
    return (
        len(fake.writes("remark")),
        len(fake.writes("mark_tag")),
        len(fake.writes("add_corp_tag")),
    )


def test_push_sets_remark_and_tags_and_repush_is_a_no_op(fake: FakeWeCom) -> None:
    sink = sink_for(fake)
    assert sink.batch_size == 50
    record = golden(phones=["010-65521234"], lifecycle_stage="repeat", value_tier="A")
    (result,) = sink.push([record])
    assert result.ok and result.target_id == "wmA" and not result.created
    follow = fake.follow("wmA", "zhangsan")
    assert follow["remark_mobiles"] == ["13900001111", "010-65521234"]  # replaced
    assert follow["description"] == "老客户，喜欢绿茶 golden:G1"  # the member's words stay
    assert tag_names(fake, "wmA", "zhangsan") == {"VIP", "lifecycle:repeat", "tier:A"}
    group = next(g for g in fake.tag_groups if g["group_name"] == "customer-hub")
    assert {t["name"] for t in group["tag"]} == {"lifecycle:repeat", "tier:A"}
    assert writes(fake) == (1, 1, 1)

    # the same golden record again (even from a fresh sink): reads only, no writes
    for again in (sink, sink_for(fake)):
        assert again.push([record])[0].ok
    assert writes(fake) == (1, 1, 1)


def test_changed_stage_swaps_our_tag_and_keeps_the_members_tags(fake: FakeWeCom) -> None:
    sink = sink_for(fake)
    sink.push([golden(lifecycle_stage="lead", value_tier="B")])
    sink.push([golden(lifecycle_stage="repeat")])  # tier gone from the golden record
    assert tag_names(fake, "wmA", "zhangsan") == {"VIP", "lifecycle:repeat"}
    last = fake.writes("mark_tag")[-1]
    assert len(last["add_tag"]) == 1 and len(last["remove_tag"]) == 2
    # the new tag was added to the existing group, not a second "customer-hub" group
    assert sum(g["group_name"] == "customer-hub" for g in fake.tag_groups) == 1
    assert writes(fake)[0] == 1  # the remark did not change the second time


def test_records_without_ids_or_a_live_contact_fail_for_good(fake: FakeWeCom) -> None:
    results = sink_for(fake).push(
        [
            OutboundRecord("G1", {"owner": "zhangsan"}),
            OutboundRecord("G2", {"wecom_external_userid": "wmA"}),
            golden("G4", wecom_external_userid="wmGONE"),
            golden("G5", wecom_external_userid="wmB", owner="lisi"),
        ]
    )
    assert [r.golden_id for r in results] == ["G1", "G2", "G4", "G5"]
    assert [r.ok for r in results] == [False, False, False, True]
    assert not any(r.retryable for r in results)
    assert "owner" in (results[0].error or "") and "owner" in (results[1].error or "")
    assert "no longer exist" in (results[2].error or "")


def test_owner_from_another_silo_writes_under_the_earliest_follower(fake: FakeWeCom) -> None:
    (result,) = sink_for(fake).push([golden(owner="erp-seller-17")])
    assert result.ok
    assert fake.writes("remark")[0]["userid"] == "zhangsan"


def test_every_wecom_member_of_the_golden_record_is_written(fake: FakeWeCom) -> None:
    record = OutboundRecord(
        "G7",
        {"wecom_external_userid": "wmA", "owner": "zhangsan", "mobile": "13900001111"},
        source_keys=("wmA", "wmB", "wmGONE"),  # wmGONE was deleted in WeCom meanwhile
    )
    (result,) = sink_for(fake).push([record])
    assert result.ok and result.target_id == "wmA"
    assert fake.follow("wmB", "lisi")["description"] == "golden:G7"
    assert fake.follow("wmA", "zhangsan")["remark_mobiles"] == ["13900001111"]


def test_transient_failure_is_retryable(fake: FakeWeCom) -> None:
    fake.inject("http_500", path="externalcontact/get", times=2)
    (result,) = sink_for(fake, max_attempts=2).push([golden()])
    assert not result.ok and result.retryable


def test_tag_created_meanwhile_by_someone_else(fake: FakeWeCom) -> None:
    sink = sink_for(fake)
    assert sink.push([golden()])[0].ok  # no tag fields: loads the (groupless) tag list
    # another writer creates our group and the tag before we get to it: 40071 on add
    fake.tag_groups.append(
        {
            "group_id": "g-hub",
            "group_name": "customer-hub",
            "create_time": 0,
            "order": 0,
            "deleted": False,
            "tag": [{"id": "t-lead", "name": "lifecycle:lead", "deleted": False}],
        }
    )
    assert sink.push([golden(lifecycle_stage="lead")])[0].ok
    assert fake.follow("wmA", "zhangsan")["tag_id"] == ["vip", "t-lead"]
    assert len(fake.writes("get_corp_tag_list")) == 2  # re-read after 40071


def test_tag_deleted_behind_our_back_is_recreated(fake: FakeWeCom) -> None:
    sink = sink_for(fake)
    sink.push([golden(lifecycle_stage="lead")])
    old = fake.follow("wmA", "zhangsan")["tag_id"][-1]
    sink.client.call("POST", "externalcontact/del_corp_tag", json={"tag_id": [old]})
    # wmB needs the (cached, now deleted) tag: 40068 -> re-read -> create -> mark
    result = sink.push(
        [golden("G2", wecom_external_userid="wmB", owner="lisi", lifecycle_stage="lead")]
    )
    assert result[0].ok, result[0].error
    new = fake.follow("wmB", "lisi")["tag_id"]
    assert len(new) == 1 and new[0] != old


def test_description_respects_the_length_limit() -> None:
    long = "备注" * 100
    merged = merge_description(long, "G123")
    assert len(merged) == 150 and merged.endswith(" golden:G123")
    assert merge_description("x golden:G9 y", "G10") == "x y golden:G10"
    assert merge_description("", "G1") == "golden:G1"


def test_fake_validates_remark_and_mark_tag(fake: FakeWeCom) -> None:
    client = sink_for(fake).client
    token = client._access_token()

    def post(name: str, body: dict[str, Any]) -> int:
        url = f"{fake.url}/cgi-bin/externalcontact/{name}?access_token={token}"
        return int(httpx.post(url, json=body).json()["errcode"])

    pair = {"userid": "zhangsan", "external_userid": "wmA"}
    assert post("remark", {**pair, "description": "x" * 151}) == 40058
    assert post("remark", {**pair, "remark": "x" * 21}) == 40058
    assert post("remark", pair) == 40058  # nothing to change
    assert post("remark", {**pair, "remark_mobiles": [""]}) == 0  # [""] clears
    assert fake.follow("wmA", "zhangsan")["remark_mobiles"] == []
    assert post("mark_tag", {**pair, "add_tag": [], "remove_tag": []}) == 40058
    assert post("mark_tag", {**pair, "add_tag": ["vip"]}) == 0  # already there: no-op
    assert fake.follow("wmA", "zhangsan")["tag_id"] == ["vip"]
    assert post("mark_tag", {**pair, "add_tag": ["nope"]}) == 40068
    assert post("remark", {"userid": "wangwu", "external_userid": "wmA", "remark": "x"}) == 84061
    assert post("add_corp_tag", {"group_id": "g-own", "tag": [{"name": "VIP"}]}) == 40071
    assert post("add_corp_tag", {"group_id": "g-own", "tag": [{"name": "x" * 31}]}) == 40058


def test_our_own_tags_do_not_flow_back_as_customer_tags(fake: FakeWeCom) -> None:
    sink_for(fake).push([golden(lifecycle_stage="repeat", value_tier="A")])
    source = build_source(Settings(**fake.settings()), sleep=lambda s: None)
    for record in (
        *[r for p in source.pull("contacts", None) for r in p.records],
        source.fetch_contact("wmA"),
    ):
        if record.key == "wmA":
            customer = source.map_record("contacts", record.payload or {}).customer or {}
            assert customer["tags"] == ["VIP"]
