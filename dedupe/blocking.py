"""Blocking: several cheap passes that each propose record pairs sharing a key.

Passes are derived from field types: identifiers, phones, e-mails, company keys,
sound-alike name + locality, sound-alike name + another field's prefix, and a
sorted-neighbourhood pass over names. A block larger than the budget
(`max_block_size`) yields nothing: a value shared by that many records identifies
nobody, and quadratic blocks are what make naive dedupe slow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedupe.normalize import has_cjk, metaphone_token, name_phonetic, split_cn_address
from dedupe.prepare import Prepared
from dedupe.spec import FieldType

__all__ = ["BlockingPass", "blocking_passes", "candidate_pairs", "pass_keys"]


@dataclass(frozen=True)
class BlockingPass:
    name: str
    parts: tuple[tuple[str, str], ...]  # (field, how): how in value / phonetic / prefix3


def blocking_passes(prep: Prepared) -> list[BlockingPass]:
    by_type: dict[FieldType, list[str]] = {}
    for name, fd in prep.fields.items():
        by_type.setdefault(fd.type, []).append(name)
    passes: list[BlockingPass] = []
    for t in (FieldType.IDENTIFIER, FieldType.PHONE, FieldType.EMAIL, FieldType.COMPANY_NAME):
        for f in by_type.get(t, []):
            passes.append(BlockingPass(f"{f}", ((f, "value"),)))
    names = by_type.get(FieldType.PERSON_NAME, [])
    locality = by_type.get(FieldType.CATEGORY, []) + by_type.get(FieldType.POSTCODE, [])
    others = [
        f
        for t in (
            FieldType.DATE,
            FieldType.PHONE,
            FieldType.EMAIL,
            FieldType.ADDRESS,
            FieldType.COMPANY_NAME,
        )
        for f in by_type.get(t, [])
    ]
    for f in by_type.get(FieldType.ADDRESS, []):
        passes.append(BlockingPass(f"{f}~start", ((f, "start"),)))
    for n in names:
        passes.append(BlockingPass(f"{n}~sound", ((n, "phonetic"),)))
        # one name token (a typo in the other, "J. Smith", swapped order) + a locality
        for loc in locality + by_type.get(FieldType.DATE, []):
            passes.append(BlockingPass(f"{n}~token+{loc}", ((n, "tokens"), (loc, "value"))))
        for loc in locality:
            passes.append(BlockingPass(f"{n}~sound+{loc}", ((n, "phonetic"), (loc, "value"))))
        for f in by_type.get(FieldType.ADDRESS, []):
            passes.append(
                BlockingPass(f"{n}~sound+{f}~district", ((n, "phonetic"), (f, "district")))
            )
        for o in others:
            # a typo'd phone / e-mail still shares its first characters with the truth
            passes.append(BlockingPass(f"{n}+{o}~prefix", ((n, "value"), (o, "prefix4"))))
    if not passes:  # nothing typed as a key: fall back on every field's exact value
        passes = [BlockingPass(f, ((f, "value"),)) for f in prep.fields]
    return passes


Column = tuple[np.ndarray, np.ndarray]  # (record index, key code) per key occurrence


def _explode(values: list[tuple[str, ...]]) -> Column:
    lookup: dict[str, int] = {}
    rec: list[int] = []
    code: list[int] = []
    for i, vals in enumerate(values):
        for v in vals:
            rec.append(i)
            code.append(lookup.setdefault(v, len(lookup)))
    return np.asarray(rec, dtype=np.int64), np.asarray(code, dtype=np.int64)


def _scalar(codes: np.ndarray) -> Column:
    rec = np.flatnonzero(codes >= 0)
    return rec, codes[rec]


def _column(prep: Prepared, field: str, how: str) -> Column:
    fd = prep.fields[field]
    if how == "value":
        return _explode(fd.values) if fd.multi else _scalar(fd.codes)
    if how == "phonetic":
        return _scalar(fd.derived["phonetic"])
    if how == "district":
        return _scalar(fd.derived["district"])
    if how == "tokens":
        return _explode([_name_tokens(v[0]) if v else () for v in fd.values])
    if how == "start":
        return _explode([(_address_start(v[0]),) if v else () for v in fd.values])
    if how == "prefix4":
        # phones: the last digits carry the identity, the country code does not
        if fd.type is FieldType.PHONE:
            return _explode([tuple(x[-11:-7] for x in v) for v in fd.values])
        return _explode([tuple(x[:4] for x in v) for v in fd.values])
    raise ValueError(how)


def _name_tokens(name: str) -> tuple[str, ...]:
    if has_cjk(name):  # the given name's sound: survives a mistyped surname
        return (name_phonetic(name[1:]),) if len(name) >= 3 else ()
    return tuple(dict.fromkeys(metaphone_token(t) for t in name.split() if len(t) >= 2))


def _address_start(key: str) -> str:
    """The beginning of the street part: '1578 henderson', '南山区科技园路1'."""
    if has_cjk(key):
        parts = split_cn_address(key)
        return (parts.district or "") + parts.rest[:5]
    return " ".join(key.split()[:2])


def pass_keys(
    prep: Prepared, bp: BlockingPass, cache: dict[tuple[str, str], Column] | None = None
) -> Column:
    """(record index, key code) per key occurrence of one pass. Parts are joined on the
    record with array arithmetic; at most one part may hold several keys per record."""
    cache = {} if cache is None else cache
    cols = []
    for part in bp.parts:
        if part not in cache:
            cache[part] = _column(prep, *part)
        cols.append(cache[part])
    # put the multi-key part (if any) first; the others are looked up per record
    cols.sort(key=lambda c: -(len(c[0]) - len(np.unique(c[0]))))
    rec, code = cols[0]
    for other_rec, other_code in cols[1:]:
        if len(np.unique(other_rec)) != len(other_rec):
            raise ValueError(f"blocking pass {bp.name}: two multi-valued parts")
        by_rec = np.full(prep.n, -1, dtype=np.int64)
        by_rec[other_rec] = other_code
        other = by_rec[rec]
        keep = other >= 0
        rec, code = rec[keep], code[keep] * (int(other_code.max(initial=0)) + 1) + other[keep]
        code = np.unique(code, return_inverse=True)[1].astype(np.int64)
    # a record holding the same key twice (two equal phones) counts once
    width = int(code.max(initial=0)) + 1
    uniq = np.unique(rec * width + code)
    return uniq // width, uniq % width


def pairs_from_keys(rec: np.ndarray, codes: np.ndarray, max_block: int) -> np.ndarray:
    """All pairs (i, j) of records sharing a key, for blocks of 2..max_block records."""
    if len(rec) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.lexsort((rec, codes))
    codes, rec = codes[order], rec[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(codes)])
    out: list[np.ndarray] = []
    for size in np.unique(sizes):
        if size < 2 or size > max_block:
            continue
        block_starts = starts[sizes == size]
        members = rec[block_starts[:, None] + np.arange(size)[None, :]]  # (blocks, size)
        iu, ju = np.triu_indices(size, 1)
        out.append(np.stack([members[:, iu].ravel(), members[:, ju].ravel()], axis=1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(out)


def candidate_pairs(prep: Prepared, max_block: int) -> tuple[np.ndarray, dict[str, int]]:
    """Unique candidate pairs (i < j) over all passes, plus pairs proposed per pass."""
    n = max(prep.n, 1)
    stats: dict[str, int] = {}
    encoded: list[np.ndarray] = []
    cache: dict[tuple[str, str], Column] = {}
    for bp in blocking_passes(prep):
        rec, codes = pass_keys(prep, bp, cache)
        pairs = pairs_from_keys(rec, codes, max_block)
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
        enc = np.unique(lo * n + hi)
        stats[bp.name] = len(enc)
        encoded.append(enc)
    allp = np.unique(np.concatenate(encoded)) if encoded else np.zeros(0, dtype=np.int64)
    return np.stack([allp // n, allp % n], axis=1), stats
