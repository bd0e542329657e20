"""The engine's incremental state as bytes, and back: what a later run needs to match
changed records without re-learning (the fitted model with its term-frequency tables,
the prepared records, the scored candidate pairs, components and cluster labels).

Pure: bytes in, bytes out; where the bytes are kept is the caller's business. A blob
carries the format of this module and the engine version the caller names (e.g. a
digest of the engine's code): a blob of another version is refused, because prepared
records normalized by other code would not compare with new ones normalized by this.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import pickle
from typing import Any

import numpy as np

from dedupe.engine import Resolution, Scorer, _State
from dedupe.errors import DedupeError

__all__ = ["STATE_FORMAT", "StateVersionError", "dump_state", "load_state", "state_header"]

#: the layout of the blob; bump when what is pickled changes shape
STATE_FORMAT = 1
_MAGIC = b"DEDUPE-STATE\n"


class StateVersionError(DedupeError):
    """The blob was written by another engine version or state format."""


def dump_state(res: Resolution, *, engine_version: str, extra: Any = None) -> bytes:
    """`res`'s state (it must keep one) as bytes; `extra` is pickled with it (the caller's
    own bookkeeping, e.g. row ids by record)."""
    if res.state is None:
        raise DedupeError("This resolution keeps no state for incremental runs.")
    header = json.dumps({"format": STATE_FORMAT, "engine": engine_version}).encode() + b"\n"
    body = {
        "clusters": res.clusters,
        "model": res.model,
        "state": _slim(res.state),
        "extra": extra,
    }
    out = io.BytesIO()
    out.write(_MAGIC)
    out.write(header)
    # the model and the prepared records are pickled together: the model's fitted
    # term-frequency arrays refer to the very value lists of the prepared fields
    pickle.dump(body, out, protocol=pickle.HIGHEST_PROTOCOL)
    return out.getvalue()


def state_header(blob: bytes) -> dict[str, Any]:
    """The format and engine version a blob was written with (without unpickling it)."""
    if not blob.startswith(_MAGIC):
        raise StateVersionError("This is not a matching state written by dedupe.state.")
    end = blob.index(b"\n", len(_MAGIC))
    header: dict[str, Any] = json.loads(blob[len(_MAGIC) : end])
    return header


def load_state(blob: bytes, *, engine_version: str) -> tuple[Resolution, Any]:
    """The Resolution (with its state) a blob holds, and its `extra`; refused with
    StateVersionError if the blob is of another format or engine version."""
    header = state_header(blob)
    if header.get("format") != STATE_FORMAT or header.get("engine") != engine_version:
        raise StateVersionError(
            f"The matching state was written by engine {header.get('engine')!r} "
            f"(format {header.get('format')}); this is engine {engine_version!r} "
            f"(format {STATE_FORMAT})."
        )
    end = blob.index(b"\n", len(_MAGIC)) + 1
    body = pickle.loads(blob[end:])  # noqa: S301 - our own blob, checked by its header
    state = _restore(body["state"], body["model"])
    res = Resolution(
        clusters=body["clusters"],
        changes=[],
        model=body["model"],
        stats={},
        ids=state.prep.ids,
        state=state,
    )
    return res, body["extra"]


#: caches a field builds on first use (cached_property values): rebuilt on demand
_FIELD_CACHES = ("texts", "_char_table", "elements")


def _slim(state: _State) -> _State:
    """The state without what is cheap to rebuild: the pairs' weights (the model gives
    them again from the comparison levels: the largest array) and the fields' caches.
    The caller's state is left as it is."""
    prep = copy.copy(state.prep)
    prep.fields = {}
    for name, fd in state.prep.fields.items():
        slim = copy.copy(fd)
        for cached in _FIELD_CACHES:
            slim.__dict__.pop(cached, None)
        prep.fields[name] = slim
    cand = state.cand.astype(np.int32) if state.prep.n < 2**31 else state.cand
    return dataclasses.replace(
        state, prep=prep, cand=cand, bits=np.zeros((0, state.bits.shape[1]), np.float32)
    )


def _restore(state: _State, model: Any) -> _State:
    cand = state.cand.astype(np.int64)
    left, right = cand[:, 0], cand[:, 1]
    # the same weights as when the pairs were scored: the model is the one they were
    # scored with and the records are the same (tests/dedupe/test_state.py checks it)
    _, bits = Scorer(state.prep, model).contributions(left, right, state.levels.copy())
    return dataclasses.replace(state, cand=cand, bits=bits)
