"""Turn records into columns of normalized values, once, for every later stage."""

from __future__ import annotations

import multiprocessing as mp
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from dedupe.errors import DedupeInputError
from dedupe.normalize import (
    char_pinyin,
    has_cjk,
    name_phonetic,
    normalize_company_name,
    normalize_date,
    normalize_email,
    normalize_identifier,
    normalize_person_name,
    normalize_phone,
    normalize_postcode,
    normalize_text,
    split_cn_address,
)
from dedupe.spec import FieldType, MatchSpec

__all__ = ["FieldData", "Prepared", "normalizer_for", "prepare"]


# (province, city, district, street start) of each canonical address key normalized by
# the running prepare(); moved onto the address FieldData (`places`) when it is built
_PLACES: dict[str, tuple[str, str, str, str]] = {}


def _address_key(value: object) -> str | None:
    # A canonical spelling: "广东深圳南山区X路" and "广东省深圳市南山区X路" become equal.
    parts = split_cn_address(value)
    city = parts.city if parts.city != parts.province else None  # 北京市 once
    key = "".join(p for p in (parts.province, city, parts.district) if p) + parts.rest
    if not key:
        return None
    if not has_cjk(key):
        start = " ".join(key.split()[:2])  # '1578 henderson'
    else:
        start = (parts.district or "") + parts.rest[:5]  # '南山区科技园路1'
    _PLACES[key] = (parts.province or "", parts.city or "", parts.district or "", start)
    return key


def _category_key(value: object) -> str | None:
    # 北京 / 北京市 are one city: administrative names go to their official spelling
    text = normalize_text(value)
    if text and has_cjk(text):
        parts = split_cn_address(text)
        if not parts.rest:
            return parts.district or parts.city or parts.province or text
    return text


def normalizer_for(ftype: FieldType, region: str) -> Callable[[object], str | None]:
    table: dict[FieldType, Callable[[object], str | None]] = {
        FieldType.PERSON_NAME: normalize_person_name,
        FieldType.COMPANY_NAME: normalize_company_name,
        FieldType.PHONE: lambda v: normalize_phone(v, region),
        FieldType.EMAIL: normalize_email,
        FieldType.ADDRESS: _address_key,
        FieldType.TEXT: normalize_text,
        FieldType.DATE: normalize_date,
        FieldType.POSTCODE: normalize_postcode,
        FieldType.IDENTIFIER: normalize_identifier,
        FieldType.CATEGORY: _category_key,
    }
    return table[ftype]


@dataclass
class FieldData:
    """One field over all records. `values[i]` holds record i's normalized values (a
    field may hold a list: any element may match); `first` and `codes` are the first
    value as strings / integer codes (-1 = missing) for vectorised comparison."""

    name: str
    type: FieldType
    values: list[tuple[str, ...]]
    first: np.ndarray
    codes: np.ndarray
    multi: bool
    vocab: list[str]  # every distinct value (for list-valued fields, every element)
    tally: np.ndarray  # how many records hold each vocab value (term frequencies)
    # per-record derived keys as integer codes (-1 = none), so that comparing a pair
    # is an array lookup, not a Python call: built once per record, not once per pair
    derived: dict[str, np.ndarray] = field(default_factory=dict)

    syllables: np.ndarray | None = None  # Chinese names: one character per syllable
    uniq: list[str] = field(default_factory=list)  # distinct first values, by code
    # addresses: key -> (province, city, district, street start), from the split of the
    # raw cell (re-splitting a key is slower and need not give the same answer)
    places: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.total = max(int(self.tally.sum()), 1)


@dataclass
class Prepared:
    ids: list[str]
    fields: dict[str, FieldData] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)


def _cell_values(cell: Any, norm: Callable[[object], str | None]) -> tuple[str, ...]:
    if cell is None:
        return ()
    items = cell if isinstance(cell, list | tuple | set | frozenset) else (cell,)
    out: list[str] = []
    for item in items:
        if item is None or (isinstance(item, str) and not item.strip()):
            continue
        if isinstance(item, float) and item != item:  # NaN from pandas
            continue
        v = norm(item)
        if v is not None and v not in out:
            out.append(v)
    return tuple(out)


