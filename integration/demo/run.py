"""``chub demo``: the whole hub against local stand-ins, on an embedded SQLite hub."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from connectors.fakes import callcenter, hubspot, kingdee, salesforce, wecom
from integration.demo.data import DemoData, generate
from integration.hub import Hub
from integration.runner import dagster_instance, run_job
from integration.status import HubSummary, summarize
from integration.store import GoldenCustomer, Outbound, session_scope, upgrade
from integration.store.models import utcnow

__all__ = ["demo_config", "run_demo", "start_standins"]

#: secrets the stand-ins accept; chub.yaml refers to them through the environment only
DEMO_SECRETS = {
    "CHUB_DEMO_WECOM_SECRET": "demo-wecom-secret",
    "CHUB_DEMO_KINGDEE_PASSWORD": "demo-kingdee-password",
    "CHUB_DEMO_CALLCENTER_TOKEN": "demo-callcenter-token",
    "CHUB_DEMO_HUBSPOT_TOKEN": "demo-hubspot-token",
    "CHUB_DEMO_CRM_SECRET": "demo-crm-secret",
}


@contextmanager
def start_standins(data: DemoData) -> Iterator[dict[str, Any]]:
    """Start one loopback server per system, seeded from the demo data; yield them by name."""
    env = DEMO_SECRETS
    servers: dict[str, Any] = {
        "wecom": wecom.FakeWeCom(
            **wecom.records_from_demo(data.silos["wecom"]),
            corp_secret=env["CHUB_DEMO_WECOM_SECRET"],
        ),
        "erp": kingdee.FakeKingdee(
            kingdee.records_from_demo(data.silos["erp"]), password=env["CHUB_DEMO_KINGDEE_PASSWORD"]
        ),
        "callcenter": callcenter.FakeCallCenter(
            callcenter.records_from_demo(data.silos["callcenter"]),
            api_token=env["CHUB_DEMO_CALLCENTER_TOKEN"],
            rate_per_minute=None,
        ),
        "marketing": hubspot.FakeHubSpot(
            hubspot.records_from_demo(data.silos["marketing"]), token=env["CHUB_DEMO_HUBSPOT_TOKEN"]
        ),
        "crm": salesforce.FakeSalesforce(client_secret=env["CHUB_DEMO_CRM_SECRET"]),
    }
    with ExitStack() as stack:
        for server in servers.values():
            stack.enter_context(server)
        yield servers


def demo_config(servers: dict[str, Any], hub_url: str) -> dict[str, Any]:
    """The chub.yaml the demo writes: every secret is an ${ENV} reference."""
    sources: dict[str, dict[str, Any]] = {
        "wecom": {
            "type": "wecom",
            "base_url": servers["wecom"].url + "/cgi-bin/",
            "corp_id": servers["wecom"].corp_id,
            "corp_secret": "${CHUB_DEMO_WECOM_SECRET}",
        },
        "erp": {
            "type": "kingdee",
            "base_url": servers["erp"].url + "/K3Cloud/",
            "acct_id": servers["erp"].acct_id,
            "username": servers["erp"].username,
            "password": "${CHUB_DEMO_KINGDEE_PASSWORD}",
        },
        "callcenter": {
            "type": "callcenter",
            "base_url": servers["callcenter"].url,
            "email": servers["callcenter"].email,
            "api_token": "${CHUB_DEMO_CALLCENTER_TOKEN}",
        },
        "marketing": {
            "type": "hubspot",
            "base_url": servers["marketing"].url,
            "token": "${CHUB_DEMO_HUBSPOT_TOKEN}",
        },
    }
    return {
        "hub": {"database_url": hub_url, "artifacts_dir": "artifacts"},
        "sources": sources,
        "sinks": {
            "crm": {
                "type": "salesforce",
                "instance_url": servers["crm"].url,
                "client_id": servers["crm"].client_id,
                "client_secret": "${CHUB_DEMO_CRM_SECRET}",
            },
            # write-back: the golden id, unified mobile and lifecycle / tier tags go back
            # into the WeCom contacts and ERP customers that are members of each record
            "wecom_writeback": dict(sources["wecom"]),
            "erp_writeback": dict(sources["erp"]),
        },
        "matching": {"upper": 0.95, "lower": 0.6},
    }


def _summary(s: HubSummary, pushed: dict[str, int], seconds: float) -> str:
    lines = ["", "customer-hub demo summary", "========================="]
    lines.append("records landed per source:")
    for name, n in sorted(s.landed.items()):
        flagged = s.flagged.get(name, 0)
        lines.append(
            f"  {name:<12} {n:>6}" + (f"  ({flagged} flagged unreadable)" if flagged else "")
        )
    lines.append(f"customer rows: {s.rows_ok} ok, {s.rows_quarantined} quarantined")
    for label, n in s.top_reasons[:3]:
        lines.append(f"  {n:>5} x {label}")
    lines += [
        f"clusters: {s.clusters} ({s.multi_member_clusters} join records from several silos)",
        f"auto-merged pairs: {s.auto_merged_pairs}",
        f"queued for review: {s.review_pairs}",
        f"golden customers: {s.golden} ({s.golden_failing_quality} held back by quality)",
        "records pushed this run: "
        + (", ".join(f"{k} {v}" for k, v in sorted(pushed.items())) or "0"),
        f"finished in {seconds:.1f}s",
    ]
    return "\n".join(lines)


def run_demo(
    *,
    workdir: str | Path = ".chub/demo",
    people: int = 2500,
    fresh: bool = False,
    say: Callable[[str], None] = print,
) -> str:
    started = time.monotonic()
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    if fresh:
        for name in ("hub.db", "hub.db-wal", "hub.db-shm"):
            (work / name).unlink(missing_ok=True)
    os.environ.update({k: os.environ.get(k, v) for k, v in DEMO_SECRETS.items()})
    say(f"generating {people} demo customers spread over 4 silos...")
    data = generate(people)
    say("  " + ", ".join(f"{k}: {v} records" for k, v in data.counts().items()))
    with start_standins(data) as servers:
        say("stand-in servers up: " + ", ".join(f"{k} {v.url}" for k, v in servers.items()))
        config_path = work / "chub.yaml"
        config = demo_config(servers, "sqlite:///hub.db")
        config_path.write_text(
            "# written by `chub demo`; secrets come from the environment\n"
            + yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
        )
        hub = Hub.from_config(config_path)
        upgrade(hub.engine)
        hub.close()
        run_started = utcnow()
        say("running the asset graph (land -> standardize -> resolve -> golden -> publish)...")
        instance = dagster_instance(work / "dagster")
        try:
            ok = run_job(config_path, say=say, instance=instance)
        finally:
            instance.dispose()
        merge_text = _merge_reaches_the_crm(config_path, servers["crm"], say) if ok else ""
        hub = Hub.from_config(config_path)
        pushed = _pushed_since(hub, run_started)
        summary = summarize(hub.engine)
        hub.close()
    env_file = work / "demo.env"
    env_file.write_text("".join(f"export {k}={os.environ[k]}\n" for k in DEMO_SECRETS))
    text = _summary(summary, pushed, time.monotonic() - started) + merge_text
    text += (
        f"\n\nlook around: . {env_file} && .venv/bin/chub status -c {config_path}"
        "\n(also: chub quality report, chub quarantine list; the Dagster UI: "
        f"CHUB_CONFIG={config_path} .venv/bin/dagster dev -m integration.definitions)"
    )
    if not ok:
        text += "\nthe run did not finish cleanly: see the messages above"
    return text


def _merge_reaches_the_crm(config_path: Path, crm: Any, say: Callable[[str], None]) -> str:
    """A steward merges the most likely pending pair; the next run takes the merge to the
    CRM stand-in: the retired account is flagged merged into the survivor's golden id.

    Done once per demo hub: a later demo run on the same hub shows the earlier merge and
    pushes nothing."""
    from integration.identity import merge_golden
    from integration.review import pending_pairs

    hub = Hub.from_config(config_path)
    try:
        with session_scope(hub.engine) as session:
            earlier = session.execute(
                select(GoldenCustomer.golden_id, GoldenCustomer.merged_into)
                .where(GoldenCustomer.merged_into.is_not(None))
                .order_by(GoldenCustomer.updated_at.desc())
                .limit(1)
            ).first()
        if earlier is None:
            pair = next(
                (
                    p
                    for p in pending_pairs(hub.engine, 20)
                    if p.left_golden and p.right_golden and p.left_golden != p.right_golden
                ),
                None,
            )
            if pair is None:
                return "\n\nmerge: no pending pair to merge in this demo hub"
            assert pair.left_golden and pair.right_golden
            survivor = merge_golden(
                hub.engine,
                pair.left_golden,
                pair.right_golden,
                actor="demo-steward",
                reason=f"the demo's steward merges the top pending pair (score {pair.score:.2f})",
            )
            retired = pair.right_golden if survivor == pair.left_golden else pair.left_golden
            say(f"a steward merged {retired} into {survivor}; running the graph again...")
            instance = dagster_instance(config_path.parent / "dagster")
            try:
                run_job(config_path, say=say, instance=instance)
            finally:
                instance.dispose()
        else:
            retired, survivor = str(earlier[0]), str(earlier[1])
    finally:
        hub.close()
    account = crm.records.get(retired) or {}
    kept = crm.records.get(survivor) or {}
    return (
        f"\n\nmerge reaching the CRM: {retired} merged into {survivor}"
        f"\n  CRM account {retired}: Chub_Status__c={account.get('Chub_Status__c')}, "
        f"Chub_Merged_Into__c={account.get('Chub_Merged_Into__c')}"
        f"\n  CRM account {survivor}: Chub_Status__c={kept.get('Chub_Status__c')}, "
        f"Chub_Merged_Ids__c={kept.get('Chub_Merged_Ids__c')}"
    )


def _pushed_since(hub: Hub, since: datetime) -> dict[str, int]:
    """How many active golden records each sink accepted since ``since`` (the mark of a
    merged id is shown on its own, in the merge section)."""
    with session_scope(hub.engine) as session:
        q = (
            select(Outbound.sink, func.count())
            .join(GoldenCustomer, GoldenCustomer.golden_id == Outbound.golden_id)
            .where(Outbound.pushed_at >= since, GoldenCustomer.status == "active")
        )
        counts = dict(session.execute(q.group_by(Outbound.sink)).all())
    return {str(k): int(v) for k, v in counts.items()}
