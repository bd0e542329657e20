"""An incremental run under the stored model gives the clusters a full re-resolve of the
same rows under the same model gives (generated data: the demo's four silos)."""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import select

import dedupe
from connectors.contract import RawRecord
from integration.identity import effective_constraints
from integration.pipeline.resolve import RESOLVABLE, SPEC_FIELDS, load_matching_state
from integration.store import CustomerRow, GoldenMember, session_scope
from tests.integration.test_identity import SETTINGS, SPEC, demo_sources, run


def _differing(a: dict[str, str], b: dict[str, str]) -> int:
    """Records whose cluster (as a set of members) is not the same in both."""
    size_a, size_b = Counter(a.values()), Counter(b.values())
    both = Counter((a.get(r), b.get(r)) for r in set(a) | set(b))
    return sum(
        1
        for r in set(a) | set(b)
        if r not in a or r not in b or not both[(a[r], b[r])] == size_a[a[r]] == size_b[b[r]]
    )


def test_incremental_equals_a_full_re_resolve_under_the_same_model(engine) -> None:  # type: ignore[no-untyped-def]
    sources = demo_sources(250, seed=9)
    run(engine, sources)
    with session_scope(engine) as s:
        loaded = load_matching_state(s)
        assert loaded is not None
        model, before = loaded.base.model, dict(loaded.base.clusters)
    rng = random.Random(4)
    pool = [(name, r) for name, src in sources.items() for r in src.data["customers"]]
    for j, (name, record) in enumerate(rng.sample(pool, 15)):  # 3 %: edits, new, deleted
        served = sources[name].data["customers"]
        payload = dict(record.payload or {})
        if j % 3 == 0:
            payload.pop("email", None)
            served.append(RawRecord(key=record.key, payload=payload))
        elif j % 3 == 1:
            payload["name"] = (payload.get("name") or "无名")[:-1] + "强"
            served.append(RawRecord(key=f"NEW-{j}", payload=payload))
        else:
            served.append(RawRecord(key=record.key, payload=None, deleted=True))
    report = run(engine, sources)
    assert report.mode == "incremental" and 0 < report.rows_matched <= 15
    with session_scope(engine) as s:
        q = select(
            CustomerRow.source, CustomerRow.stream, CustomerRow.source_key, CustomerRow.fields
        ).where(CustomerRow.verdict.in_(RESOLVABLE))
        rows = [
            {"id": f"{a}:{b}:{c}", **{f: (v or {}).get(f) for f in SPEC_FIELDS}}
            for a, b, c, v in s.execute(q)
        ]
        constraints = effective_constraints(s)
        written = {
            f"{m.source}:{m.stream}:{m.source_key}": m.golden_id
            for m in s.scalars(select(GoldenMember))
        }
    full = dedupe.resolve(
        rows,
        SPEC,
        SETTINGS,
        must_link=constraints.must_refs,
        cannot_link=constraints.cannot_refs,
        previous=before,
        model=model,
    )
    assert _differing(full.clusters, written) == 0
    assert full.clusters == written  # the same ids too
