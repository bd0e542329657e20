"""Phone numbers to (E.164, is_mobile), as phonenumbers would parse and type them.

phonenumbers costs 30 to 60 us a number, mostly in `parse`. Three paths give its answer
faster for the shapes that make up most customer tables:

* a well-formed Chinese mobile or North American number: one regular expression;
* a number of a region that is alone on its country code (Germany, France, China...)
  written nationally ("069 5100 7108") or with its own country code ("+49 69 ..."),
  behind a label ("M:", "手机:") or not: the national prefix is stripped and the number
  typed by the region's own metadata patterns, the way phonenumbers' `parse` and
  `number_type` do it;
* everything else (other countries, extensions, letters, odd prefixes): phonenumbers.

`tests/dedupe/test_phones.py` holds the second path to phonenumbers' answer.
`parse_phone_cell` reads a cell a little further than phonenumbers does: a number
followed by a Chinese extension or by a note gives that number. `parse_phone_text` goes
further still where the separators matter: several numbers in one cell, an extension
after a dash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

__all__ = [
    "MASK",
    "PHONE_JUNK",
    "masked_key",
    "parse_compact_phone",
    "parse_phone_cell",
    "parse_phone_text",
    "read_as_typed",
    "well_formed",
]

# separators people type inside a number; what is left is the "compact" number
PHONE_JUNK = re.compile(r"[\s\-().·/]+")
_SIGNED_DIGITS = re.compile(r"(\+?)([0-9]+)")
# a number behind a label ("M:", "手机:") and before trailing marks ("。", "*"): phonenumbers
# skips to the first digit or plus and drops trailing characters that are neither
# letters, digits nor "#", so it reads the number in the middle alone
_LABELLED = re.compile(r"[^\d+\uff0b;]*(\+?[0-9]+)(?:_|[^#\w])*")


@lru_cache(maxsize=64)
def well_formed(region: str) -> re.Pattern[str]:
    """One pattern per region: group 1 a Chinese mobile, group 2 a NANP number. A
    country code is optional only for the region's own numbers."""
    cn = r"(?:\+?86|0086)?" if region == "CN" else r"(?:\+86|0086)"
    nanp = r"(?:\+?1)?" if region in ("US", "CA") else r"\+1"
    return re.compile(rf"^(?:{cn}(1[3-9]\d{{9}})|{nanp}([2-9]\d{{2}}[2-9]\d{{6}}))$")


# what may follow the number in a cell, once separators are gone: a Chinese extension
# (转 / 分机 and its digits) or a note without digits (微信同号, 同微信, "mobile")
_EXTENSION_OR_NOTE = re.compile(r"(?:(?:转|分机)[0-9]{1,6}|[^\d]*[^\W\d_][^\d]*)$")


def parse_phone_cell(compact: str, region: str) -> tuple[str, bool] | None:
    """`parse_compact_phone`, and where that finds no number, the same without what
    follows the number: the extension of a switchboard ("0755-6422 7039 转3912": the
    company's number), a note ("173 7865 1510 微信同号"). phonenumbers reads extensions
    written "ext", "x" or "#" itself, but not these."""
    parsed = parse_compact_phone(compact, region)
    if parsed is None and (m := _EXTENSION_OR_NOTE.search(compact)) is not None and m.start():
        parsed = parse_compact_phone(compact[: m.start()], region)
    return parsed


# between two numbers in one cell: "139... / 010-...", "139...、0871...", "139...,139..."
# ("/" alone is also typed inside one number: "0421/123456" parses whole, before this)
_BETWEEN_NUMBERS = re.compile(r"\s*[/,;|\uff0c\u3001\uff1b]\s*")
# a switchboard's extension after a dash: "0731-32785790-1377", "(020)43926679-4689"
_DASH_EXTENSION = re.compile(r"(.*[0-9)\uff09])\s*[-\uff0d]\s*[0-9]{1,5}")


MASK = "*"
# a Chinese mobile with its middle four digits masked, as shops and e-commerce exports
# print it ("177****1591", "177xxxx1591"): kept as "+86177****1591" (see masked_key)
_MASKED_CN_MOBILE = re.compile(r"(\+86|0086|86)?(1[3-9][0-9])[*xX]{4}([0-9]{4})")


def masked_key(e164: str) -> str:
    """What a masked Chinese mobile shows, "177|1591", for it and for every full Chinese
    mobile it may be; "" for other numbers."""
    if len(e164) == 14 and e164.startswith("+861"):
        return e164[3:6] + "|" + e164[-4:]
    return ""


def parse_phone_text(text: str, region: str) -> tuple[str, bool] | None:
    """`parse_phone_cell` of the cell without separators, and where that finds no number,
    a reading of the cell as typed: several numbers give the first mobile among them,
    else the first number (a person's own line, where a cell also holds the office's);
    a number whose last dash starts an extension of up to five digits gives the number
    before it (the company's switchboard)."""
    parsed = parse_phone_cell(PHONE_JUNK.sub("", text), region)
    return parsed if parsed is not None else read_as_typed(text, region)


def read_as_typed(text: str, region: str) -> tuple[str, bool] | None:
    """The second half of `parse_phone_text`: for a cell whose compact form is no number."""
    if (m := _MASKED_CN_MOBILE.fullmatch(PHONE_JUNK.sub("", text))) is not None and (
        region == "CN" or m[1]
    ):
        return "+86" + m[2] + MASK * 4 + m[3], True
    parts = [p for p in _BETWEEN_NUMBERS.split(text) if p]
    if len(parts) > 1:
        found = [f for f in (parse_phone_text(p, region) for p in parts) if f is not None]
        return next((f for f in found if f[1]), found[0] if found else None)
    if (m := _DASH_EXTENSION.fullmatch(text.strip())) is not None:
        return parse_phone_cell(PHONE_JUNK.sub("", m[1]), region)
    return None


