"""Turn records into columns of normalized values, once, for every later stage."""

from __future__ import annotations

import multiprocessing as mp
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import chain, count
from typing import Any

import numpy as np

from dedupe.arrays import unique
from dedupe.columns import CodedColumn
from dedupe.errors import DedupeInputError
from dedupe.normalize import (
    char_pinyin,
    has_cjk,
    metaphone_token,
    name_phonetic,
    names_a_company,
    names_a_role,
    normalize_company_name,
    normalize_date,
    normalize_email,
    normalize_email_ascii,
    normalize_identifier,
    normalize_person_name,
    normalize_person_name_ascii,
    normalize_phone,
    normalize_phone_ascii,
    normalize_postcode,
    normalize_text,
    normalize_text_ascii,
    related_given_names,
    split_cn_address,
)
from dedupe.phones import MASK, masked_key
from dedupe.spec import FieldType, MatchSpec

__all__ = ["FieldData", "Prepared", "normalizer_for", "prepare"]


# (province, city, district, street start) of each canonical address key normalized by
# the running prepare(); moved onto the address FieldData (`places`) when it is built
_PLACES: dict[str, tuple[str, str, str, str]] = {}


def _address_key(value: object) -> str | None:
    # A canonical spelling: "广东深圳南山区X路" and "广东省深圳市南山区X路" become equal.
    text = normalize_text(value)
    if text is None:
        return None
    if not has_cjk(text):  # no Chinese place to find: the text is the key
        _PLACES[text] = ("", "", "", " ".join(text.split()[:2]))  # '1578 henderson'
        return text
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


def _person_key(value: object) -> str | None:
    # a company in a person-name column is no evidence about the person: missing
    name = normalize_person_name(value)
    return None if name is None or names_a_company(name) else name


def _email_key(value: object) -> str | None:
    # a role mailbox (info@firm) is shared by everyone at the firm: no evidence about
    # the person (the firm's name, phone and address say "same firm" already)
    email = normalize_email(value)
    return None if email is None or names_a_role(email) else email


def _category_key(value: object) -> str | None:
    # 北京 / 北京市 are one city: administrative names go to their official spelling
    text = normalize_text(value)
    if text and has_cjk(text):
        parts = split_cn_address(text)
        if not parts.rest:
            return parts.district or parts.city or parts.province or text
    return text


def _date_key(value: object) -> str | None:
    # an impossible date (1973-19-14) is kept: a mistyped digit still compares as one
    return normalize_date(value, keep_impossible=True)


def normalizer_for(ftype: FieldType, region: str) -> Callable[[object], str | None]:
    table: dict[FieldType, Callable[[object], str | None]] = {
        FieldType.PERSON_NAME: _person_key,
        FieldType.COMPANY_NAME: normalize_company_name,
        FieldType.PHONE: lambda v: normalize_phone(v, region),
        FieldType.EMAIL: _email_key,
        FieldType.ADDRESS: _address_key,
        FieldType.TEXT: normalize_text,
        FieldType.DATE: _date_key,
        FieldType.POSTCODE: normalize_postcode,
        FieldType.IDENTIFIER: normalize_identifier,
        FieldType.CATEGORY: _category_key,
    }
    return table[ftype]


