"""Generated input as real sources send it: any Unicode, NUL and control characters,
huge values, wrong types, missing fields and keys repeated within and across pages."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from connectors.contract import RawRecord

#: characters people and exports produce, weighted towards the ones that break things:
#: C0/C1 controls with NUL, CJK, astral characters (emoji, CJK extension B), full-width
#: forms, combining marks, BOM / zero-width / line and paragraph separators
_ODD = "\x00\x01\x07\x08\x0b\x0c\x1b\x1f\x7f\x80\x85\x9f\ufeff\u200b\u2028\u2029\ufffd"
_CJK = "张伟李娜王芳刘洋陈静杨磊微信用户未知匿名公司有限责任省市区路号"
_ASTRAL = "\U0001f600\U0001f4a9\U00020000\U0002a6d6\U0001d11e\U0010fffd"
_WIDE = "ＡＢＣ０１２，；、（）　"
_PLAIN = "abcXYZ 019@.+-_,;\"'\n\r\t"

chars_no_surrogates = st.one_of(
    st.sampled_from(_ODD + _CJK + _ASTRAL + _WIDE + _PLAIN),
    st.characters(exclude_categories=["Cs"]),  # any code point but lone surrogates
)
#: what an in-process source can hand over: lone surrogates too (a bad decoder's output)
chars_any = st.one_of(chars_no_surrogates, st.characters(categories=["Cs"]))


def texts(chars: st.SearchStrategy[str] = chars_any, max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(chars, max_size=max_size)


def huge(chars: st.SearchStrategy[str] = chars_any) -> st.SearchStrategy[str]:
    """A value of 100k to 300k characters (a pasted document, a runaway export)."""
    return st.builds(lambda c, n: (c or "x") * n, texts(chars, 3), st.integers(100_000, 300_000))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308]),
)


def values(chars: st.SearchStrategy[str] = chars_any) -> st.SearchStrategy[Any]:
    """Anything where a string is expected: text, huge text, numbers, lists, dicts, None."""
    leaf = st.one_of(texts(chars), scalars)
    nested = st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(texts(chars, 8), inner, max_size=4)
        ),
        max_leaves=8,
    )
    return st.one_of(texts(chars), texts(chars), nested, huge(chars).filter(lambda _: True))


#: field names a mapping looks for, and names it does not know
FIELD_NAMES = (
    "name",
    "mobile",
    "email",
    "phones",
    "company_name",
    "customer_type",
    "address",
    "province",
    "city",
    "uscc",
    "tags",
    "owner",
    "source_updated_at",
    "wecom_external_userid",
)


def payloads(
    names: tuple[str, ...] = FIELD_NAMES, chars: st.SearchStrategy[str] = chars_any
) -> st.SearchStrategy[Any]:
    """A payload: mostly a dict of known fields (any of them missing) and odd ones, some
    times no dict at all."""
    known = st.dictionaries(st.sampled_from(names), values(chars), max_size=len(names))
    odd_keys = st.dictionaries(texts(chars, 12), values(chars), max_size=3)
    as_dict = st.builds(lambda a, b: {**b, **a}, known, odd_keys)
    return st.one_of(as_dict, as_dict, as_dict, st.none(), values(chars))


#: a small pool, so keys repeat within a page and across pages
_KEY_POOL = ["C1", "C2", "C3", "客户-4", "C\x005", "K" * 300, "\U0001f600" * 70, " C1 "]
keys = st.one_of(
    st.sampled_from(_KEY_POOL),
    texts(chars_any, 20),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.builds(lambda c, n: c * n, texts(chars_any, 2), st.integers(250, 2000)),
    st.none(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def raw_records(draw: st.DrawFn) -> RawRecord:
    """A record as a connector might build it, right or wrong (the contract's types are
    not enforced at run time, so a key may be a number, a payload a list)."""
    payload = draw(payloads())
    problem = draw(st.one_of(st.none(), st.none(), texts()))
    raw_text = draw(st.one_of(st.none(), st.none(), texts(), huge()))
    if payload is None and problem is None and draw(st.booleans()):
        problem = "could not decode"
    return RawRecord(
        key=draw(keys),
        payload=payload,
        deleted=draw(st.sampled_from([False, False, False, True])),
        problem=problem,
        raw_text=raw_text,
    )


#: pages of records; a page may be empty or repeat its own keys
pages = st.lists(st.lists(raw_records(), max_size=8), min_size=1, max_size=4)
