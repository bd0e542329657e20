"""Blocking: several cheap passes that each propose record pairs sharing a key.

Passes are derived from field types: identifiers, phones, e-mails, company keys,
sound-alike name + locality, sound-alike name + another field's prefix, and a
sorted-neighbourhood pass over names. A block larger than the budget
(`max_block_size`) yields nothing: a value shared by that many records identifies
nobody, and quadratic blocks are what make naive dedupe slow.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from dedupe.arrays import unique
from dedupe.normalize import has_cjk, metaphone_token, name_phonetic
from dedupe.phones import MASK, masked_key
from dedupe.prepare import PREFIXED, FieldData, Prepared, encode
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
    for t in (FieldType.PHONE, FieldType.EMAIL):
        pooled = [f for f in by_type.get(t, []) if f.startswith("~")]
        if pooled:  # all phones of a record at once: block on those, not column by column
            by_type[t] = pooled
    passes: list[BlockingPass] = []
    for t in (FieldType.IDENTIFIER, FieldType.PHONE, FieldType.EMAIL, FieldType.COMPANY_NAME):
        for f in by_type.get(t, []):
            passes.append(BlockingPass(f"{f}", ((f, "value"),)))
    for f in by_type.get(FieldType.PHONE, []):
        fd = prep.fields[f]
        masked = "masked" in fd.derived or (fd.multi and any(MASK in v for v in fd.vocab))
        if masked:  # masked mobiles and the full numbers they may be
            passes.append(BlockingPass(f"{f}~masked", ((f, "masked"),)))
    names = by_type.get(FieldType.PERSON_NAME, [])
    locality = by_type.get(FieldType.CATEGORY, []) + by_type.get(FieldType.POSTCODE, [])
    # not e-mails: their first letters are mostly the name again (john.smith@...)
    others = [f for t in PREFIXED for f in by_type.get(t, [])]
    for f in by_type.get(FieldType.ADDRESS, []):
        passes.append(BlockingPass(f"{f}~start", ((f, "start"),)))
    for n in names:
        passes.append(BlockingPass(f"{n}~sound", ((n, "phonetic"),)))
        # one name token (a typo in the other, "J. Smith", swapped order) + a locality
        for loc in locality + by_type.get(FieldType.DATE, []):
            passes.append(BlockingPass(f"{n}~token+{loc}", ((n, "tokens"), (loc, "value"))))
        for loc in locality:
            passes.append(BlockingPass(f"{n}~sound+{loc}", ((n, "phonetic"), (loc, "value"))))
        for f in by_type.get(FieldType.LOCALITY, []):
            # the city wherever it is written (a column, inside an address)
            passes.append(BlockingPass(f"{n}~sound+city", ((n, "phonetic"), (f, "city"))))
        for o in others:
            # a typo'd phone / e-mail still shares its first characters with the truth
            passes.append(BlockingPass(f"{n}+{o}~prefix", ((n, "value"), (o, "prefix4"))))
    if len(names) >= 2:
        # given name and surname columns: also block on both in either order, so that a
        # record with the two swapped still meets its twin; with more name columns
        # (first and second given names, two surnames) on all of them together: each
        # column alone is a common name whose block is too big to yield anything
        pair = "|".join(names)
        passes.append(BlockingPass(f"{pair}~sound", ((pair, "pair_sound"),)))
        for loc in locality + by_type.get(FieldType.DATE, []):
            passes.append(
                BlockingPass(f"{pair}~token+{loc}", ((pair, "pair_tokens"), (loc, "value")))
            )
    if not passes:  # nothing typed as a key: fall back on every field's exact value
        passes = [BlockingPass(f, ((f, "value"),)) for f in prep.fields]
    return passes


Column = tuple[np.ndarray, np.ndarray]
_NAME_KEYS = (
    "phonetic",
    "tokens",
    "pair_sound",
    "pair_tokens",
)  # (record index, key code) per key occurrence


def _explode(values: list[tuple[str, ...]]) -> Column:
    lookup: dict[str, int] = {}
    rec: list[int] = []
    code: list[int] = []
    for i, vals in enumerate(values):
        for v in dict.fromkeys(vals):  # a key counts once per record
            rec.append(i)
            code.append(lookup.setdefault(v, len(lookup)))
    return np.asarray(rec, dtype=np.int64), np.asarray(code, dtype=np.int64)


def _per_value(fd: FieldData, keys_of: Callable[[str], tuple[str, ...]]) -> Column:
    """Keys computed once per distinct value, spread to the records with arrays (a
    million-row column has far fewer distinct values than cells)."""
    if fd.multi:
        return _explode([tuple(k for x in v for k in keys_of(x)) for v in fd.values])
    lookup: dict[str, int] = {}
    lens = np.zeros(len(fd.uniq), dtype=np.int64)
    flat: list[int] = []
    for u, value in enumerate(fd.uniq):
        keys = dict.fromkeys(keys_of(value))
        lens[u] = len(keys)
        flat.extend(lookup.setdefault(k, len(lookup)) for k in keys)
    return _spread(fd, lens, np.asarray(flat, dtype=np.int64))


def _spread(fd: FieldData, lens: np.ndarray, flat_arr: np.ndarray) -> Column:
    """(record, key) pairs from `lens[u]` keys per distinct value u, listed flat."""
    offsets = np.cumsum(lens) - lens
    rec = np.flatnonzero(fd.codes >= 0)
    code = fd.codes[rec]
    reps = lens[code]
    out_rec = np.repeat(rec, reps)
    within = np.arange(len(out_rec)) - np.repeat(np.cumsum(reps) - reps, reps)
    return out_rec, flat_arr[np.repeat(offsets[code], reps) + within]


def _scalar(codes: np.ndarray) -> Column:
    rec = np.flatnonzero(codes >= 0)
    return rec, codes[rec]


def _column(prep: Prepared, field: str, how: str) -> Column:
    if how in ("pair_sound", "pair_tokens"):
        return _name_pair(prep, field.split("|"), both=how == "pair_sound")
    fd = prep.fields[field]
    if how == "value":
        return _explode(fd.values) if fd.multi else _scalar(fd.codes)
    if how == "phonetic":
        return _scalar(fd.derived["phonetic"])
    if how in ("district", "city"):
        return _scalar(fd.derived[how])
    if how == "start":  # the beginning of the street part (a key built by prepare)
        if fd.multi:
            return _per_value(fd, lambda u: (fd.place(u)[3],))
        return _scalar(fd.derived["start"])
    if how == "tokens":
        if fd.multi or "tokens" not in fd.by_value:
            return _per_value(fd, _name_tokens)
        return _spread(fd, *fd.by_value["tokens"])
    if how == "masked":
        if fd.multi or "masked" not in fd.derived:
            return _per_value(fd, lambda u: (k,) if (k := masked_key(u)) else ())
        return _scalar(fd.derived["masked"])
    if how == "prefix4":
        # phones: the last digits carry the identity, the country code does not
        if fd.multi:
            cut = (lambda u: (u[-11:-7],)) if fd.type is FieldType.PHONE else (lambda u: (u[:4],))
            return _per_value(fd, cut)
        return _scalar(fd.derived["prefix4"])
    raise ValueError(how)


def _name_pair(prep: Prepared, columns: list[str], *, both: bool) -> Column:
    """Keys from several name columns regardless of which holds which part: with `both`,
    the sounds of the columns a record fills, sorted (one key; a record needs two names
    at least); else each token's sound (several keys per record)."""
    if len(columns) > 2:
        return _name_columns(prep, columns, both=both)
    first, second = columns
    per_record = []
    for name in (first, second):
        fd = prep.fields[name]
        if both:
            sounds = [name_phonetic(u) for u in fd.uniq]
        else:
            sounds = ["\x1f".join(_name_tokens(u)) for u in fd.uniq]
        sounds.append("")
        per_record.append([sounds[c] for c in fd.value_codes.tolist()])
    if both:
        keys = [
            (min(x, y) + "\x1f" + max(x, y)) if x and y else ""
            for x, y in zip(*per_record, strict=True)
        ]
        return _scalar(encode(keys))
    values = [
        tuple(k for k in (x + "\x1f" + y).split("\x1f") if k)
        for x, y in zip(*per_record, strict=True)
    ]
    return _explode(values)