@dataclass
class FieldData:
    """One field over all records, as integer codes into its distinct values.

    `codes[i]` is the code of record i's (first) value, -1 = missing; `uniq[c]` is the
    value of code c. A field whose cells hold lists (several phones) keeps every
    record's values in `multi_values`: any element may match."""

    name: str
    type: FieldType
    codes: np.ndarray
    uniq: list[str]
    multi_values: list[tuple[str, ...]] | None = None
    # per-record derived keys as integer codes (-1 = none), so that comparing a pair
    # is an array lookup, not a Python call: built once per value, not once per pair
    derived: dict[str, np.ndarray] = field(default_factory=dict)
    syllables: np.ndarray | None = None  # Chinese names: one character per syllable
    # addresses: key -> (province, city, district, street start), from the split of the
    # raw cell (re-splitting a key is slower and need not give the same answer); a key
    # missing here has the place `latin_place` gives it (see `place`)
    places: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    # derived data kept per distinct value (see KEPT_BY_VALUE), read through value_codes
    by_value: dict[str, tuple[np.ndarray, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # codes into `uniq`, kept when a derived field redefines `codes` (what counts
        # as an exact match) as the place field does
        self.value_codes = self.codes
        if self.multi_values is None:
            self.vocab = self.uniq
            self.tally = np.bincount(self.codes[self.codes >= 0], minlength=len(self.uniq))
        else:
            counts = Counter(x for v in self.multi_values for x in v)
            self.vocab = list(counts)
            self.tally = np.fromiter(counts.values(), np.int64, len(counts))
        self.total = max(int(self.tally.sum()), 1)

    @cached_property
    def elements(self) -> tuple[np.ndarray, np.ndarray, FieldData]:
        """Every record's values as codes into `vocab`, flat, with each record's start
        (one more start closes the last record), and the vocabulary as a field of its
        own, one entry per value: pairs of list elements are graded through it."""
        at = {v: i for i, v in enumerate(self.vocab)}
        rows = self.values
        starts = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, rows), np.int64, len(rows)), out=starts[1:])
        flat = np.fromiter((at[v] for vals in rows for v in vals), np.int64, int(starts[-1]))
        known = self.places or None
        return flat, starts, build_field(self.name, self.type, [(v,) for v in self.vocab], known)

    @cached_property
    def texts(self) -> np.ndarray:
        """The distinct values as an array, and "" last for code -1 (missing)."""
        return np.asarray([*self.uniq, ""], dtype=object)

    def char_counts(self, records: np.ndarray) -> np.ndarray:
        """Each record's (first) value's characters counted in 16 buckets (code point
        mod 16), zeros if missing: values one edit apart differ by at most 2 in these
        counts (a cheap test before an edit distance). Counted for every distinct value
        once, unless only a few records are asked about (scoring a handful of pairs
        should not count half a million phone numbers)."""
        codes = self.value_codes[records]
        if len(codes) * 4 < len(self.uniq) and "_char_table" not in self.__dict__:
            return char_counts(self.texts[codes].tolist())
        return self._char_table[codes]

    @cached_property
    def _char_table(self) -> np.ndarray:
        return char_counts([*self.uniq, ""])  # the last row, zeros, for code -1

    def text_of(self, records: np.ndarray) -> np.ndarray:
        """Each record's (first) value as a string, "" if missing: what rapidfuzz reads."""
        return self.texts[self.value_codes[records]]

    def place(self, key: str) -> tuple[str, str, str, str]:
        """(province, city, district, street start) of one of this address field's keys."""
        return self.places.get(key) or latin_place(key)

    @property
    def multi(self) -> bool:
        return self.multi_values is not None

    @property
    def values(self) -> list[tuple[str, ...]]:
        """Every record's values as a tuple (built on demand for single-valued fields)."""
        if self.multi_values is not None:
            return self.multi_values
        per_code: list[tuple[str, ...]] = [(u,) for u in self.uniq]
        per_code.append(())  # code -1: missing
        return [per_code[c] for c in self.value_codes.tolist()]


def char_counts(values: list[str]) -> np.ndarray:
    """(len(values), 16) counts of each value's code points mod 16 (see
    `FieldData.char_counts`)."""
    points = np.frombuffer("".join(values).encode("utf-32-le", "surrogatepass"), np.uint32)
    lengths = np.fromiter(map(len, values), np.int64, len(values))
    owner = np.repeat(np.arange(len(values)), lengths)
    flat = np.bincount(owner * 16 + (points % 16), minlength=len(values) * 16)
    return flat.reshape(-1, 16).astype(np.int16)


@dataclass
class Prepared:
    ids: list[str]
    fields: dict[str, FieldData] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)


Column = Sequence[Any] | CodedColumn
Records = Sequence[Mapping[str, Any]] | Mapping[str, Column]


def _raw_columns(records: Records, spec: MatchSpec) -> tuple[list[Any], dict[str, Column]]:
    """The id column and one sequence per spec field, in input order. `records` is a
    sequence of mappings or a mapping of columns (the CSV reader's cheaper shape)."""
    if not isinstance(records, Mapping):
        raw_ids = [rec.get(spec.id) for rec in records]
        return raw_ids, {name: [rec.get(name) for rec in records] for name in spec.fields}
    if spec.id not in records:
        raise DedupeInputError(f"No id column '{spec.id}' in the input.")
    raw_ids = list(records[spec.id])
    cols: dict[str, Column] = {}
    for name in spec.fields:
        col = records.get(name)
        cols[name] = [None] * len(raw_ids) if col is None else col
        if len(cols[name]) != len(raw_ids):
            raise DedupeInputError(
                f"Column '{name}' has {len(cols[name])} values, the id column {len(raw_ids)}."
            )
    return raw_ids, cols


