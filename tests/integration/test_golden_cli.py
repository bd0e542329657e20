"""chub golden show / rebuild / deadletters / replay on a hub with a CRM stand-in."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import yaml
from sqlalchemy import select, update

import dedupe
from connectors.fakes.salesforce import FakeSalesforce
from connectors.salesforce import SalesforceSink
from connectors.salesforce import Settings as SalesforceSettings
from integration.cli import main
from integration.golden import build_golden
from integration.identity import merge_golden
from integration.locks import hub_lock
from integration.pipeline.land import sync_source
from integration.pipeline.publish import publish
from integration.pipeline.resolve import resolve_customers
from integration.pipeline.standardize import standardize
from integration.store import ActivityRow, GoldenCustomer, GoldenMember, session_scope
from tests.integration.doubles import rec
from tests.integration.test_publish import RULES, SETTINGS, _build, _silos


def test_show_deadletters_and_replay(engine, hub_url, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _build(engine, _silos())
    with session_scope(engine) as s:
        ids = {m.source_key: m.golden_id for m in s.scalars(select(GoldenMember))}
    with FakeSalesforce() as crm:
        config = tmp_path / "chub.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "hub": {"database_url": hub_url},
                    "sinks": {"crm": {"type": "salesforce", **crm.settings(), "timeout": 2.0}},
                }
            )
        )
        crm.fail_ids[ids["100002"]] = "FIELD_CUSTOM_VALIDATION_EXCEPTION"
        sink = SalesforceSink(SalesforceSettings(**crm.settings()))
        publish(engine, "crm", sink)
        sink.close()

        assert (
            main(["golden", "show", ids["100001"], "--json", "--history", "-c", str(config)]) == 0
        )
        view = json.loads(capsys.readouterr().out)
        assert view["status"] == "active" and view["fields"]["name"] == "张伟"
        assert view["lineage"]["mobile"]["from"] == "erp:customers:100001"
        assert view["members"] == ["erp:customers:100001"] and view["facts"]["orders"] == 1
        assert view["history"] == []
        assert main(["golden", "show", ids["100001"], "-c", str(config)]) == 0
        assert "erp:customers:100001, source_trust" in capsys.readouterr().out

        assert main(["deadletters", "crm", "-c", str(config)]) == 0
        out = capsys.readouterr().out
        assert ids["100002"] in out and "validation rule" in out
        crm.fail_ids.clear()
        assert main(["replay", "crm", ids["100002"], "-c", str(config)]) == 0
        assert "1 accepted" in capsys.readouterr().out
        assert ids["100002"] in crm.records
        assert main(["deadletters", "crm", "-c", str(config)]) == 0
        assert "no dead letters" in capsys.readouterr().out
        assert main(["deadletters", "nosuch", "-c", str(config)]) == 2
        assert "sinks.nosuch" in capsys.readouterr().err
        assert main(["golden", "show", "no-such-id", "-c", str(config)]) == 2
        assert "no golden record" in capsys.readouterr().err


def test_show_history_keeps_earlier_values_and_a_merged_id_says_where_it_went(
    engine, hub_url, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _build(engine, silos)
    with session_scope(engine) as s:
        ids = {m.source_key: m.golden_id for m in s.scalars(select(GoldenMember))}
    config = tmp_path / "chub.yaml"
    config.write_text(yaml.safe_dump({"hub": {"database_url": hub_url}}))
    li = ids["100002"]
    # 李娜's mobile is removed in the ERP: version 2 has none, version 1 keeps it
    silos["erp"].data["customers"][1] = rec(
        "100002",
        name="李娜",
        email="li.na@example.cn",
        source_updated_at="2026-05-01T00:00:00+08:00",
    )
    _build(engine, silos)
    assert main(["golden", "show", li, "--json", "--history", "-c", str(config)]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["version"] == 2 and "mobile" not in view["fields"]
    [old] = view["history"]
    assert old["version"] == 1 and old["fields"]["mobile"] == "+8613700137000"
    assert view["lineage"]["email"]["decided_at"]  # when the rule chose it
    assert main(["golden", "show", li, "--history", "-c", str(config)]) == 0
    text = capsys.readouterr().out
    assert "version 1 (" in text and "+8613700137000   (since changed)" in text

    survivor = merge_golden(engine, ids["100001"], li, actor="sam")
    retired = ({ids["100001"], li} - {survivor}).pop()
    assert main(["golden", "show", retired, "--json", "-c", str(config)]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert (merged["status"], merged["merged_into"]) == ("merged", survivor)
    assert main(["golden", "show", retired, "-c", str(config)]) == 0
    assert f"merged into {survivor}" in capsys.readouterr().out


def _orders(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return {g.golden_id: g.facts["orders"] for g in s.scalars(select(GoldenCustomer))}


def test_rebuild_compares_every_record_under_the_writer_lock(
    engine, hub_url, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    for name, source in silos.items():
        sync_source(engine, name, source, full=True)
    standardize(engine, silos, RULES)
    resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)
    # no source types: the config below names no sources, so the settings digests agree
    build_golden(engine, RULES)
    config = tmp_path / "chub.yaml"
    config.write_text(yaml.safe_dump({"hub": {"database_url": hub_url}}))
    assert main(["golden", "rebuild", "-c", str(config)]) == 0
    assert capsys.readouterr().out.startswith("golden rebuild: 0 records changed (0 new, 0 upd")
    before = _orders(engine)
    assert sorted(before.values()) == [0, 1]
    # a writer that breaks the incremental rules: the order is cancelled in place, its
    # source record untouched (here still within the incremental build's in-flight margin,
    # so the report's mode and candidates are what tell a full build from an incremental one)
    with session_scope(engine) as s:
        s.execute(update(ActivityRow).where(ActivityRow.kind == "order").values(status="cancelled"))
    assert main(["golden", "rebuild", "--json", "-c", str(config)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["mode"], report["updated"], report["candidates"]) == ("full", 1, 2)
    assert sorted(_orders(engine).values()) == [0, 0]
    assert main(["golden", "rebuild", "-c", str(config)]) == 0
    assert "0 records changed" in capsys.readouterr().out

    # the golden asset's lock: held by another run, the rebuild says so and stops
    held, release = threading.Event(), threading.Event()

    def other_run() -> None:
        with hub_lock(engine, "resolve"):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=other_run)
    holder.start()
    try:
        assert held.wait(30)
        assert main(["golden", "rebuild", "--no-wait", "-c", str(config)]) == 2
        assert "hub lock 'resolve'" in capsys.readouterr().err
    finally:
        release.set()
        holder.join()