def parse_compact_phone(compact: str, region: str) -> tuple[str, bool] | None:
    """(E.164, is_mobile) or None for a number without separators."""
    m = well_formed(region).match(compact)
    if m is not None:  # NANP numbers do not tell mobile from landline
        return ("+86" + m[1], True) if m[1] else ("+1" + m[2], True)
    plan = _plan(region)
    if (
        plan is not None
        and (labelled := _LABELLED.fullmatch(compact)) is not None
        and (nsn := plan.national_number(labelled[1])) is not None
    ):
        mobile = plan.mobile(nsn)
        return None if mobile is None else (plan.plus_cc + nsn, mobile)
    return _parse_by_library(compact, region)


def _parse_by_library(compact: str, region: str) -> tuple[str, bool] | None:
    try:
        num = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException:
        return None
    # number_type is UNKNOWN for a number that fits no pattern of its region: one
    # metadata scan answers both "valid?" and "mobile?" (is_valid_number scans again)
    kind = phonenumbers.number_type(num)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return None
    mobile = kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    return f"+{num.country_code}{phonenumbers.national_significant_number(num)}", mobile


@dataclass(frozen=True)
class _Desc:
    """One of a region's number descriptions (general, fixed line, mobile, ...)."""

    lengths: frozenset[int]  # empty: any length the general description allows
    pattern: re.Pattern[str] | None

    def fits(self, nsn: str) -> bool:
        if self.lengths and len(nsn) not in self.lengths:
            return False
        return self.pattern is not None and self.pattern.fullmatch(nsn) is not None


def _desc(desc: object) -> _Desc:
    pattern = getattr(desc, "national_number_pattern", None)
    return _Desc(
        frozenset(getattr(desc, "possible_length", None) or ()),
        re.compile(pattern) if pattern else None,
    )


@dataclass(frozen=True)
class _Plan:
    """What phonenumbers does with a region's numbers, for regions simple enough."""

    cc: str
    plus_cc: str
    idd: re.Pattern[str]
    prefix: re.Pattern[str] | None  # the national prefix, as the region parses it
    general: _Desc
    lengths: frozenset[int]  # the general lengths of a complete (not local-only) number
    other_types: tuple[_Desc, ...]  # premium rate, toll free, ..., voicemail: not mobile
    fixed: _Desc
    mobile_desc: _Desc
    same_fixed_and_mobile: bool

    def national_number(self, compact: str) -> str | None:
        """The national significant number phonenumbers would find, or None when the
        number needs phonenumbers itself to say (another country, an odd shape)."""
        m = _SIGNED_DIGITS.fullmatch(compact)
        if m is None:
            return None
        digits = m[2]
        if m[1] or (idd := self.idd.match(digits)) is not None:
            rest = digits if m[1] else digits[idd.end() :]  # type: ignore[union-attr]
            if not rest.startswith(self.cc):
                return None
            nsn = rest[len(self.cc) :]
        elif digits.startswith(self.cc):
            return None  # maybe the country code without "+": phonenumbers weighs that
        else:
            nsn = digits
        if self.prefix is not None and (p := self.prefix.match(nsn)) is not None:
            nsn = nsn[p.end() :]  # with a carrier code (China's 17951) if the prefix has one
        # a leading zero (Italy) or a number that is not complete without its prefix
        # is parsed differently: leave those to phonenumbers
        if nsn[:1] in ("", "0") or len(nsn) not in self.lengths or not self.general.fits(nsn):
            return None
        return nsn

    def mobile(self, nsn: str) -> bool | None:
        """phonenumbers' number_type on a number that fits the general description:
        None when it fits no type, else whether it is (or may be) a mobile."""
        if any(d.fits(nsn) for d in self.other_types):
            return False
        if self.fixed.fits(nsn):
            return self.same_fixed_and_mobile or self.mobile_desc.fits(nsn)
        if not self.same_fixed_and_mobile and self.mobile_desc.fits(nsn):
            return True
        return None


_OTHER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


@lru_cache(maxsize=64)
def _plan(region: str) -> _Plan | None:
    """The fast path for a region, or None where phonenumbers must parse every number:
    a country code shared by several regions (which one types the number depends on
    the number), a national prefix that is rewritten rather than dropped."""
    md = PhoneMetadata.metadata_for_region(region)
    if md is None or md.country_code is None or md.international_prefix is None:
        return None
    if md.general_desc is None:
        return None
    if phonenumbers.region_codes_for_country_code(md.country_code) != (region,):
        return None
    if md.national_prefix_transform_rule:
        return None
    prefix = md.national_prefix_for_parsing
    general = _desc(md.general_desc)
    local_only = frozenset(md.general_desc.possible_length_local_only or ())
    return _Plan(
        cc=str(md.country_code),
        plus_cc=f"+{md.country_code}",
        idd=re.compile(md.international_prefix),
        prefix=re.compile(prefix) if prefix else None,
        general=general,
        lengths=general.lengths - local_only,
        other_types=tuple(_desc(getattr(md, name)) for name in _OTHER_TYPES),
        fixed=_desc(md.fixed_line),
        mobile_desc=_desc(md.mobile),
        same_fixed_and_mobile=bool(md.same_mobile_and_fixed_line_pattern),
    )
