"""The whole Dagster code location loads and has the asset graph the design describes."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from integration.definitions import build_definitions

CONFIG = """
hub: {database_url: "sqlite:///hub.db"}
sources:
  marketing: {type: hubspot, base_url: "http://127.0.0.1:9", token: t, schedule: "*/30 * * * *"}
  calls: {type: callcenter, base_url: "http://127.0.0.1:9", email: a@b.cn, api_token: t}
sinks:
  crm: {type: salesforce, instance_url: "http://127.0.0.1:9", client_id: c, client_secret: s}
"""


def test_definitions_load_with_the_full_asset_graph(tmp_path: Path) -> None:
    path = tmp_path / "chub.yaml"
    path.write_text(CONFIG)
    defs = build_definitions(str(path))
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {
        "land_calls",
        "land_marketing",
        "customer_rows",
        "customer_clusters",
        "golden_customers",
        "publish_crm",
    }

    def parents(name: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(dg.AssetKey(name)).parent_keys}

    assert parents("customer_rows") == {"land_calls", "land_marketing"}
    assert parents("customer_clusters") == {"customer_rows"}
    assert parents("golden_customers") == {"customer_clusters"}
    assert parents("publish_crm") == {"golden_customers"}
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["land_marketing"] == "landing" and groups["publish_crm"] == "publish"
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, f"{key} has no description"

    checks = {c.name for c in graph.asset_check_keys}
    assert checks == {"quality_calls", "quality_marketing", "quality_golden"}
    golden_check = next(c for c in graph.asset_check_keys if c.name == "quality_golden")
    assert graph.get_check_spec(golden_check).blocking

    assert defs.resolve_job_def("customer_hub_sync") is not None
    assert defs.resolve_job_def("sync_marketing") is not None
    schedules = (
        {s.name for s in defs.resolve_all_schedule_defs()}
        if hasattr(defs, "resolve_all_schedule_defs")
        else {s.name for s in defs.schedules or []}
    )
    assert "sync_marketing_schedule" in schedules and "sync_calls_schedule" not in schedules