def _name_columns(prep: Prepared, columns: list[str], *, both: bool) -> Column:
    """`_name_pair` over three name columns or more (the two-column keys are kept as
    they were: a record there needs both)."""
    per_record = []
    for name in columns:
        fd = prep.fields[name]
        if both:
            sounds = [name_phonetic(u) for u in fd.uniq]
        else:
            sounds = ["\x1f".join(_name_tokens(u)) for u in fd.uniq]
        sounds.append("")
        per_record.append([sounds[c] for c in fd.value_codes.tolist()])
    if both:
        keys = []
        for parts in zip(*per_record, strict=True):
            present = sorted(p for p in parts if p)
            keys.append("\x1f".join(present) if len(present) >= 2 else "")
        return _scalar(encode(keys))
    values = [
        tuple(dict.fromkeys(k for p in parts for k in p.split("\x1f") if k))
        for parts in zip(*per_record, strict=True)
    ]
    return _explode(values)


def _whole_name(prep: Prepared, bp: BlockingPass) -> bool:
    """Whether the pass is keyed on a record's whole name by sound: the one name column's
    sound, or all name columns' together (`pair_sound`), not one column of several."""
    ((field, how),) = bp.parts if len(bp.parts) == 1 else ((None, None),)
    if how == "pair_sound":
        return True
    names = [f for f, fd in prep.fields.items() if fd.type is FieldType.PERSON_NAME]
    return how == "phonetic" and names == [field]


