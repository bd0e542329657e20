"""The whole Dagster code location loads and has the asset graph the design describes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from integration.config import ConfigError
from integration.definitions import build_definitions

CONFIG = """
hub: {database_url: "sqlite:///hub.db"}
sources:
  marketing: {type: hubspot, base_url: "http://127.0.0.1:9", token: t, schedule: "*/30 * * * *"}
  calls: {type: callcenter, base_url: "http://127.0.0.1:9", email: a@b.cn, api_token: t}
sinks:
  crm: {type: salesforce, instance_url: "http://127.0.0.1:9", client_id: c, client_secret: s}
operations:
  timezone: Asia/Shanghai
  sources: {marketing: {max_lag_minutes: 240}}
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

    checks = {f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys}
    assert checks == {
        "customer_rows:quality_calls",
        "customer_rows:quality_marketing",
        "golden_customers:quality_golden",
        "land_calls:sync_succeeded",
        "land_marketing:sync_succeeded",
    }
    golden_check = next(c for c in graph.asset_check_keys if c.name == "quality_golden")
    assert graph.get_check_spec(golden_check).blocking
    # a failed sync is reported, and what depends on the source still runs
    sync_check = next(c for c in graph.asset_check_keys if c.name == "sync_succeeded")
    assert not graph.get_check_spec(sync_check).blocking

    # one writer: resolve, golden and publish share one pool; each source has its own
    assets = {k.to_user_string(): graph.get(k).assets_def for k in graph.get_all_asset_keys()}
    pools = {name: a.op.pool for name, a in assets.items()}
    assert pools["customer_clusters"] == pools["golden_customers"] == "hub_writer"
    assert pools["publish_crm"] == "hub_writer"
    assert pools["land_marketing"] == "sync_marketing" and pools["customer_rows"] is None
    # retries with backoff on landing and publishing only
    for name in ("land_marketing", "land_calls", "publish_crm"):
        policy = assets[name].op.retry_policy
        assert policy is not None and policy.max_retries == 3
        assert policy.backoff == dg.Backoff.EXPONENTIAL
    assert assets["customer_clusters"].op.retry_policy is None
    # downstream of landing runs when its upstream changes; landing runs on its schedule
    for name in ("customer_rows", "customer_clusters", "golden_customers", "publish_crm"):
        assert graph.get(dg.AssetKey(name)).automation_condition is not None
    assert graph.get(dg.AssetKey("land_marketing")).automation_condition is None
    # freshness per source: the default hour, the source's own lag where chub.yaml says
    fresh = {
        n: graph.get(dg.AssetKey(n)).freshness_policy for n in ("land_calls", "land_marketing")
    }
    assert fresh["land_calls"].fail_window.to_timedelta() == timedelta(minutes=60)
    assert fresh["land_marketing"].fail_window.to_timedelta() == timedelta(minutes=240)

    repo = defs.get_repository_def()
    jobs = {j.name for j in repo.get_all_jobs() if not j.name.startswith("__")}
    assert jobs == {
        "customer_hub_sync",
        "sync_marketing",
        "sync_calls",
        "resolve_and_publish",
        "nightly_refit",
        "republish_crm",
        "weekly_quality_report",
        "partitioned_resolution",  # integration/partitioned_job.py (scale-out)
        "resolve_bucket_partition",
    }
    crons = {s.name: s.cron_schedule for s in repo.schedule_defs}
    assert crons == {
        "sync_marketing_schedule": "*/30 * * * *",  # the source's own schedule
        "sync_calls_schedule": "*/15 * * * *",  # the default
        "nightly_refit_schedule": "0 2 * * *",
        "weekly_quality_report_schedule": "0 7 * * 1",
    }
    assert {s.execution_timezone for s in repo.schedule_defs} == {"Asia/Shanghai"}
    sensors = {s.name for s in repo.sensor_defs}
    assert sensors == {
        "review_decisions",
        "run_failure_alert",
        "run_success_log",
        "chub_automation",
    }


def test_a_drop_folder_and_a_wecom_source_get_their_sensors(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    path = tmp_path / "chub.yaml"
    path.write_text(
        "sources:\n"
        f"  leads: {{type: dropfolder, path: '{drop}'}}\n"
        "  wecom: {type: wecom, corp_id: ww1, corp_secret: s, base_url: 'http://127.0.0.1:9/'}\n"
        "operations:\n  sources: {leads: {schedule: '0 * * * *'}}\n"
    )
    repo = build_definitions(str(path)).get_repository_def()
    sensors = {s.name: s for s in repo.sensor_defs}
    assert {"dropfolder_leads", "wecom_callbacks_wecom"} <= set(sensors)
    assert sensors["dropfolder_leads"].job_name == "sync_leads"
    crons = {s.name: s.cron_schedule for s in repo.schedule_defs}
    assert crons["sync_leads_schedule"] == "0 * * * *"


@pytest.mark.parametrize(
    ("operations", "message"),
    [
        ("{sync_schedule: 'every day'}", "operations.sync_schedule: 'every day' is not a cron"),
        (
            "{sources: {nosuch: {schedule: '0 * * * *'}}}",
            "operations.sources.nosuch: no such source (known: m)",
        ),
        (
            "{alerts: [{kind: wecom_robot, url: 'qyapi.weixin.qq.com'}]}",
            "operations.alerts.0.url: must be an http",
        ),
        ("{timezone: Mars/Olympus}", "operations.timezone: 'Mars/Olympus' is not a time zone"),
    ],
)
def test_a_wrong_operations_section_names_the_key(
    tmp_path: Path, operations: str, message: str
) -> None:
    path = tmp_path / "chub.yaml"
    path.write_text(
        "sources:\n  m: {type: hubspot, token: t, base_url: 'http://127.0.0.1:9'}\n"
        f"operations: {operations}\n"
    )
    with pytest.raises(ConfigError) as err:
        build_definitions(str(path))
    assert str(err.value).startswith(f"{path}: {message}")
