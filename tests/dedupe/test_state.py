"""The engine's state as bytes and back: a loaded state continues exactly as the original."""

from __future__ import annotations

import numpy as np
import pytest

from dedupe import resolve, resolve_incremental
from dedupe.state import StateVersionError, dump_state, load_state, state_header


def test_a_loaded_state_continues_as_the_original(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    base = resolve(zh_rows[:600], zh_spec)
    blob = dump_state(base, engine_version="v1", extra={"note": 1})
    assert state_header(blob) == {"format": 1, "engine": "v1"}
    loaded, extra = load_state(blob, engine_version="v1")
    assert extra == {"note": 1}
    assert loaded.clusters == base.clusters and loaded.ids == base.ids
    assert base.state is not None and loaded.state is not None
    # the weights are rebuilt from the levels, not stored: the same to the bit
    assert np.array_equal(loaded.state.bits, base.state.bits)
    assert np.array_equal(loaded.state.cand, base.state.cand)
    upserts = [*zh_rows[600:650], {**zh_rows[3], "name": None}]
    a = resolve_incremental(base, upserts, [zh_rows[5]["id"]])
    b = resolve_incremental(loaded, upserts, [zh_rows[5]["id"]])
    assert a.clusters == b.clusters
    assert [str(c) for c in a.changes] == [str(c) for c in b.changes]
    assert [(p.id_l, p.id_r, p.probability) for p in a.pairs] == [
        (p.id_l, p.id_r, p.probability) for p in b.pairs
    ]
    # dumping leaves the caller's state whole
    assert base.state.bits.shape[0] == base.state.cand.shape[0]


def test_a_blob_of_another_engine_version_is_refused(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    blob = dump_state(resolve(zh_rows[:50], zh_spec), engine_version="v1")
    with pytest.raises(StateVersionError, match="v1"):
        load_state(blob, engine_version="v2")
    with pytest.raises(StateVersionError, match="not a matching state"):
        load_state(b"something else", engine_version="v1")
