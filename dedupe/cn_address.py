"""Chinese address splitting into province / city / district / rest.

The administrative names come from the adcode table shipped by the maintained `cpca`
package. We do not call `cpca.transform` itself: it goes through pandas per batch and
costs ~60 us per address, too slow for a million rows; a prefix match over the same
table is ~2 us and handles the shape customer addresses really have (hierarchy first,
any level possibly left out, short forms such as 广东深圳南山).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from dedupe.chars import has_cjk, to_simplified

__all__ = ["CnAddress", "region_prefix_len", "split_cn_address"]

# Suffixes people leave out ("广东深圳南山区"); longest first.
_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "地区",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
)


class CnAddress(NamedTuple):
    province: str | None
    city: str | None
    district: str | None
    rest: str


# A level's names indexed by their first two characters, longest name first: a lookup
# is one dict hit and a few startswith() calls.
_Index = dict[str, list[tuple[str, list[str]]]]


class _Table(NamedTuple):
    # name or short name -> adcodes (several: 朝阳区 is in Beijing and Changchun)
    province: _Index
    city: _Index
    district: _Index
    names: dict[str, str]  # adcode prefix -> official name


def _short(name: str) -> str | None:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


@cache
def _table() -> _Table:
    # find_spec locates the package without importing it (cpca's import pulls in pandas)
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the cpca package (administrative divisions data) is missing")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    province: dict[str, list[str]] = {}
    city: dict[str, list[str]] = {}
    district: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code, name = row["adcode"], row["name"]
            if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
                continue  # placeholders, not places people write
            if code[2:] == "0000000000":
                level, key = province, code[:2]
            elif code[4:] == "00000000":
                level, key = city, code[:4]
            elif code[6:] == "000000":
                level, key = district, code[:6]
            else:
                continue
            names[key] = name
            for alias in {name, _short(name)} - {None}:
                level.setdefault(alias, []).append(key)  # type: ignore[arg-type]
    return _Table(_index(province), _index(city), _index(district), names)


def _index(level: dict[str, list[str]]) -> _Index:
    out: _Index = {}
    for name in sorted(level, key=lambda n: (-len(n), n)):
        out.setdefault(name[:2], []).append((name, level[name]))
    return out


def _match(text: str, pos: int, level: _Index, parent: str | None) -> tuple[str, int] | None:
    """Longest name of this level at text[pos:], consistent with the parent adcode."""
    for name, codes in level.get(text[pos : pos + 2], ()):
        if text.startswith(name, pos):
            for code in codes:
                if parent is None or code.startswith(parent):
                    return code, pos + len(name)
    return None


_JUNK = re.compile(r"[\s,，、]+")


@lru_cache(maxsize=1 << 12)
def split_cn_address(value: object) -> CnAddress:
    """'廣東省深圳市南山区科技园1号' -> CnAddress('广东省', '深圳市', '南山区', '科技园1号').

    Levels not written are inferred from the ones that are (南山区 alone gives its city
    and province) when that is unambiguous; the rest keeps everything after the last
    recognised level. Non-Chinese text comes back whole in `rest`.
    """
    from dedupe.normalize import normalize_text  # normalize imports this module

    raw = unicodedata.normalize("NFKC", str(value or ""))
    if not has_cjk(raw):
        return CnAddress(None, None, None, normalize_text(raw) or "")
    text = _JUNK.sub("", raw)
    text = to_simplified(text)
    t = _table()
    pos, parent = 0, None
    found: dict[str, str] = {}
    for label, level in (("province", t.province), ("city", t.city), ("district", t.district)):
        hit = _match(text, pos, level, parent)
        if hit:
            found[label], pos = hit
            parent = hit[0]
            if label == "province" and t.names.get(hit[0], "").endswith("市"):
                # municipalities are often written twice (上海市上海市青浦区): the city
                # level has no entry of their own name, so step over the repeat
                again = _match(text, pos, level, parent)
                if again:
                    pos = again[1]
    codes = list(found.values())
    deepest = codes[-1] if codes else None
    if deepest is None:
        return CnAddress(None, None, None, text)
    prov = t.names.get(deepest[:2])
    city = t.names.get(deepest[:4]) if len(deepest) >= 4 else None
    if city is None and prov and prov.endswith("市"):
        city = prov  # municipalities: the city is the province
    dist = t.names.get(deepest[:6]) if len(deepest) >= 6 else None
    return CnAddress(prov, city, dist, text[pos:])


def region_prefix_len(text: str) -> int:
    """Length of a leading province/city name (北京, 广东省深圳) in an already
    simplified string, 0 if none: company names often start with one."""
    t = _table()
    pos, parent = 0, None
    for level in (t.province, t.city):
        hit = _match(text, pos, level, parent)
        if hit:
            parent, pos = hit
    return pos
