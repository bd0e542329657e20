"""Turn records into columns of normalized values, once, for every later stage."""

from __future__ import annotations

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


def _address_key(value: object) -> str | None:
    # A canonical spelling: "广东深圳南山区X路" and "广东省深圳市南山区X路" become equal.
    parts = split_cn_address(value)
    key = "".join(p for p in (parts.province, parts.city, parts.district) if p) + parts.rest
    return key or None


def _category_key(value: object) -> str | None:
    # 北京 / 北京市 / 北京市 are one city: admin names go to their official spelling
    text = normalize_text(value)
    if text and has_cjk(text):
        parts = split_cn_address(text)
        if not parts.rest:
            return parts.district or parts.city or parts.province or text
    return text


def normalizer_for(ftype: FieldType, region: str) -> Callable[[object], str | None]:
    return {
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
    }[ftype]


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
    counts: Counter[str]
    phonetic: np.ndarray | None = None  # person names: pinyin / metaphone key
    district: np.ndarray | None = None  # addresses: district-level name (or "")
    # per-record derived keys as integer codes (-1 = none), so that comparing a pair
    # is an array lookup, not a Python call: built once per record, not once per pair
    derived: dict[str, np.ndarray] = field(default_factory=dict)

    syllables: np.ndarray | None = None  # Chinese names: one character per syllable

    def __post_init__(self) -> None:
        self.total = max(sum(self.counts.values()), 1)


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
    out: list[tuple[str, ...]] = []
    for cell in cells:
        if type(cell) is str:
            hit = seen.get(cell)
            if hit is None:
                hit = seen[cell] = _cell_values(cell, norm)
            out.append(hit)
        else:
            out.append(_cell_values(cell, norm))
    return out


def prepare(records: Sequence[Mapping[str, Any]], spec: MatchSpec) -> Prepared:
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
    for name, ftype in spec.fields.items():
        norm = normalizer_for(ftype, spec.region)
        values = _column_values([rec.get(name) for rec in records], norm)
        prep.fields[name] = build_field(name, ftype, values)
    place = _locality_field(prep)
    if place is not None:
        prep.fields[place.name] = place
    return prep


LOCALITY_FIELD = "~locality"


def _locality_field(prep: Prepared) -> FieldData | None:
    """Each record's place pooled from its Chinese address and region categories, so
    that a city written in one column meets the same city inside another record's
    address. None when the spec has no such columns (or no Chinese places)."""
    sources = [
        fd for fd in prep.fields.values() if fd.type in (FieldType.ADDRESS, FieldType.CATEGORY)
    ]
    if not sources:
        return None
    paths: list[tuple[str, str, str]] = []
    for i in range(prep.n):
        prov = city = dist = ""
        for fd in sources:
            for v in fd.values[i][:1]:
                if not has_cjk(v):
                    continue
                parts = split_cn_address(v)
                if fd.type is FieldType.CATEGORY and parts.rest:
                    continue  # not an administrative name
                prov, city, dist = (
                    prov or parts.province or "",
                    city or parts.city or "",
                    dist or parts.district or "",
                )
        paths.append((prov, city, dist))
    if not any(p[0] or p[1] for p in paths):
        return None
    values = [("|".join(p),) if (p[0] or p[1]) else () for p in paths]
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


def build_field(name: str, ftype: FieldType, values: list[tuple[str, ...]]) -> FieldData:
    first = np.array([v[0] if v else "" for v in values], dtype=object)
    lookup: dict[str, int] = {}
    codes = np.fromiter(
        (lookup.setdefault(v[0], len(lookup)) if v else -1 for v in values),
        dtype=np.int64,
        count=len(values),
    )
    counts: Counter[str] = Counter(x for v in values for x in v)
    fd = FieldData(name, ftype, values, first, codes, any(len(v) > 1 for v in values), counts)
    first_list = first.tolist()
    if ftype is FieldType.PERSON_NAME:
        fd.phonetic = np.array([name_phonetic(s) if s else "" for s in first_list], dtype=object)
        cjk = [bool(s) and has_cjk(s) for s in first_list]
        fd.derived["cjk"] = np.asarray(cjk, dtype=bool)
        fd.derived["phonetic"] = encode(fd.phonetic.tolist())
        syll = [syllables(s) if c else "" for s, c in zip(first_list, cjk, strict=True)]
        fd.derived["surname"] = encode([x[:1] for x in syll])
        fd.syllables = np.array(syll, dtype=object)
        toks = [s.split() if s and not c else [] for s, c in zip(first_list, cjk, strict=True)]
        fd.derived["last_token"] = encode([t[-1] if len(t) >= 2 else "" for t in toks])
        fd.derived["initial"] = encode([t[0][0] if len(t) >= 2 else "" for t in toks])
        fd.derived["short_first"] = np.array([len(t) >= 2 and len(t[0]) == 1 for t in toks])
    if ftype is FieldType.ADDRESS:
        fd.district = np.array([_district(s) if s else "" for s in first_list], dtype=object)
        fd.derived["district"] = encode(fd.district.tolist())
    if ftype is FieldType.DATE:  # "2001-03-06" vs "2001-06-03": day and month swapped
        fd.derived["swapped"] = encode(
            [f"{s[:4]}-{s[8:10]}-{s[5:7]}" if s else "" for s in first_list], lookup
        )
    if ftype is FieldType.POSTCODE:
        fd.derived["area"] = encode([s[:3] for s in first_list])
    if ftype is FieldType.IDENTIFIER:
        fd.derived["length"] = np.fromiter((len(s) for s in first_list), np.int64, len(values))
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


@lru_cache(maxsize=1 << 18)
def syllables(name: str) -> str:
    """A Chinese name as one private-use character per pinyin syllable, so that
    rapidfuzz's Levenshtein counts differing *sounds* (王小明/王晓明 0, 王小明/王明 1)."""
    return "".join(
        _SYLLABLE_CODES.setdefault(char_pinyin(c), chr(0xE000 + len(_SYLLABLE_CODES))) for c in name
    )


@lru_cache(maxsize=1 << 18)
def _district(key: str) -> str:
    parts = split_cn_address(key)
    return parts.district or parts.city or ""