def _name_tokens(name: str) -> tuple[str, ...]:
    if has_cjk(name):  # the given name's sound: survives a mistyped surname
        return (name_phonetic(name[1:]),) if len(name) >= 3 else ()
    return tuple(dict.fromkeys(metaphone_token(t) for t in name.split() if len(t) >= 2))


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
    # columns list records in ascending order: a repeat means several keys per record
    multi = [bool(len(c[0]) and (c[0][1:] == c[0][:-1]).any()) for c in cols]
    if sum(multi) > 1:
        raise ValueError(f"blocking pass {bp.name}: two multi-valued parts")
    rec, code = cols[multi.index(True)] if any(multi) else cols[0]
    for other_rec, other_code in (c for c, m in zip(cols, multi, strict=True) if not m):
        if other_rec is rec:
            continue
        by_rec = np.full(prep.n, -1, dtype=np.int64)
        by_rec[other_rec] = other_code
        other = by_rec[rec]
        keep = other >= 0
        width = int(other_code.max(initial=0)) + 1
        rec, code = rec[keep], code[keep] * width + other[keep]
        if int(code.max(initial=0)) > 1 << 40:  # keep the arithmetic far from overflow
            code = np.unique(code, return_inverse=True)[1].astype(np.int64)
    return rec, code


def pairs_from_keys(
    rec: np.ndarray,
    codes: np.ndarray,
    max_block: int,
    neighbours: np.ndarray | None = None,
    window: int = 0,
    windowed_from: int = 0,
) -> np.ndarray:
    """All pairs (i, j) of records sharing a key, for blocks of 2..max_block records.

    A bigger block yields no pair, unless `neighbours` (a rank per record) is given and
    it holds more than `windowed_from` records (at least max_block): then each of its
    records is paired with the `window` records after it in that order.
    A key held by hundreds of records may be one person's (an inventor's name on a
    thousand patents, a loyal customer's phone): all its pairs would cost too much, no
    pair at all loses that person, and a few neighbours each, sorted so that records
    agreeing on other fields meet, let strong evidence chain through it."""
    if len(rec) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    # records come in ascending order, so a stable sort on the key keeps them sorted
    # inside each block (cheaper than a lexsort over both)
    order = np.argsort(codes, kind="stable")
    codes, rec = codes[order], rec[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(codes)])
    out: list[np.ndarray] = []
    for size in unique(sizes):
        if size < 2 or size > max_block:
            continue
        block_starts = starts[sizes == size]
        members = rec[block_starts[:, None] + np.arange(size)[None, :]]  # (blocks, size)
        iu, ju = np.triu_indices(size, 1)
        out.append(np.stack([members[:, iu].ravel(), members[:, ju].ravel()], axis=1))
    big = sizes > max(max_block, windowed_from, 1)
    if neighbours is not None and window > 0 and big.any():
        out.append(_windows(rec, starts[big], sizes[big], neighbours, window))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(out)