def _column_values(cells: list[Any], norm: Callable[[object], str | None]) -> list[tuple[str, ...]]:
    """Normalize a column, each distinct plain string once (columns repeat a lot)."""
    seen: dict[str, tuple[str, ...]] = {}
    empty: tuple[str, ...] = ()
    out: list[tuple[str, ...]] = []
    append = out.append
    for cell in cells:
        if cell is None:
            append(empty)
        elif type(cell) is str:
            hit = seen.get(cell)
            if hit is None:
                v = norm(cell) if cell.strip() else None
                hit = seen[cell] = (v,) if v is not None else empty
            append(hit)
        else:
            append(_cell_values(cell, norm))
    return out


def prepare(records: Sequence[Mapping[str, Any]], spec: MatchSpec, workers: int = 1) -> Prepared:
    """Normalize every field of every record. With workers > 1 and a large input, the
    fields are shared out between forked processes (normalization is pure Python and
    per field independent; the results are the same, only sooner)."""
    ids: list[str] = []
    seen: set[str] = set()
    for pos, rec in enumerate(records):
        rid = rec.get(spec.id)
        if rid is None or str(rid).strip() == "":
            raise DedupeInputError(f"Record {pos + 1} has no value in id column '{spec.id}'.")
        rid = str(rid)
        if rid in seen:
            raise DedupeInputError(f"Duplicate id '{rid}' in column '{spec.id}'.")
        seen.add(rid)
        ids.append(rid)
    prep = Prepared(ids=ids)
    names = list(spec.fields)
    if workers > 1 and len(records) >= _PARALLEL_MIN and "fork" in mp.get_all_start_methods():
        built = _prepare_parallel(records, spec, names, workers)
    else:
        built = {name: _prepare_field(records, spec, name) for name in names}
    prep.fields.update((name, built[name]) for name in names)  # spec order
    _add_virtual_fields(prep)
    return prep


_PARALLEL_MIN = 100_000
# rough cost of normalizing one cell of each type, to share fields out evenly
_COST = {
    FieldType.ADDRESS: 6,
    FieldType.PHONE: 3,
    FieldType.PERSON_NAME: 3,
    FieldType.EMAIL: 2,
    FieldType.COMPANY_NAME: 2,
    FieldType.DATE: 2,
}


def _prepare_field(records: Sequence[Mapping[str, Any]], spec: MatchSpec, name: str) -> FieldData:
    ftype = spec.fields[name]
    values = _column_values([rec.get(name) for rec in records], normalizer_for(ftype, spec.region))
    if ftype is not FieldType.ADDRESS:
        return build_field(name, ftype, values)
    places = {v[0]: _PLACES[v[0]] for v in values if v}
    _PLACES.clear()
    return build_field(name, ftype, values, places)


_FORKED: tuple[Sequence[Mapping[str, Any]], MatchSpec] | None = None


def _forked_fields(names: list[str]) -> dict[str, FieldData]:
    assert _FORKED is not None  # set by the parent before forking
    return {name: _prepare_field(_FORKED[0], _FORKED[1], name) for name in names}


def _prepare_parallel(
    records: Sequence[Mapping[str, Any]], spec: MatchSpec, names: list[str], workers: int
) -> dict[str, FieldData]:
    """Greedy split by cost; the parent works on the first share while forked children
    (which see the records without copying them) work on the others."""
    shares: list[list[str]] = [[] for _ in range(workers)]
    load = [0] * workers
    for name in sorted(names, key=lambda n: -_COST.get(spec.fields[n], 1)):
        k = load.index(min(load))
        shares[k].append(name)
        load[k] += _COST.get(spec.fields[name], 1)
    global _FORKED
    _FORKED = (records, spec)
    try:
        with mp.get_context("fork").Pool(workers - 1) as pool:
            pending = [pool.apply_async(_forked_fields, (share,)) for share in shares[1:]]
            built = _forked_fields(shares[0])
            for job in pending:
                built.update(job.get())
    finally:
        _FORKED = None
    return built


LOCALITY_FIELD = "~locality"
POOLED = (FieldType.PHONE, FieldType.EMAIL)