def _sorted_ids(raw_ids: list[Any], spec: MatchSpec) -> tuple[list[str], np.ndarray]:
    """Ids (checked: present, unique) sorted, and the input position of each: records
    are kept in id order so that nothing downstream depends on input order."""
    ids = raw_ids if all(map(str.__instancecheck__, raw_ids)) else [_id_text(r) for r in raw_ids]
    if not all(map(str.strip, ids)):
        pos = next(k for k, rid in enumerate(ids) if not rid.strip())
        raise DedupeInputError(f"Record {pos + 1} has no value in id column '{spec.id}'.")
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        for rid in ids:
            if rid in seen:
                raise DedupeInputError(f"Duplicate id '{rid}' in column '{spec.id}'.")
            seen.add(rid)
    if not ids:
        return ids, np.zeros(0, dtype=np.int64)
    # numpy sorts str by code point like Python does, without a key call per record;
    # ASCII ids as bytes (the same order) sort in two thirds of the time
    try:
        keys = np.asarray(ids, dtype="S")
    except UnicodeEncodeError:
        keys = np.asarray(ids)
    order = np.argsort(keys, kind="stable")
    return np.asarray(ids, dtype=object)[order].tolist(), order


def _codes_of(keys: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """Code per key (-1 for None) and the distinct keys by code, in one C-level pass."""
    table: defaultdict[str | None, int] = defaultdict(count().__next__)
    table[None]  # noqa: B018 - None takes code 0, shifted to -1 below
    codes = np.fromiter(map(table.__getitem__, keys), np.int64, count=len(keys)) - 1
    return codes, list(table)[1:]  # type: ignore[return-value]


def _id_text(raw: Any) -> str:
    return "" if raw is None else str(raw)


def _raw_codes(col: Column) -> tuple[np.ndarray, list[Any]] | None:
    """Per cell the code of its raw value (in first-seen order) and the distinct raw
    values, in one C-level pass; None when cells are unhashable (lists of values)."""
    if isinstance(col, CodedColumn):  # already coded: missing becomes one more value
        missing = len(col.values)
        return np.where(col.codes < 0, missing, col.codes).astype(np.int64), [*col.values, None]
    table: defaultdict[Any, int] = defaultdict(count().__next__)
    try:
        codes = np.fromiter(map(table.__getitem__, col), np.int64, count=len(col))
    except TypeError:
        return None
    return codes, list(table)


def _cell_values(cell: Any, norm: Callable[[object], str | None]) -> tuple[str, ...]:
    items = cell if isinstance(cell, list | tuple | set | frozenset) else (cell,)
    out: list[str] = []
    for item in items:
        if _present(item):
            v = norm(item)
            if v is not None and v not in out:
                out.append(v)
    return tuple(out)


def prepare(records: Records, spec: MatchSpec, workers: int = 1) -> Prepared:
    """Normalize every field of every record. Each distinct raw value is normalized
    once; with workers > 1 and many distinct values, whole fields are built in forked
    processes (normalization is pure Python; the results are the same, sooner) while
    this one sorts the ids."""
    raw_ids, cols = _raw_columns(records, spec)
    raw: dict[str, tuple[np.ndarray, list[Any]]] = {}
    for name in spec.fields:
        coded = _raw_codes(cols[name])
        if coded is not None:
            raw[name] = coded
    built: dict[str, FieldData] = {}
    with _field_parts_all(raw, spec, workers) as arriving:
        ids, order = _sorted_ids(raw_ids, spec)
        for name, (codes, uniq, per_value, places) in arriving:
            codes = codes[order] if len(order) else codes
            ftype = spec.fields[name]
            built[name] = field_from_codes(name, ftype, codes, uniq, None, places, per_value)
    prep = Prepared(ids=ids)
    for name, ftype in spec.fields.items():
        if name not in built:  # list-valued cells: the slow path, element by element
            norm = normalizer_for(ftype, spec.region)
            values = [_cell_values(cols[name][i], norm) for i in order.tolist()]
            places = None
            if ftype is FieldType.ADDRESS:
                places = {v: _place_of(v) for vals in values for v in vals}
            built[name] = build_field(name, ftype, values, places)
        prep.fields[name] = built[name]  # spec order
    _add_virtual_fields(prep)
    return prep


def _present(cell: Any) -> bool:
    if cell is None:
        return False
    if isinstance(cell, str):
        return bool(cell.strip())
    return not (isinstance(cell, float) and cell != cell)  # NaN from pandas


Place = tuple[str, str, str, str]
# per derived key: its value for each distinct value, and its value for a missing one
PerValue = dict[str, tuple[np.ndarray, Any]]
# per distinct raw value: its key (None = missing or invalid), and for addresses its
# place (province, city, district, street start)
Normalized = tuple[list[str | None], list[Place | None] | None]


def _normalize_values(ftype: FieldType, region: str, raw: Sequence[Any]) -> Normalized:
    keys: list[str | None] = [None] * len(raw)
    places: list[Place | None] | None = [None] * len(raw) if ftype is FieldType.ADDRESS else None
    todo: Iterable[int] = range(len(raw))
    ascii_at = [i for i, v in enumerate(raw) if isinstance(v, str) and v.isascii()]
    done = _ascii_keys(ftype, region, [raw[i] for i in ascii_at]) if ascii_at else None
    if done is not None:  # the ASCII cells at once, the others one by one
        for i, key in zip(ascii_at, done, strict=True):
            keys[i] = key
        # (an ASCII address has no place but its street start, see `latin_place`)
        is_ascii = np.zeros(len(raw), dtype=bool)
        is_ascii[ascii_at] = True
        todo = np.flatnonzero(~is_ascii).tolist()
    norm = normalizer_for(ftype, region)
    for i in todo:
        v = raw[i]
        keys[i] = key = norm(v) if _present(v) else None
        if places is not None and key is not None:
            places[i] = _PLACES.pop(key, None)
    return keys, places


def _ascii_keys(ftype: FieldType, region: str, cells: list[str]) -> list[str | None] | None:
    """What `normalizer_for(ftype)` gives for each cell (all ASCII), computed for the
    whole list at once; None for a type without such a path (or a cell it refuses)."""
    if ftype is FieldType.PERSON_NAME:
        names = normalize_person_name_ascii(cells)
        if names is None:
            return None
        return [None if n is None or names_a_company(n) else n for n in names]
    if ftype is FieldType.EMAIL:
        mails = normalize_email_ascii(cells)
        if mails is None:
            return None
        return [None if m is None or names_a_role(m) else m for m in mails]
    if ftype in (FieldType.TEXT, FieldType.ADDRESS):  # an ASCII address has no Chinese place
        return normalize_text_ascii(cells)
    if ftype is FieldType.PHONE:
        return normalize_phone_ascii(cells, region)
    return None


def _place_of(key: str) -> Place:
    return _PLACES.pop(key, None) or _split_key(key)


# a field's codes (input order), distinct keys, their derived keys, address places
FieldParts = tuple[np.ndarray, list[str], PerValue, dict[str, Place] | None]


def _field_parts(
    ftype: FieldType, region: str, raw_codes: np.ndarray, distinct: list[Any]
) -> FieldParts:
    """Everything costly about one field, in record input order."""
    keys, found = _normalize_values(ftype, region, distinct)
    key_codes, uniq = _codes_of(keys)
    places = None
    if found is not None:  # the places of non-ASCII keys: the others are `latin_place`s
        places = {k: p for k, p in zip(keys, found, strict=True) if k is not None and p}
    return key_codes[raw_codes], uniq, derive(ftype, uniq, places or {}), places


_PARALLEL_MIN = 50_000  # distinct values: below this forking costs more than it saves
# rough cost of a distinct value by type (normalization and derived keys), to start
# the slowest fields first
_NORM_COST = {
    FieldType.PERSON_NAME: 6,
    FieldType.ADDRESS: 3,
    FieldType.COMPANY_NAME: 3,
    FieldType.PHONE: 2,
    FieldType.DATE: 2,
}
_FORKED: tuple[dict[str, tuple[np.ndarray, list[Any]]], MatchSpec] | None = None


def _forked_field(name: str) -> tuple[str, FieldParts]:
    assert _FORKED is not None  # set by the parent before forking
    raw, spec = _FORKED
    return name, _field_parts(spec.fields[name], spec.region, *raw[name])


@contextmanager
def _field_parts_all(
    raw: dict[str, tuple[np.ndarray, list[Any]]], spec: MatchSpec, workers: int
) -> Iterator[Iterator[tuple[str, FieldParts]]]:
    """(field, its parts) for every field of `raw`, in the order they are done. In
    parallel the work has started when the block is entered."""
    total = sum(len(r[1]) for r in raw.values())
    if workers <= 1 or total < _PARALLEL_MIN or "fork" not in mp.get_all_start_methods():
        yield ((name, _field_parts(spec.fields[name], spec.region, *r)) for name, r in raw.items())
        return
    # whole fields, slowest first: forked children see the raw values without copying
    # them, only the results travel back
    tasks = sorted(raw, key=lambda f: -len(raw[f][1]) * _NORM_COST.get(spec.fields[f], 1))
    global _FORKED
    _FORKED = (raw, spec)
    try:
        with mp.get_context("fork").Pool(min(workers, len(tasks))) as pool:
            yield pool.imap_unordered(_forked_field, tasks, chunksize=1)
    finally:
        _FORKED = None


LOCALITY_FIELD = "~locality"
POOLED = (FieldType.PHONE, FieldType.EMAIL)


def _add_virtual_fields(prep: Prepared) -> None:
    """Derived comparisons across columns: the place (see _locality_field), and every
    phone (e-mail) of a record pooled when the spec has several phone (e-mail) columns,
    so a mobile meets the same number in another record's list of other phones."""
    for ftype in POOLED:
        cols = [fd for fd in prep.fields.values() if fd.type is ftype]
        if len(cols) > 1:
            per_col = [fd.values for fd in cols]  # built once: a property, not a list
            values = [
                tuple(dict.fromkeys(v for vals in row for v in vals))
                for row in zip(*per_col, strict=True)
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
    if not sources or prep.n == 0 or not any(map(_names_a_place, sources)):
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


def _names_a_place(fd: FieldData) -> bool:
    """Whether some value of this address / category column is a Chinese place."""
    if fd.type is FieldType.ADDRESS:
        return any(p[0] or p[1] for p in fd.places.values())
    return any(map(has_cjk, fd.uniq))


def _place(sources: list[FieldData], i: int) -> tuple[str, str, str]:
    """(province, city, district) of record i from the first source that names each."""
    prov = city = dist = ""
    for fd in sources:
        v = fd.texts[fd.value_codes[i]]
        if not v or not has_cjk(v):
            continue
        if fd.type is FieldType.ADDRESS:
            p, c, d, _ = fd.place(v)
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
    """A field from each record's tuple of normalized values."""
    lookup: dict[str, int] = {}
    codes = np.fromiter(
        (lookup.setdefault(v[0], len(lookup)) if v else -1 for v in values),
        dtype=np.int64,
        count=len(values),
    )
    multi = bool(len(values)) and max(map(len, values)) > 1
    return field_from_codes(name, ftype, codes, list(lookup), values if multi else None, places)


def field_from_codes(
    name: str,
    ftype: FieldType,
    codes: np.ndarray,
    uniq: list[str],
    multi_values: list[tuple[str, ...]] | None = None,
    places: dict[str, tuple[str, str, str, str]] | None = None,
    per_value: PerValue | None = None,
) -> FieldData:
    """A field from codes into its distinct first values, with its derived keys
    (computed once per distinct value, `per_value` if already done, then spread to
    the records)."""
    fd = FieldData(name, ftype, codes, uniq, multi_values)
    if ftype is FieldType.ADDRESS:  # with `per_value`, `places` is the whole field's
        known = places or {}
        fd.places = known if per_value else _field_places(uniq, multi_values, known)
    for key, (values, missing) in (per_value or derive(ftype, uniq, fd.places)).items():
        if key in KEPT_BY_VALUE:  # read through the value codes, not spread to records
            fd.by_value[key] = (values, missing)
            continue
        spread = np.append(values, np.asarray([missing], dtype=values.dtype))[codes]
        if key == "syllables":
            fd.syllables = spread
        else:
            fd.derived[key] = spread
    return fd


def derive(
    ftype: FieldType, uniq: list[str], places: dict[str, tuple[str, str, str, str]]
) -> PerValue:
    """The derived keys of a field's distinct values (the costly half of a field's
    build, done where the values were normalized)."""
    out: PerValue = {}

    def keyed(key: str, per_value: list[str]) -> None:  # strings as codes, "" -> -1
        out[key] = (encode(per_value), -1)

    if ftype is FieldType.PERSON_NAME:
        out.update(_name_keys(uniq))
    if ftype is FieldType.ADDRESS and places:
        found = [places.get(s) or latin_place(s) for s in uniq]
        keyed("district", [p[2] or p[1] for p in found])
        keyed("start", [p[3] for p in found])  # the beginning of the street part
    elif ftype is FieldType.ADDRESS:  # all `latin_place`s: no district, the first two words
        out["district"] = (np.full(len(uniq), -1, dtype=np.int64), -1)
        keyed("start", [" ".join(s.split(" ", 2)[:2]) for s in uniq])
    if ftype in PREFIXED:  # a typo'd value still shares its first characters
        # phones: the last digits carry the identity, the country code does not
        cut = slice(-11, -7) if ftype is FieldType.PHONE else slice(0, 4)
        keyed("prefix4", [s[cut] for s in uniq])
    if ftype is FieldType.DATE:  # "2001-03-06" vs "2001-06-03": day and month swapped
        lookup = {s: i for i, s in enumerate(uniq)}
        out["swapped"] = (encode([f"{s[:4]}-{s[8:10]}-{s[5:7]}" for s in uniq], lookup), -2)
        keyed("year_month", [s[:7] for s in uniq])
        keyed("month_day", [s[5:10] for s in uniq])
        keyed("year_day", [s[:4] + s[8:10] for s in uniq])
    if ftype is FieldType.PHONE and any(MASK in s for s in uniq):
        # a masked mobile and the full numbers it may be share this key (see compare)
        keyed("masked", [masked_key(s) for s in uniq])
    if ftype is FieldType.EMAIL:  # the digits of an address ("#" so none is a value too)
        keyed("digits", _digits(uniq))
    if ftype is FieldType.POSTCODE:
        keyed("area", [s[:3] for s in uniq])
    if ftype is FieldType.IDENTIFIER:
        out["length"] = (np.asarray([len(s) for s in uniq], dtype=np.int64), 0)
    return out


# derived data of person names kept per distinct value: "tokens" (blocking keys) and
# "token_set" (distinct tokens) as (count per value, codes flat), "sorted_text" (the
# tokens sorted) as (string per value, "" for a missing one); and, not per value, the
# pairs of the field's tokens that are nicknames of each other, as sorted codes
# a * vocabulary + b with the vocabulary's size ("nicknames")
KEPT_BY_VALUE = ("tokens", "token_set", "sorted_text", "nicknames")
# the types whose first characters are a blocking key (with a name)
PREFIXED = (FieldType.DATE, FieldType.PHONE, FieldType.ADDRESS, FieldType.COMPANY_NAME)


def _grouped(owner: np.ndarray, key: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (value, key) pairs as the number of keys of each of n values and the
    keys flat, values in order."""
    width = int(key.max(initial=0)) + 1
    pair = unique(owner * width + key)
    return np.bincount(pair // width, minlength=n).astype(np.int64), pair % width


def _nickname_pairs(vocab: list[str]) -> np.ndarray:
    """Codes a * len(vocab) + b of the token pairs (a, b) of `vocab` that are nicknames
    of each other (both ways), sorted."""
    related = related_given_names()
    index = {t: i for i, t in enumerate(vocab)}
    width = len(vocab)
    codes = [
        i * width + index[r]
        for t, i in index.items()
        if t in related
        for r in related[t]
        if r in index
    ]
    return np.unique(np.asarray(codes, dtype=np.int64))


# titles and generational suffixes: they say how a person is addressed, not who
_NAME_AFFIXES = frozenset(
    {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "jr", "sr", "ii", "iii", "iv"}
)


def _names_someone(token: str) -> bool:
    return len(token) >= 2 and token not in _NAME_AFFIXES


def _holder_codes(
    codes: np.ndarray,
    table: dict[str, int],
    vocab: list[str],
    sound_of: dict[str, str],
    toks: list[list[str]],
    tok: np.ndarray,
    owner: np.ndarray,
    latin: np.ndarray,
    chinese: bool,
) -> np.ndarray:
    """The "holder" key per distinct name: its phonetic code, except for the Latin names
    with an initial, a title or a suffix, which take the code of their sound without
    them (`table`: sound -> code + 1; a new code where no name sounds like that), and,
    where the field holds Chinese names, a name in pinyin, which takes its hanzi's code
    (Guo Qiang, Qiang Guo and 郭强 are one holder), and one word in letters that is no
    pinyin name (Cherry, an English or WeChat name), which names no one in particular,
    like a bare surname. Only those names are rebuilt."""
    dropped = np.fromiter((not _names_someone(t) for t in vocab), bool, len(vocab))
    has = np.zeros(len(codes), dtype=bool)
    has[owner[dropped[tok]]] = True
    if chinese:
        has[latin] = True
    if not has.any():
        return codes
    out = codes.copy()
    at = np.full(len(codes), -1, dtype=np.int64)
    at[latin] = np.arange(len(latin))
    fresh = len(table)  # codes + 1 run from 0 ("") to len(table) - 1
    for i in np.flatnonzero(has).tolist():
        kept = [t for t in toks[at[i]] if _names_someone(t)]
        code = None
        if chinese and kept:  # pinyin, surname first or last
            for order in (kept, kept[::-1], kept[-1:] + kept[:-1]):
                if (code := table.get("".join(order))) is not None:
                    break
        if code is None and chinese and len(kept) == 1:
            code = 0  # one word in letters among Chinese names (Cherry): nobody in particular
        if code is None:
            key = " ".join(sorted([sound_of[t] for t in kept]))
            code = table.get(key)
            if code is None:
                code = table[key] = fresh
                fresh += 1
        out[i] = code - 1  # "" (only initials and titles) -> -1
    return out


def _name_keys(uniq: list[str]) -> PerValue:
    """A person-name field's derived keys per distinct name. Latin names are handled
    token by token with arrays over all their tokens (a token's sound is worked out
    once, not once per name it is in)."""
    n = len(uniq)
    cjk = np.zeros(n, dtype=bool)
    if not "".join(uniq).isascii():
        cjk = np.fromiter((not s.isascii() and has_cjk(s) for s in uniq), bool, n)
    at_cjk = np.flatnonzero(cjk).tolist()
    latin = np.flatnonzero(~cjk)
    chinese = [uniq[i] for i in at_cjk]
    syll = np.full(n, "", dtype=object)
    syll[at_cjk] = [syllables(s) for s in chinese]
    # every token of every Latin name, flat, with its name and its code in `vocab`
    toks = [uniq[i].split() for i in latin.tolist()]
    ntok = np.fromiter(map(len, toks), np.int64, len(toks))
    table: defaultdict[str, int] = defaultdict(count().__next__)
    tok = np.fromiter(map(table.__getitem__, chain.from_iterable(toks)), np.int64, ntok.sum())
    vocab = list(table)
    sound_of = {t: metaphone_token(t) for t in vocab}
    owner = np.repeat(latin, ntok)
    first = np.cumsum(ntok) - ntok
    many = ntok >= 2
    out: PerValue = {"syllables": (syll, ""), "cjk": (cjk, False)}

    phonetic = [""] * n
    for i, s in zip(at_cjk, chinese, strict=True):
        phonetic[i] = name_phonetic(s)
    for i, ts in zip(latin.tolist(), toks, strict=True):
        phonetic[i] = " ".join(sorted([sound_of[t] for t in ts]))
    sound_codes, sound_table = _encode_keeping_table(phonetic)
    out["phonetic"] = (sound_codes, -1)
    # who a name is, when telling a value's holders apart: its sound without initials,
    # titles and suffixes (Daniel J. Torres, Mr. Robert Thomas, David Reese Sr. are
    # Daniel Torres, Robert Thomas, David Reese)
    holder = _holder_codes(
        sound_codes, sound_table, vocab, sound_of, toks, tok, owner, latin, bool(at_cjk)
    )
    out["holder"] = (holder, -1)

    # blocking keys: each Latin token of two letters or more by sound, a Chinese
    # name's given name by sound (either survives a typo in the other part)
    sounds: defaultdict[str, int] = defaultdict(count().__next__)
    sound_code = np.fromiter(map(sounds.__getitem__, sound_of.values()), np.int64, len(vocab))
    long_tok = np.fromiter(map(len, vocab), np.int64, len(vocab)) >= 2
    keep = long_tok[tok]
    key_owner, key = owner[keep], sound_code[tok[keep]]
    given = [
        (i, sounds[name_phonetic(s[1:])])
        for i, s in zip(at_cjk, chinese, strict=True)
        if len(s) >= 3
    ]
    if given:
        key_owner = np.r_[key_owner, np.asarray([g[0] for g in given], dtype=np.int64)]
        key = np.r_[key, np.asarray([g[1] for g in given], dtype=np.int64)]
    out["tokens"] = _grouped(key_owner, key, n)  # one key once per name
    # what comparing two Latin names reads: their tokens sorted (token_sort is the
    # plain ratio of those) and their distinct tokens (is one name inside the other?)
    sorted_text = np.full(n, "", dtype=object)
    sorted_text[latin] = [" ".join(sorted(ts)) for ts in toks]
    out["sorted_text"] = (sorted_text, "")
    out["token_set"] = _grouped(owner, tok, n)
    out["nicknames"] = (_nickname_pairs(vocab), len(vocab))

    surname = [""] * n
    for i in at_cjk:
        surname[i] = syll[i][:1]
    out["surname"] = (encode(surname), -1)
    last_token = np.full(n, -1, dtype=np.int64)  # a token's code in `vocab` is its key
    last_token[latin[many]] = tok[(first + ntok - 1)[many]]
    out["last_token"] = (last_token, -1)
    initial_of = encode([t[0] for t in vocab])
    initial = np.full(n, -1, dtype=np.int64)
    initial[latin[many]] = initial_of[tok[first[many]]]
    out["initial"] = (initial, -1)
    short_first = np.zeros(n, dtype=bool)
    short_first[latin[many]] = ~long_tok[tok[first[many]]]
    out["short_first"] = (short_first, False)
    return out


def latin_place(key: str) -> Place:
    """The place of an address key with no Chinese in it: no province, city or
    district; its street start is its first two words ('1578 henderson')."""
    return ("", "", "", " ".join(key.split(" ", 2)[:2]))


def _field_places(
    uniq: list[str],
    multi_values: list[tuple[str, ...]] | None,
    known: dict[str, tuple[str, str, str, str]],
) -> dict[str, tuple[str, str, str, str]]:
    out = {s: known.get(s) or _split_key(s) for s in uniq}
    for vals in multi_values or ():
        for s in vals:
            if s not in out:
                out[s] = known.get(s) or _split_key(s)
    return out


_NON_DIGITS = re.compile(r"\D+")
_NON_DIGITS_BUT_SEP = re.compile(r"[^\d\x00]+")


def _digits(values: list[str]) -> list[str]:
    """'#' and the digits of each value, from one pass over all of them joined."""
    text = "\x00".join(values)
    if not values or text.count("\x00") != len(values) - 1:  # a value holds the separator
        return ["#" + _NON_DIGITS.sub("", s) for s in values]
    return ["#" + d for d in _NON_DIGITS_BUT_SEP.sub("", text).split("\x00")]


def encode(strings: list[str], lookup: dict[str, int] | None = None) -> np.ndarray:
    """Integer code per string ("" -> -1); equal strings get equal codes: `lookup`'s
    (codes 0..len-1) for its strings, the next free ones in order of first sight for
    the others."""
    return _encode_keeping_table(strings, lookup)[0]


def _encode_keeping_table(
    strings: list[str], lookup: dict[str, int] | None = None
) -> tuple[np.ndarray, dict[str, int]]:
    """`encode`, and its table (string -> code + 1, "" -> 0) for later lookups."""
    known = lookup or {}
    # one C-level pass: every code one higher while counting, "" taking 0
    table: defaultdict[str, int] = defaultdict(count(len(known) + 1).__next__)
    table[""] = 0
    table.update((k, v + 1) for k, v in known.items())
    codes = np.fromiter(map(table.__getitem__, strings), np.int64, count=len(strings)) - 1
    return codes, table


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
