"""Known Chinese provinces and prefecture-level cities (data in ``regions_cn.json``).

Names are compared after NFKC folding, whitespace removal and traditional → simplified
conversion (OpenCC ``t2s``), and both the official name (``广东省``, ``延边朝鲜族自治州``)
and the short name (``广东``, ``延边``) are accepted.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from opencc import OpenCC

_DATA = Path(__file__).with_name("regions_cn.json")
_PROVINCE_SUFFIX = re.compile(r"(特别行政区|自治区|省|市)$")
_CITY_SUFFIX = re.compile(r"(自治州|地区|林区|盟|市|县)$")
_ETHNIC = re.compile(
    r"(朝鲜|土家|布依|哈尼|景颇|傈僳|蒙古|哈萨克|柯尔克孜|维吾尔|苗|侗|彝|傣|藏|羌|回|白|壮|黎)族?$"
)
_T2S = OpenCC("t2s")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC, no whitespace, simplified characters: the form names are compared in."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(text.split())
    return _T2S.convert(text)


def short_name(full: str, *, city: bool = False) -> str:
    """``广西壮族自治区`` → ``广西``; ``黔东南苗族侗族自治州`` → ``黔东南`` (keeps ≥ 2 chars)."""
    name = (_CITY_SUFFIX if city else _PROVINCE_SUFFIX).sub("", full)
    if len(name) < 2:
        return full
    while True:
        stripped = _ETHNIC.sub("", name)
        if stripped == name or len(stripped) < 2:
            return name
        name = stripped


class Regions:
    """Lookup tables built once from the data file."""

    def __init__(self, data: dict) -> None:
        self.cities_of: dict[str, tuple[str, ...]] = {
            p: tuple(cs) for p, cs in data["provinces"].items()
        }
        self.province_index: dict[str, str] = {}
        self.city_index: dict[str, set[str]] = {}  # folded name -> provinces holding it
        self.city_full: dict[str, str] = {}
        for province, cities in self.cities_of.items():
            for key in {province, short_name(province)}:
                self.province_index[key] = province
            for city in cities:
                for key in {city, short_name(city, city=True)}:
                    self.city_index.setdefault(key, set()).add(province)
                    self.city_full.setdefault(key, city)
        for alias, target in data.get("aliases", {}).items():
            if target in self.cities_of:
                self.province_index[alias] = target
            else:
                for key, provinces in list(self.city_index.items()):
                    if self.city_full.get(key) == target:
                        for name in {alias, short_name(alias, city=True)}:
                            self.city_index.setdefault(name, set()).update(provinces)
                            self.city_full.setdefault(name, target)

    def province(self, value: str) -> str | None:
        """Official province name for any accepted spelling, else None."""
        return self.province_index.get(fold(value))

    def city(self, value: str) -> str | None:
        """Official city name for any accepted spelling, else None."""
        return self.city_full.get(fold(value))

    def city_in_province(self, city: str, province: str) -> bool:
        prov = self.province(province)
        holders = self.city_index.get(fold(city), set())
        return prov is not None and prov in holders


@lru_cache(maxsize=1)
def regions() -> Regions:
    return Regions(json.loads(_DATA.read_text(encoding="utf-8")))