def _add_virtual_fields(prep: Prepared) -> None:
    """Derived comparisons across columns: the place (see _locality_field), and every
    phone (e-mail) of a record pooled when the spec has several phone (e-mail) columns,
    so a mobile meets the same number in another record's list of other phones."""
    for ftype in POOLED:
        cols = [fd for fd in prep.fields.values() if fd.type is ftype]
        if len(cols) > 1:
            values = [
                tuple(dict.fromkeys(v for fd in cols for v in fd.values[i])) for i in range(prep.n)
            ]
            name = f"~{ftype.value}"
            prep.fields[name] = build_field(name, ftype, values)
    place = _locality_field(prep)
    if place is not None:
        prep.fields[place.name] = place


def _locality_field(prep: Prepared) -> FieldData | None:
    """Each record's place pooled from its Chinese address and region categories, so
    that a city written in one column meets the same city inside another record's
    address. None when the spec has no such columns (or no Chinese places)."""
    sources = [
        fd for fd in prep.fields.values() if fd.type in (FieldType.ADDRESS, FieldType.CATEGORY)
    ]
    if not sources or prep.n == 0:
        return None
    # records with the same source values share one place: find the distinct
    # combinations with arrays, work out each once
    combo = np.zeros(prep.n, dtype=np.int64)
    for fd in sources:
        combo = np.unique(
            combo * (int(fd.codes.max(initial=0)) + 2) + fd.codes + 1, return_inverse=True
        )[1].astype(np.int64)
    first_of = np.full(int(combo.max(initial=0)) + 1, prep.n, dtype=np.int64)
    np.minimum.at(first_of, combo, np.arange(prep.n))
    places = [_place(sources, int(i)) for i in first_of.tolist()]
    paths = [places[c] for c in combo.tolist()]
    if not any(p[0] or p[1] for p in paths):
        return None
    values: list[tuple[str, ...]] = [("|".join(p),) if (p[0] or p[1]) else () for p in paths]
    fd = build_field(LOCALITY_FIELD, FieldType.LOCALITY, values)
    # "exact" means the same district: records known only to the city never tie exactly
    fd.codes = np.where(fd.codes >= 0, np.arange(prep.n) + prep.n, -1)
    # full paths: 朝阳区 of Beijing is not 朝阳区 of Changchun
    dist_code = encode(["|".join(p) if p[2] else "" for p in paths])
    fd.codes[dist_code >= 0] = dist_code[dist_code >= 0]
    fd.derived["province"] = encode([p[0] for p in paths])
    fd.derived["city"] = encode([f"{p[0]}|{p[1]}" if p[1] else "" for p in paths])
    fd.derived["district"] = dist_code
    return fd


def _place(sources: list[FieldData], i: int) -> tuple[str, str, str]:
    """(province, city, district) of record i from the first source that names each."""
    prov = city = dist = ""
    for fd in sources:
        v = fd.first[i]
        if not v or not has_cjk(v):
            continue
        if fd.type is FieldType.ADDRESS:
            p, c, d, _ = fd.places[v]
        else:
            parts = split_cn_address(v)
            if parts.rest:
                continue  # not an administrative name
            p, c, d = parts.province or "", parts.city or "", parts.district or ""
        prov, city, dist = prov or p, city or c, dist or d
    return prov, city, dist