def _windows(
    rec: np.ndarray, starts: np.ndarray, sizes: np.ndarray, rank: np.ndarray, window: int
) -> np.ndarray:
    """Each member of the blocks (rec[start : start + size]) paired with the `window`
    members after it, the members of a block sorted by `rank`."""
    block = np.repeat(np.arange(len(starts)), sizes)
    members = rec[np.concatenate([np.arange(s, s + k) for s, k in zip(starts, sizes, strict=True)])]
    members = members[np.lexsort((rank[members], block))]
    pos = np.arange(len(members)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    left, right = [], []
    for step in range(1, window + 1):
        ok = pos + step < np.repeat(sizes, sizes)
        left.append(members[ok])
        right.append(members[np.flatnonzero(ok) + step])
    return np.stack([np.concatenate(left), np.concatenate(right)], axis=1)


# which fields decide the neighbour order first: those that tell one person from another
_NEIGHBOUR_TYPES = (
    FieldType.IDENTIFIER,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.DATE,
    FieldType.COMPANY_NAME,
    FieldType.ADDRESS,
    FieldType.POSTCODE,
)


def neighbour_order(prep: Prepared) -> np.ndarray:
    """A rank per record: records sorted by the fields' values, the most personal types
    first (identifiers, e-mails, phones, dates, then where they work and live), then the
    rest in the spec's order, so that inside a big block the records that agree on the
    other fields are neighbours."""
    fields = [fd for fd in prep.fields.values() if not fd.multi]
    rank_of = {t: k for k, t in enumerate(_NEIGHBOUR_TYPES)}
    fields.sort(key=lambda fd: rank_of.get(fd.type, len(rank_of)))  # stable: spec order
    keys = [fd.value_codes for fd in fields]
    if not keys:
        return np.arange(prep.n, dtype=np.int64)
    rank = np.empty(prep.n, dtype=np.int64)
    rank[np.lexsort(keys[::-1])] = np.arange(prep.n)
    return rank


def candidate_pairs(
    prep: Prepared, max_block: int, max_pairs: int | None = None, workers: int = 1
) -> tuple[np.ndarray, dict[str, int]]:
    """Unique candidate pairs (i < j) over all passes, plus pairs proposed per pass.

    Passes run from the strongest key to the weakest; once `max_pairs` would be
    exceeded the remaining (weaker) passes are skipped and reported as -1. With
    workers > 1 on big inputs the passes run in forked processes (the budget is then
    applied to their results in the same order, so the answer is the same).
    """
    n = max(prep.n, 1)
    passes = blocking_passes(prep)
    cache: dict[tuple[str, str], Column] = {}
    neighbours = neighbour_order(prep)
    if workers > 1 and prep.n >= _PARALLEL_RECORDS and "fork" in mp.get_all_start_methods():
        for bp in passes:  # keys shared by several passes are built once, before forking
            for part in bp.parts:
                if part not in cache:
                    cache[part] = _column(prep, *part)
        global _FORKED
        _FORKED = (prep, passes, cache, max_block, neighbours)
        try:
            with mp.get_context("fork").Pool(workers) as pool:
                results: Iterable[np.ndarray] = pool.map(_forked_pass, range(len(passes)))
        finally:
            _FORKED = None
    else:  # lazily: passes past the budget are never computed
        results = (_pass_codes(prep, bp, cache, max_block, neighbours) for bp in passes)
    stats: dict[str, int] = {}
    encoded: list[np.ndarray] = []
    total = 0
    for bp, codes in zip(passes, results, strict=True):
        if max_pairs is not None and total >= max_pairs:
            stats[bp.name] = -1
            continue
        stats[bp.name] = len(codes)
        encoded.append(codes)
        total += len(codes)
    allp = unique(np.concatenate(encoded)) if encoded else np.zeros(0, dtype=np.int64)
    return np.stack([allp // n, allp % n], axis=1), stats


_PARALLEL_RECORDS = 200_000
_FORKED: (
    tuple[Prepared, list[BlockingPass], dict[tuple[str, str], Column], int, np.ndarray] | None
) = None
# each record of a block too big for all its pairs meets this many neighbours after it
_WINDOW = 3


def _forked_pass(k: int) -> np.ndarray:
    assert _FORKED is not None  # set by the parent before forking
    prep, passes, cache, max_block, neighbours = _FORKED
    return _pass_codes(prep, passes[k], cache, max_block, neighbours)


def _pass_codes(
    prep: Prepared,
    bp: BlockingPass,
    cache: dict[tuple[str, str], Column],
    max_block: int,
    neighbours: np.ndarray | None = None,
) -> np.ndarray:
    """One pass's pairs (i < j), each as the code i * n + j."""
    n = max(prep.n, 1)
    rec, codes = pass_keys(prep, bp, cache)
    # a name alone, or one name token ("john" + a city), is the weakest key: its blocks
    # get a sixth of the size budget
    weak = all(how in _NAME_KEYS for _, how in bp.parts) or any(
        how in ("tokens", "pair_tokens") for _, how in bp.parts
    )
    # a whole name held by more records than a block may have can be one person's (an
    # inventor on a thousand patents): its records meet a few neighbours each. Not so
    # a shared surname, address, postcode or switchboard: those big blocks are families,
    # households and firms, whose neighbours are other people
    pairs = pairs_from_keys(
        rec,
        codes,
        max(2, max_block // 6) if weak else max_block,
        neighbours if _whole_name(prep, bp) else None,
        _WINDOW,
        windowed_from=max_block,
    )
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    return lo * n + hi
