"""The Kingdee write-back in batches: one lookup and one BatchSave per batch, a refused
model fails only its own record, a merged golden id hands its customer to the survivor."""

from __future__ import annotations

from typing import Any

from connectors.contract import OutboundRecord
from connectors.fakes.kingdee import FakeKingdee
from connectors.kingdee import Settings, build_sink


def _server() -> FakeKingdee:
    seed = {
        "customers": [{"FCUSTID": 100001 + i, "FNumber": f"C{i}", "FName": "x"} for i in range(20)]
    }
    return FakeKingdee(seed)


def _sink(server: FakeKingdee, **extra: Any) -> Any:
    settings = Settings(
        base_url=server.url + "/K3Cloud/",
        acct_id="CHUB01",
        username="api",
        password="kd-secret",
        **extra,
    )
    return build_sink(settings, sleep=lambda s: None)


def _calls(server: FakeKingdee, service: str) -> int:
    return sum(1 for r in server.requests if r.path.endswith(f".{service}.common.kdsvc"))


def test_a_batch_is_one_lookup_and_one_batchsave() -> None:
    with _server() as server:
        sink = _sink(server)
        records = [OutboundRecord(f"G{i}", {}, source_keys=(str(100001 + i),)) for i in range(20)]
        results = sink.push(records)
        assert all(r.ok for r in results) and [r.golden_id for r in results] == [
            f"G{i}" for i in range(20)
        ]
        assert (_calls(server, "ExecuteBillQuery"), _calls(server, "BatchSave")) == (1, 1)
        assert all(server.customers[100001 + i]["F_CHUB_GoldenId"] == f"G{i}" for i in range(20))
        sink.push(records)
        assert _calls(server, "BatchSave") == 1  # nothing to change: no write at all
        sink.close()


def test_a_refused_model_fails_only_its_record_and_creates_are_batched() -> None:
    with _server() as server:
        sink = _sink(server, create_missing=True)
        records = [
            OutboundRecord("N1", {"company_name": "甲公司"}),
            OutboundRecord("N2", {}),  # no name: refused before it is sent
            OutboundRecord("N3", {"name": "乙"}),
        ]
        server.customers[100001]["FNumber"] = "CHUB-N3"  # N3's number exists already
        results = {r.golden_id: r for r in sink.push(records)}
        assert results["N1"].ok and results["N1"].created
        assert not results["N2"].ok and "no name" in (results["N2"].error or "")
        assert (
            results["N3"].ok and not results["N3"].created and results["N3"].target_id == "100001"
        )
        assert server.customers[100001]["F_CHUB_GoldenId"] == "N3"
        assert set(server.creations.values()) == {1}
        # merged into N1: the customer made for N3 now carries N1's golden id
        merged = OutboundRecord("N3", {"status": "merged", "merged_into": "N1"})
        assert sink.push([merged])[0].ok
        assert server.customers[100001]["F_CHUB_GoldenId"] == "N1"
        sink.close()
