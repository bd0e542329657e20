"""The fast paths of `dedupe.phones` give phonenumbers' own answer."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from dedupe.phones import _parse_by_library, _plan, parse_compact_phone, well_formed

# regions with a fast plan, and some without one (shared country codes, carrier codes)
REGIONS = ["DE", "FR", "NL", "CH", "AT", "BE", "ES", "PL", "SE", "IN", "CN", "GB", "US", "IT",
           "JP", "BR", "RU", "AR", "AU", "MX"]  # fmt: skip


def _shapes(region: str, rng: random.Random) -> list[str]:
    """Compact numbers as customers write them: the region's example numbers of every
    type (national, with "+cc", "00cc", "+cc0", a carrier prefix), one-digit edits and
    cuts of those, foreign numbers and random digit strings."""
    cc = str(phonenumbers.country_code_for_region(region))
    out = []
    for kind in range(12):  # every PhoneNumberType with examples
        ex = phonenumbers.example_number_for_type(region, kind)
        if ex is None:
            continue
        nsn = phonenumbers.national_significant_number(ex)
        variants = [nsn, nsn[:-1], nsn + "5", nsn[:3] + "0" + nsn[4:], "0" + nsn[1:]]
        for _ in range(6):
            i = rng.randrange(len(nsn))
            variants.append(nsn[:i] + rng.choice("0123456789") + nsn[i + 1 :])
        for v in variants:
            out += [v, "0" + v, "00" + v, "+" + cc + v, "00" + cc + v, "+" + cc + "0" + v, cc + v]
            out += ["17951" + v, "179510" + v]  # a Chinese carrier prefix
    for _ in range(300):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 16)))
        out += [digits, "0" + digits, "+" + cc + digits, "+" + digits, "00" + digits]
    out += ["+4930123456", "+33612345678", "+8613800138000", "0049301234567", "", "+", "0"]
    out += ["0301234567x12", "++49301234567", "+49(0)301234567", "0800FLOWERS"]
    # behind a label, before a note or a mark, as CRM cells hold them
    labels = ["", "M:", "Mob:", "手机:", "tel:", "Tel.", "电话", "x", ";", "a1", "＋"]
    tails = ["", "。", "*", "_", "#", "x12", "转8001", "同微信", "abc", "!", "2"]
    for core in out[:: max(1, len(out) // 300)]:
        out += [rng.choice(labels) + core + rng.choice(tails) for _ in range(3)]
    return out


@pytest.mark.parametrize("region", REGIONS)
def test_fast_paths_agree_with_phonenumbers(region: str) -> None:
    rng = random.Random(region)
    # the first path (a regular expression for Chinese mobiles and NANP numbers) is
    # knowingly looser than phonenumbers: it accepts an unassigned area code
    shapes = [c for c in _shapes(region, rng) if not well_formed(region).match(c)]
    assert len(shapes) > 1000
    for compact in shapes:
        assert parse_compact_phone(compact, region) == _parse_by_library(compact, region), (
            region,
            compact,
        )


def test_simple_regions_have_a_plan() -> None:
    # the regions the fast path is for; a shared code or carrier prefixes go the slow way
    assert all(_plan(r) is not None for r in ("DE", "FR", "NL", "CH", "AT", "IN", "CN"))
    assert all(_plan(r) is None for r in ("GB", "US", "BR", "AR", "JP", "RU"))


def test_german_numbers() -> None:
    assert parse_compact_phone("06951007108", "DE") == ("+496951007108", False)
    assert parse_compact_phone("+4917593145844", "DE") == ("+4917593145844", True)
    assert parse_compact_phone("004917593145844", "DE") == ("+4917593145844", True)
    assert parse_compact_phone("+49017593145844", "DE") == ("+4917593145844", True)
    assert parse_compact_phone("12", "DE") is None


def test_chinese_landlines() -> None:
    assert parse_compact_phone("01065529988", "CN") == ("+861065529988", False)
    assert parse_compact_phone("+8602162345678", "CN") == ("+862162345678", False)
    # an IP-dialling carrier prefix before the number, as phonenumbers drops it
    assert parse_compact_phone("179511065529988", "CN") == ("+861065529988", False)
    assert parse_compact_phone("1795113800138000", "CN") == ("+8613800138000", True)
