"""Publishing speed into each stand-in, with its faults switched on.

    .venv/bin/python bench/publish.py --records 10000

Builds a throw-away SQLite hub with N golden records (each with one Kingdee member, the
first ``--wecom-records`` also with a WeCom member), then publishes them to each
stand-in through ``publish`` (change detection, per-batch bookkeeping and all) while
the stand-in loses answers, throttles, expires sessions and answers 500 now and then.
Each stand-in runs in a process of its own, as a real system runs on a machine of its
own. After each run it checks that every record arrived exactly once (no record created
twice by a retry) and that a second publish sends nothing. Prints records/s per sink.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from connectors import hubspot, kingdee, salesforce, sql_sink, wecom  # noqa: E402
from connectors.contract import Sink  # noqa: E402
from connectors.fakes.hubspot import FakeHubSpot  # noqa: E402
from connectors.fakes.kingdee import FakeKingdee  # noqa: E402
from connectors.fakes.salesforce import FakeSalesforce  # noqa: E402
from connectors.fakes.wecom import FakeWeCom  # noqa: E402
from integration.pipeline.publish import publish  # noqa: E402
from integration.store import (  # noqa: E402
    CustomerRow,
    GoldenCustomer,
    GoldenMember,
    SourceRecord,
    make_engine,
    upgrade,
)


def _hub(path: Path, n: int, wecom_n: int) -> Any:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    goldens, records, rows, members = [], [], [], []
    for i in range(n):
        gid = f"G{i:08d}"
        mobile = f"+86138{i:08d}"
        fields = {
            "name": f"客户{i}",
            "customer_type": "person",
            "mobile": mobile,
            "mobiles": [mobile],
            "email": f"c{i}@example.cn",
            "wecom_external_userid": f"wm{i:08d}",
            "owner": "zhangsan",
            "source_ids": {"erp": [f"customers:{100001 + i}"]},
        }
        facts = {"orders": i % 7, "revenue": float(i % 1000), "lifecycle_stage": "repeat"}
        goldens.append(
            dict(
                golden_id=gid,
                fields=fields,
                lineage={},
                facts=facts,
                version=1,
                content_hash=f"h{i}",
                status="active",
                verdict="ok",
                reasons=[],
            )
        )
        own = [("erp", "customers", str(100001 + i))]
        if i < wecom_n:  # only these have a WeCom contact (and one in the stand-in)
            own.append(("wecom", "contacts", f"wm{i:08d}"))
        for j, (source, stream, key) in enumerate(own):
            rid = 2 * i + j + 1
            records.append(
                dict(
                    id=rid,
                    source=source,
                    stream=stream,
                    source_key=key,
                    payload={},
                    payload_hash="x",
                    hash_history=[],
                )
            )
            rows.append(
                dict(
                    id=rid,
                    source=source,
                    stream=stream,
                    source_key=key,
                    fields=fields,
                    verdict="ok",
                    reasons=[],
                    record_hash="x",
                    verdict_history=[],
                )
            )
            members.append(
                dict(row_id=rid, golden_id=gid, source=source, stream=stream, source_key=key)
            )
    with engine.begin() as conn:
        for model, values in (
            (GoldenCustomer, goldens),
            (SourceRecord, records),
            (CustomerRow, rows),
            (GoldenMember, members),
        ):
            conn.execute(insert(model), values)
    return engine


def _serve(conn: Any, factory: str, n: int) -> None:
    """Child process: run one stand-in with its faults on; answer checks until told to stop."""
    fake = globals()[factory](n)
    with fake:
        conn.send(_settings_of(fake))
        while True:
            command = conn.recv()
            if command == "stop":
                return
            conn.send(globals()[command](fake))


def _salesforce(n: int) -> Any:
    crm = FakeSalesforce()
    crm.lose_answers = 2  # applied, answer lost: the retry must not create twice
    crm.inject("throttle", times=1)
    crm.inject("http_500", times=1)
    return crm


def _hubspot(n: int) -> Any:
    mkt = FakeHubSpot(throttle_policy="SECONDLY")
    mkt.inject("throttle", path="batch/upsert", times=1)
    mkt.inject("http_500", path="batch/upsert", times=1)
    return mkt


def _kingdee(n: int) -> Any:
    seed = {
        "customers": [
            {"FCUSTID": 100001 + i, "FNumber": f"CUST{i:08d}", "FName": f"客户{i}"}
            for i in range(n)
        ]
    }
    erp = FakeKingdee(seed)
    erp.lose_save_answers = 2
    erp.inject("token_expired", path="BatchSave", times=1)
    erp.inject("throttle", path="ExecuteBillQuery", times=1)
    return erp


def _wecom(n: int) -> Any:
    contacts = [
        {
            "external_contact": {"external_userid": f"wm{i:08d}", "name": f"客户{i}"},
            "follow_info": {"userid": "zhangsan", "createtime": 1700000000},
        }
        for i in range(n)
    ]
    wx = FakeWeCom(contacts=contacts, corp_secret="s", follow_users=["zhangsan"])
    wx.inject("http_500", times=2)
    return wx


def _settings_of(fake: Any) -> dict[str, Any]:
    if isinstance(fake, FakeSalesforce):
        return {**fake.settings(), "throttle_wait": 0.2}
    if isinstance(fake, FakeHubSpot):
        return fake.settings()
    if isinstance(fake, FakeKingdee):
        return {
            "base_url": fake.url + "/K3Cloud/",
            "acct_id": fake.acct_id,
            "username": fake.username,
            "password": fake.password,
        }
    return {
        "corp_id": fake.corp_id,
        "corp_secret": "s",
        "base_url": fake.url + "/cgi-bin/",
        "sink_concurrency": 8,
        "sink_calls_per_second": 400,
    }


def check_salesforce(crm: Any) -> str:
    twice = sum(1 for v in crm.creations.values() if v > 1)
    return f"{len(crm.records)} accounts, {twice} created twice"


def check_hubspot(mkt: Any) -> str:
    ids = [c["properties"].get("chub_golden_id") for c in mkt.contacts.values()]
    return f"{len(mkt.contacts)} contacts, {len(ids) - len(set(ids))} created twice"


def check_kingdee(erp: Any) -> str:
    done = sum(1 for c in erp.customers.values() if c.get("F_CHUB_GoldenId"))
    return f"{done} of {len(erp.customers)} customers carry their golden id"


def check_wecom(wx: Any) -> str:
    return f"{len(wx.contacts)} contacts in the stand-in"


def _run(
    engine: Any,
    name: str,
    make_sink: Callable[[], Sink],
    source_name: str | None,
    check: Callable[[], str],
) -> None:
    sink = make_sink()
    started = time.monotonic()
    report = publish(engine, name, sink, source_name=source_name, max_attempts=10)
    seconds = time.monotonic() - started
    # whatever failed for good under the faults is pushed by the next run, as in production
    rest = publish(engine, name, sink, source_name=source_name, max_attempts=10)
    again = publish(engine, name, sink, source_name=source_name, max_attempts=10)
    sink.close()
    rate = report.pushed / seconds if seconds else 0.0
    print(
        f"{name:<11} {report.pushed:>7} records in {seconds:6.2f} s = {rate:7.0f} records/s"
        f"  (batch {sink.batch_size}; {report.failed} refused under faults, "
        f"{rest.pushed} pushed by the next run, then {again.candidates} to push; {check()})",
        flush=True,
    )


def _with_standin(
    engine: Any,
    name: str,
    factory: str,
    n: int,
    build: Callable[[dict[str, Any]], Sink],
    source_name: str | None,
) -> None:
    """The stand-in in a process of its own (as a real system is), the hub in this one."""
    ctx = multiprocessing.get_context("fork")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_serve, args=(theirs, factory, n), daemon=True)
    child.start()
    settings = ours.recv()

    def check() -> str:
        ours.send(f"check_{name}")
        return str(ours.recv())

    try:
        _run(engine, name, lambda: build(settings), source_name, check)
    finally:
        ours.send("stop")
        child.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--wecom-records", type=int, default=1_000)
    args = parser.parse_args()
    n = args.records
    with tempfile.TemporaryDirectory() as tmp:
        wecom_n = min(n, args.wecom_records)
        engine = _hub(Path(tmp) / "hub.db", n, wecom_n)
        print(f"{n} golden records; faults on in every stand-in", flush=True)
        _with_standin(
            engine,
            "salesforce",
            "_salesforce",
            n,
            lambda s: salesforce.SalesforceSink(salesforce.Settings(**s)),
            None,
        )
        _with_standin(
            engine,
            "hubspot",
            "_hubspot",
            n,
            lambda s: hubspot.HubSpotSink(hubspot.Settings(**s)),
            None,
        )
        _with_standin(
            engine,
            "kingdee",
            "_kingdee",
            n,
            lambda s: kingdee.build_sink(kingdee.Settings(**s)),
            "erp",
        )
        bi_url = f"sqlite:///{Path(tmp) / 'bi.db'}"

        def sql_check() -> str:
            from sqlalchemy import create_engine, text

            bi = create_engine(bi_url)
            with bi.connect() as conn:
                count = conn.execute(text("SELECT count(*) FROM chub_golden_customer")).scalar()
            bi.dispose()
            return f"{count} rows"

        _run(
            engine,
            "sql_bi",
            lambda: sql_sink.build_sink(sql_sink.Settings(url=bi_url)),
            None,
            sql_check,
        )
        if args.wecom_records:
            # no batch write in WeCom: bounded concurrency; only the first contacts exist there
            _with_standin(
                engine,
                "wecom",
                "_wecom",
                wecom_n,
                lambda s: wecom.build_sink(wecom.Settings(**s)),
                "wecom",
            )


if __name__ == "__main__":
    main()