def build_field(
    name: str,
    ftype: FieldType,
    values: list[tuple[str, ...]],
    places: dict[str, tuple[str, str, str, str]] | None = None,
) -> FieldData:
    first = np.array([v[0] if v else "" for v in values], dtype=object)
    lookup: dict[str, int] = {}
    codes = np.fromiter(
        (lookup.setdefault(v[0], len(lookup)) if v else -1 for v in values),
        dtype=np.int64,
        count=len(values),
    )
    multi = bool(len(values)) and max(map(len, values)) > 1
    if multi:
        counts = Counter(x for v in values for x in v)
        vocab, tally = list(counts), np.fromiter(counts.values(), np.int64, len(counts))
    else:  # one value per record: count the codes with numpy (a Counter costs 100 B/value)
        vocab, tally = list(lookup), np.bincount(codes[codes >= 0], minlength=len(lookup))
    fd = FieldData(name, ftype, values, first, codes, multi, vocab, tally)
    # derived keys are computed once per distinct value, then spread to the records
    uniq = fd.uniq = vocab if not multi else list(lookup)

    def spread(per_value: list[Any], missing: object, dtype: Any = object) -> np.ndarray:
        return np.asarray([*per_value, missing], dtype=dtype)[codes]

    def spread_codes(per_value: list[str]) -> np.ndarray:
        return np.append(encode(per_value), -1)[codes]

    if ftype is FieldType.PERSON_NAME:
        phon = [name_phonetic(s) for s in uniq]
        cjk = [has_cjk(s) for s in uniq]
        syll = [syllables(s) if c else "" for s, c in zip(uniq, cjk, strict=True)]
        toks = [[] if c else s.split() for s, c in zip(uniq, cjk, strict=True)]
        fd.syllables = spread(syll, "")
        fd.derived["cjk"] = spread(cjk, False, bool)
        fd.derived["phonetic"] = spread_codes(phon)
        fd.derived["surname"] = spread_codes([x[:1] for x in syll])
        fd.derived["last_token"] = spread_codes([t[-1] if len(t) >= 2 else "" for t in toks])
        fd.derived["initial"] = spread_codes([t[0][0] if len(t) >= 2 else "" for t in toks])
        fd.derived["short_first"] = spread(
            [len(t) >= 2 and len(t[0]) == 1 for t in toks], False, bool
        )
    if ftype is FieldType.ADDRESS:
        fd.places = places if places is not None else {s: _split_key(s) for s in uniq}
        dist = [fd.places[s][2] or fd.places[s][1] for s in uniq]
        fd.derived["district"] = spread_codes(dist)
    if ftype is FieldType.DATE:  # "2001-03-06" vs "2001-06-03": day and month swapped
        swapped = encode([f"{s[:4]}-{s[8:10]}-{s[5:7]}" for s in uniq], lookup)
        fd.derived["swapped"] = np.append(swapped, -2)[codes]
    if ftype is FieldType.EMAIL:  # the digits of an address ("#" so none is a value too)
        fd.derived["digits"] = spread_codes(["#" + re.sub(r"\D", "", s) for s in uniq])
    if ftype is FieldType.POSTCODE:
        fd.derived["area"] = spread_codes([s[:3] for s in uniq])
    if ftype is FieldType.IDENTIFIER:
        fd.derived["length"] = spread([len(s) for s in uniq], 0, np.int64)
    return fd


def encode(strings: list[str], lookup: dict[str, int] | None = None) -> np.ndarray:
    """Integer code per string ("" -> -1); equal strings get equal codes."""
    table = {} if lookup is None else dict(lookup)
    return np.fromiter(
        (table.setdefault(s, len(table)) if s else -1 for s in strings),
        dtype=np.int64,
        count=len(strings),
    )


_SYLLABLE_CODES: dict[str, str] = {}


@lru_cache(maxsize=1 << 12)
def syllables(name: str) -> str:
    """A Chinese name as one private-use character per pinyin syllable, so that
    rapidfuzz's Levenshtein counts differing *sounds* (王小明/王晓明 0, 王小明/王明 1)."""
    return "".join(
        _SYLLABLE_CODES.setdefault(char_pinyin(c), chr(0xE000 + len(_SYLLABLE_CODES))) for c in name
    )


def _split_key(key: str) -> tuple[str, str, str, str]:
    """Places of a key that was not normalized here (a throw-away field of list
    elements): normalizing it again yields its parts."""
    _address_key(key)
    return _PLACES.pop(key, ("", "", "", key[:8]))


def merge_prepared(old: Prepared, batch: Prepared, removed: set[str]) -> Prepared:
    """`old` with `batch` records added or replaced (by id) and `removed` ids dropped,
    reusing the normalized values: only the batch was normalized."""
    fresh = {rid: i for i, rid in enumerate(batch.ids)}
    kept = [(rid, i) for i, rid in enumerate(old.ids) if rid not in fresh and rid not in removed]
    rows = sorted([(rid, 0, i) for rid, i in kept] + [(rid, 1, i) for rid, i in fresh.items()])
    prep = Prepared(ids=[r[0] for r in rows])
    for name, fd in old.fields.items():
        if name.startswith("~"):
            continue  # derived: rebuilt below
        sources = (fd.values, batch.fields[name].values)
        values = [sources[src][i] for _, src, i in rows]
        places = {**fd.places, **batch.fields[name].places} if fd.places else None
        prep.fields[name] = build_field(name, fd.type, values, places)
    _add_virtual_fields(prep)
    return prep
