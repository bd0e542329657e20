"""Incremental runs give exactly what a full run with the same frozen model gives."""

from __future__ import annotations

import random

import pytest

from dedupe import DedupeError, resolve, resolve_incremental


def _pairs(res):  # type: ignore[no-untyped-def]
    return [(p.id_l, p.id_r, p.probability, p.decision, p.explanation) for p in res.pairs]


@pytest.mark.parametrize("flavour", ["zh", "en"])
def test_incremental_equals_full(flavour, zh_rows, en_rows, zh_spec, en_spec) -> None:  # type: ignore[no-untyped-def]
    rows, spec = (zh_rows, zh_spec) if flavour == "zh" else (en_rows, en_spec)
    rng = random.Random(5)
    cut = int(len(rows) * 0.85)
    base_rows = rows[:cut]
    base = resolve(base_rows, spec)
    changed = [dict(r) for r in rng.sample(base_rows, 30)]
    for r in changed[:15]:
        r["name"] = None
    for r in changed[15:]:
        r["email"] = "changed@example.com"
    gone = [r["id"] for r in base_rows[-10:]]
    must = [(rows[0]["id"], rows[1]["id"])]
    upserts = rows[cut:] + changed
    inc = resolve_incremental(base, upserts, gone, must_link=must, cannot_link=[])
    final = {r["id"]: r for r in base_rows if r["id"] not in gone}
    final.update({r["id"]: r for r in upserts})
    full = resolve(
        list(final.values()), spec, model=base.model, previous=base.clusters, must_link=must
    )
    assert inc.clusters == full.clusters
    assert [str(c) for c in inc.changes] == [str(c) for c in full.changes]
    assert _pairs(inc) == _pairs(full)
    assert inc.stats["scored_pairs"] < full.stats["scored_pairs"] / 2  # work was saved
    # and a second batch on top of the first still agrees
    more = [{**rows[2], "id": "EXTRA-1"}]
    inc2 = resolve_incremental(inc, more)
    full2 = resolve(
        [*final.values(), *more], spec, model=base.model, previous=inc.clusters, must_link=must
    )
    assert inc2.clusters == full2.clusters
    assert inc2.clusters["EXTRA-1"] == inc2.clusters[rows[2]["id"]]


def test_incremental_needs_state(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    base = resolve(zh_rows[:20], zh_spec)
    base.state = None
    with pytest.raises(DedupeError):
        resolve_incremental(base, [])
