"""Each sensor evaluated with Dagster's testing utilities against a real hub: the drop
folder, WeCom callbacks, review decisions, run failure (to the stand-in WeCom robot and a
plain webhook) and success; and the automation conditions of the graph."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from connectors.fakes.robot import FakeRobot
from connectors.webhook import Alert, AlertError, WebhookClient
from integration.definitions import build_definitions
from integration.resources import HubResource
from integration.status import last_run
from integration.store import CallbackInbox, Decision, make_engine, session_scope, upgrade


def _write(tmp_path: Path, hub_url: str, **extra: object) -> Path:
    drop = tmp_path / "drop"
    drop.mkdir(exist_ok=True)
    config = {
        "hub": {"database_url": hub_url},
        "sources": {
            "leads": {"type": "dropfolder", "path": str(drop), "pattern": "*.csv"},
            "wx": {
                "type": "wecom",
                "corp_id": "ww1",
                "corp_secret": "s",
                "base_url": "http://127.0.0.1:9/",
            },
        },
        **extra,
    }
    path = tmp_path / "chub.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def _sensor(path: Path, name: str) -> dg.SensorDefinition:
    repo = build_definitions(str(path)).get_repository_def()
    return next(s for s in repo.sensor_defs if s.name == name)


def test_a_new_file_in_the_drop_folder_syncs_that_source(tmp_path: Path, hub_url: str) -> None:
    path = _write(tmp_path, hub_url)
    sensor = _sensor(path, "dropfolder_leads")
    drop = tmp_path / "drop"

    first = sensor.evaluate_tick(dg.build_sensor_context())
    assert first.run_requests == [] and first.skip_message  # an empty folder: nothing to do

    (drop / "fair.csv").write_text("name,mobile\n张三,13800138000\n", encoding="utf-8")
    (drop / "notes.txt").write_text("not a pattern match")
    tick = sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    [request] = tick.run_requests
    assert request.job_name in (None, "sync_leads") and sensor.job_name == "sync_leads"
    again = sensor.evaluate_tick(dg.build_sensor_context(cursor=tick.cursor))
    assert again.run_requests == []  # the same file is not landed twice

    # a corrected re-export of the same file name is new again; so is another file
    time.sleep(0.01)
    (drop / "fair.csv").write_text("name,mobile\n张三,13800138001\n", encoding="utf-8")
    (drop / "expo.csv").write_text("name,mobile\n李四,13900139000\n", encoding="utf-8")
    later = sensor.evaluate_tick(dg.build_sensor_context(cursor=again.cursor))
    [second] = later.run_requests
    assert second.run_key != request.run_key and second.tags["chub/new_files"] == "2"


def test_a_file_still_being_copied_waits_for_the_next_tick(tmp_path: Path, hub_url: str) -> None:
    path = _write(tmp_path, hub_url)
    config = yaml.safe_load(path.read_text())
    config["sources"]["leads"]["settle_seconds"] = 60
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    (tmp_path / "drop" / "big.csv").write_text("name\n王五\n", encoding="utf-8")
    sensor = _sensor(path, "dropfolder_leads")
    assert sensor.evaluate_tick(dg.build_sensor_context()).run_requests == []
    old = time.time() - 120
    os.utime(tmp_path / "drop" / "big.csv", (old, old))
    assert len(sensor.evaluate_tick(dg.build_sensor_context()).run_requests) == 1


def test_queued_callbacks_land_that_source_from_its_inbox(tmp_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    url = engine.url.render_as_string(hide_password=False)
    path = _write(tmp_path, url)
    sensor = _sensor(path, "wecom_callbacks_wx")
    resources = {"hub": HubResource(config_path=str(path))}
    assert sensor.evaluate_tick(dg.build_sensor_context(resources=resources)).run_requests == []

    with session_scope(engine) as session:
        for n, status in enumerate(("done", "queued", "queued")):
            session.add(
                CallbackInbox(source="wx", event_key=f"edit:wm{n}", payload={}, status=status)
            )
        session.add(CallbackInbox(source="other", event_key="edit:x", payload={}))
    tick = sensor.evaluate_tick(dg.build_sensor_context(resources=resources))
    [request] = tick.run_requests
    assert request.run_config == {
        "ops": {"land_wx": {"config": {"full": False, "inbox_only": True}}}
    }
    assert request.tags["chub/queued_events"] == "2"
    again = sensor.evaluate_tick(dg.build_sensor_context(cursor=tick.cursor, resources=resources))
    assert again.run_requests == []


def test_new_review_decisions_re_resolve_and_publish(tmp_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    url = engine.url.render_as_string(hide_password=False)
    path = _write(tmp_path, url)
    sensor = _sensor(path, "review_decisions")
    assert sensor.job_name == "resolve_and_publish"
    resources = {"hub": HubResource(config_path=str(path))}
    assert sensor.evaluate_tick(dg.build_sensor_context(resources=resources)).run_requests == []
    with session_scope(engine) as session:
        session.add(Decision(actor="steward", action="merge", left_id=1, right_id=2))
        session.add(Decision(actor="steward", action="apart", left_id=3, right_id=4))
    tick = sensor.evaluate_tick(dg.build_sensor_context(resources=resources))
    [request] = tick.run_requests
    assert request.tags["chub/decisions"] == "2"
    idle = sensor.evaluate_tick(dg.build_sensor_context(cursor=tick.cursor, resources=resources))
    assert idle.run_requests == []
    with session_scope(engine) as session:
        session.add(Decision(actor="steward", action="split", golden_id="G1"))
    later = sensor.evaluate_tick(dg.build_sensor_context(cursor=idle.cursor, resources=resources))
    [again] = later.run_requests
    assert again.run_key != request.run_key and again.tags["chub/decisions"] == "1"


@pytest.fixture
def robot() -> FakeRobot:
    with FakeRobot() as server:
        yield server


def test_a_failed_run_is_posted_with_its_link_and_error(
    tmp_path: Path, hub_url: str, robot: FakeRobot
) -> None:
    path = _write(
        tmp_path,
        hub_url,
        matching={"spec": "no-such-spec.yaml"},  # resolve fails: the spec file is missing
        operations={
            "alerts": [
                {"kind": "wecom_robot", "url": robot.webhook_url},
                {"kind": "webhook", "url": robot.plain_url},
                {"kind": "wecom_robot", "url": robot.url + "/cgi-bin/webhook/send?key=wrong"},
            ],
            "dagster_url": "https://dagster.example.com/",
        },
    )
    upgrade(make_engine(hub_url))
    defs = build_definitions(str(path))
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("resolve_and_publish").execute_in_process(
        instance=instance, raise_on_error=False
    )
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    sensor = next(s for s in defs.get_repository_def().sensor_defs if s.name == "run_failure_alert")
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=run,
        resources={"hub": HubResource(config_path=str(path))},
    ).for_run_failure()
    sensor(context)

    [message] = robot.messages  # the third target's wrong key was refused, not fatal
    content = message["markdown"]["content"]
    assert "run of resolve_and_publish failed" in content
    assert f"https://dagster.example.com/runs/{run.run_id}" in content
    assert "customer_clusters" in content and "no-such-spec.yaml" in content
    [post] = robot.posts
    assert post["run_url"] == f"https://dagster.example.com/runs/{run.run_id}"
    assert post["severity"] == "error" and "no-such-spec.yaml" in post["text"]
    logged = last_run(make_engine(hub_url), "job", "resolve_and_publish")
    assert logged is not None and logged.status == "failure" and logged.run_id == run.run_id
    assert "no-such-spec.yaml" in (logged.error or "")
    instance.dispose()


def test_alerts_never_carry_a_phone_number_and_respect_the_robot(robot: FakeRobot) -> None:
    client = WebhookClient("wecom_robot", robot.webhook_url)
    client.post(Alert("source erp failed", "row of 13800138000 refused", facts={"n": "3"}))
    content = robot.messages[0]["markdown"]["content"]
    assert "13800138000" not in content and "138****8000" in content
    robot.inject("throttle", path="/cgi-bin/webhook/send", times=1)
    with pytest.raises(AlertError, match="throttled"):
        WebhookClient("wecom_robot", robot.webhook_url, max_attempts=1).post(Alert("t", "x"))
    with pytest.raises(AlertError, match="errcode 93000"):
        WebhookClient("wecom_robot", robot.url + "/cgi-bin/webhook/send?key=no").post(
            Alert("t", "x")
        )
    huge = Alert("big", "字" * 5000)
    WebhookClient("wecom_robot", robot.webhook_url).post(huge)  # cut to the robot's 4096 bytes
    assert len(robot.messages[-1]["markdown"]["content"].encode()) <= 4096
    client.close()


def test_a_finished_run_is_written_to_the_hub_run_log(tmp_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    url = engine.url.render_as_string(hide_password=False)
    path = _write(tmp_path, url)
    defs = build_definitions(str(path))
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("sync_leads").execute_in_process(instance=instance)
    run = instance.get_run_by_id(result.run_id)
    success = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_SUCCESS)
    sensor = next(s for s in defs.get_repository_def().sensor_defs if s.name == "run_success_log")
    sensor(
        dg.build_run_status_sensor_context(
            sensor_name="run_success_log",
            dagster_event=success,
            dagster_instance=instance,
            dagster_run=run,
            resources={"hub": HubResource(config_path=str(path))},
        )
    )
    logged = last_run(engine, "job", "sync_leads")
    assert logged is not None and logged.status == "success" and logged.run_id == result.run_id
    assert logged.seconds is not None and logged.seconds >= 0
    instance.dispose()


def test_downstream_runs_when_its_upstream_changes(tmp_path: Path, hub_url: str) -> None:
    defs = build_definitions(str(_write(tmp_path, hub_url)))
    instance = dg.DagsterInstance.ephemeral()
    everything = [
        "land_leads",
        "land_wx",
        "customer_rows",
        "customer_clusters",
        "golden_customers",
    ]
    for key in everything:
        instance.report_runless_asset_event(dg.AssetMaterialization(key))
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0  # everything is up to date

    instance.report_runless_asset_event(dg.AssetMaterialization("land_leads"))
    second = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    requested = {key for key in everything if second.get_num_requested(dg.AssetKey(key))}
    assert requested == {"customer_rows", "customer_clusters", "golden_customers"}
    assert second.total_requested == 3  # land_wx, not changed, is left alone

    third = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=second.cursor)
    assert third.total_requested == 0  # requested once, not on every tick
    instance.dispose()
