"""Per-type normalizers: each turns a raw cell into a comparison key (or None).

Every function is pure and cached on its input, because real customer tables repeat
the same spellings many times and the libraries underneath (phonenumbers, opencc,
pypinyin) cost tens of microseconds per call.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import Any

import jellyfish
from cleanco.clean import prepare_default_terms, remove_accents, strip_punct, strip_tail
from nicknames import NickNamer

from dedupe.chars import has_cjk, to_simplified
from dedupe.cn_address import CnAddress, region_prefix_len, split_cn_address
from dedupe.phones import (
    PHONE_JUNK,
    parse_phone_cell,
    parse_phone_text,
    read_as_typed,
    well_formed,
)

__all__ = [
    "CnAddress",
    "char_pinyin",
    "metaphone_token",
    "has_cjk",
    "name_phonetic",
    "names_a_company",
    "normalize_company_name",
    "normalize_date",
    "normalize_email",
    "normalize_identifier",
    "normalize_mobile",
    "normalize_person_name",
    "normalize_phone",
    "normalize_postcode",
    "normalize_text",
    "split_cn_address",
    "to_simplified",
]

# Small caches: the engine normalizes each distinct cell of a column once by itself
# (prepare.prepare); these only spare repeated calls from other callers, and big
# ones would pin hundreds of MB on a million-row run.
_CACHE = 1 << 12
_SPACES = re.compile(r"\s+")
_PUNCT_NAME = re.compile(r"[.,·•・\-_'\"()（）/\\]+")
_PUNCT_ANY = re.compile(r"[^\w\s]+")
_BRACKETS = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
# Chinese legal forms are not in cleanco's tables; longest first so that
# 股份有限公司 is not left as 股份 after stripping 有限公司.
_CN_LEGAL = sorted(
    [
        "有限责任公司",
        "股份有限公司",
        "集团有限公司",
        "集团股份有限公司",
        "有限公司",
        "责任公司",
        "集团公司",
        "分公司",
        "总公司",
        "公司",
        "有限合伙",
        "普通合伙",
        "合伙企业",
        "个体工商户",
        "工作室",
        "集团",
        "企业",
        "商行",
        "门市部",
        "经营部",
    ],
    key=len,
    reverse=True,
)


def _clean(value: object) -> str | None:
    """NFKC (full-width to half-width), trimmed; None for empty cells."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text or None


def _strip_accents(text: str) -> str:
    if text.isascii():  # nothing to strip: skip the per-character pass
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=_CACHE)
def normalize_text(value: object) -> str | None:
    """Free text: NFKC, simplified Chinese, case-folded, whitespace collapsed."""
    text = _clean(value)
    if text is None:
        return None
    return _SPACES.sub(" ", to_simplified(text).casefold()) or None


_CN_TITLE = re.compile(
    r"^([\u3400-\u9fff]{1,3}?)"
    r"(?:先生|女士|小姐|太太|夫人|阿姨|叔叔|同学|小朋友|老师|经理|总监|总|老板|师傅)$"
)
# forms of address too short to follow a whole name (张工 an engineer, 王姐, 李哥): only
# after a one-character surname, where a given name of that character is rare
_CN_SHORT_TITLE = re.compile(r"^([\u3400-\u9fff])(?:工|姐|哥)$")


_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORDS = re.compile(r"[A-Za-z]+")


# what systems write where the name is unknown: WeChat's default nickname, "unknown",
# "anonymous", "customer" ...
_CN_NO_NAME = frozenset(
    {"微信用户", "未知", "不详", "匿名", "匿名用户", "无", "无名", "客户", "顾客", "会员", "用户"}
)


def _no_symbols(text: str) -> str:
    """Without symbols, emoji and their variation selectors (categories S*, Mn, Cf)."""
    return "".join(
        c for c in text if (cat := unicodedata.category(c))[0] != "S" and cat not in ("Mn", "Cf")
    )


def _chinese_name_part(text: str) -> str:
    """The Chinese name in a cell that holds more: a note or company in brackets
    (张豪(科维建筑工程) -> 张豪), or the name itself in brackets after an English one
    (Tom(李国庆) -> 李国庆), and an English name beside it (邱新强 Daniel -> 邱新强).
    Only where two Chinese characters or more remain: a name written in letters alone
    is left to the Latin rules."""
    if m := _BRACKETS.search(text):
        outside = text[: m.start()] + text[m.end() :]
        inside = m.group()[1:-1]
        if len(_HAN.findall(outside)) >= 2:
            text = outside
        elif len(_HAN.findall(inside)) >= 2:
            text = inside
    if _LATIN_WORDS.search(text):
        han_only = _LATIN_WORDS.sub("", text)
        if len(_HAN.findall(han_only)) >= 2:
            text = han_only
    return text


@lru_cache(maxsize=_CACHE)
def normalize_person_name(value: object) -> str | None:
    """张偉 -> 张伟; 王女士 -> 王; 'José  O'Brien' -> 'jose obrien'. Chinese names lose
    inner spaces, emoji and a form of address (先生, 女士, 阿姨, 老师, 经理, 张工 ...) after
    the name; a placeholder such as 微信用户 (WeChat's default nickname) is no name."""
    text = _clean(value)
    if text is None:
        return None
    text = to_simplified(text)
    if has_cjk(text):
        text = _chinese_name_part(text)
        # "张 伟" and "张伟" are the same name; the middle dot of minority names is noise,
        # and so are the emoji of a WeChat name (新民☀️)
        text = _PUNCT_NAME.sub("", _SPACES.sub("", _no_symbols(text)))
        # 王女士, 赵先生, 李老师, 张伟经理: a form of address around a surname (or a name)
        if m := _CN_TITLE.match(text) or _CN_SHORT_TITLE.match(text):
            text = m.group(1)
        return None if text in _CN_NO_NAME else text or None
    text = _strip_accents(text).casefold().replace("'", "")
    text = _SPACES.sub(" ", _PUNCT_NAME.sub(" ", text)).strip()
    return text or None


# Legal forms that end a company name and never a person's (Latin, after case-folding)
_LATIN_LEGAL = frozenset(
    {"gmbh", "ltd", "llc", "inc", "corp", "limited", "corporation", "plc", "sarl", "kg"}
)


def names_a_company(name: str) -> bool:
    """Whether a normalized person-name cell holds a company ('新元远生物科技杭州有限公司',
    'acme gmbh'): ERP and CRM systems often keep the account's company in the name."""
    if has_cjk(name):
        return len(name) >= 5 and any(name.endswith(form) for form in _CN_LEGAL)
    tokens = name.split()
    return len(tokens) >= 2 and tokens[-1] in _LATIN_LEGAL


@lru_cache(maxsize=1 << 14)
def char_pinyin(char: str) -> str:
    # imported on first use: its dictionaries take a third of a second to load, which
    # a run on Latin-alphabet data need not pay
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(char, style=Style.NORMAL)[0]


@lru_cache(maxsize=_CACHE)
def name_phonetic(normalized_name: str) -> str:
    """Sound-alike key: pinyin without tones for Chinese (张伟 = 章伟 = zhangwei),
    metaphone of each token, sorted, for Latin names (so 'smith john' = 'john smyth').

    Per-character pinyin (cached) is ~20x faster than pypinyin on whole strings; the
    default reading of a heteronym is used consistently on both sides, which is what
    matching needs.
    """
    if has_cjk(normalized_name):
        return "".join(char_pinyin(c) for c in normalized_name)
    return " ".join(sorted(metaphone_token(t) for t in normalized_name.split()))


@lru_cache(maxsize=1)
def related_given_names() -> dict[str, frozenset[str]]:
    """Each English given name with the names it is a nickname of or has as nicknames
    (the `nicknames` package: Jack -> John, Jackson, Jacqueline; John -> Jack, Jon...)."""
    related: dict[str, set[str]] = {}
    for name, nicks in NickNamer().nickname_lookup.items():
        for nick in nicks:
            related.setdefault(name, set()).add(nick)
            related.setdefault(nick, set()).add(name)
    return {k: frozenset(v) for k, v in related.items()}


@lru_cache(maxsize=_CACHE)
def metaphone_token(token: str) -> str:
    return jellyfish.metaphone(token)


@lru_cache(maxsize=_CACHE)
def _parse_phone(text: str, region: str) -> tuple[str, bool] | None:
    """(E.164, is_mobile) or None."""
    return parse_phone_text(text, region)


def normalize_phone(value: object, region: str = "CN") -> str | None:
    """Mobile or landline to E.164 ('010-6552 9988' -> '+861065529988'); None if invalid."""
    text = _clean(value)
    if text is None:
        return None
    parsed = _parse_phone(text, region)
    return parsed[0] if parsed else None


def normalize_mobile(value: object, region: str = "CN") -> str | None:
    """'+86 138-0013-8000' -> '+8613800138000'; None unless a valid mobile number."""
    text = _clean(value)
    if text is None:
        return None
    parsed = _parse_phone(text, region)
    return parsed[0] if parsed and parsed[1] else None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


@lru_cache(maxsize=_CACHE)
def normalize_email(value: object) -> str | None:
    """' A@B.COM ' -> 'a@b.com'; None when the cell is not an e-mail address."""
    text = _clean(value)
    if text is None:
        return None
    text = text.casefold().replace(" ", "").strip("<>;,.")
    if text.startswith("mailto:"):
        text = text[7:]
    return text if _EMAIL.match(text) else None


# Mailboxes of a role, not of a person (RFC 2142's and the common business ones, in the
# languages of our data): colleagues and family members share them
_ROLE_MAILBOXES = frozenset(
    "info kontakt contact contacts office mail email post sales vertrieb service support "
    "hello hallo team admin webmaster postmaster hostmaster abuse noreply no-reply marketing "
    "billing buchhaltung rechnung rechnungen invoice invoices accounts accounting hr jobs "
    "karriere career careers bewerbung empfang reception zentrale verwaltung bestellung "
    "order orders shop kundenservice customerservice enquiries inquiries press presse "
    "family familie home".split()
)


def names_a_role(email: str) -> bool:
    """Whether a normalized e-mail address is a role mailbox (info@, kontakt@, sales@)
    rather than one person's: as evidence about a person it says "same organization"."""
    return email.partition("@")[0] in _ROLE_MAILBOXES


@lru_cache(maxsize=_CACHE)
def normalize_company_name(value: object) -> str | None:
    """A comparison key: 某某科技(北京)有限责任公司, 北京某某科技有限公司 -> 某某科技;
    'Acme Technology Co., Ltd.' -> 'acme technology'.

    Brackets usually hold a region or a partnership qualifier, legal forms and a leading
    province or city say nothing about which company it is, so all are dropped.
    """
    text = _clean(value)
    if text is None:
        return None
    text = _BRACKETS.sub("", to_simplified(text)).casefold()
    if has_cjk(text):
        text = _SPACES.sub("", text)
        changed = True
        while changed:
            changed = False
            for form in _CN_LEGAL:
                if text.endswith(form) and len(text) > len(form):
                    text, changed = text[: -len(form)], True
                    break
        cut = region_prefix_len(text)
        if 0 < cut <= len(text) - 2:
            text = text[cut:]
        return text or None
    previous = None
    while previous != text:  # cleanco strips one legal form per call ("Co., Ltd.")
        previous, text = text, _strip_legal_form(text).strip(" ,.")
    text = _SPACES.sub(" ", _PUNCT_ANY.sub(" ", _strip_accents(text))).strip()
    return text or None


def _legal_forms_by_last_word() -> dict[str, list[tuple[int, int, list[str]]]]:
    """cleanco's legal forms in its order, by their last word: (order, words, parts)."""
    by_last: dict[str, list[tuple[int, int, list[str]]]] = {}
    for order, (size, parts) in enumerate(prepare_default_terms()):
        by_last.setdefault(parts[-1], []).append((order, size, parts))
    return by_last


_LEGAL_BY_LAST = _legal_forms_by_last_word()


def _strip_legal_form(text: str) -> str:
    """cleanco's `basename`, sooner. cleanco tries each of its hundreds of legal forms,
    in its order, against the end of the name (~80 us a name), dropping each that
    matches; the forms after it are tried against what is left. Here only the forms
    ending in the name's current last word are tried, in the same order: the same
    result (a test compares them on real and awkward names)."""
    text = strip_tail(text)
    words = text.split()
    keys = [strip_punct(w) for w in remove_accents(text).split()]
    after = 0  # cleanco's position in its list of forms
    while keys:
        for order, size, parts in _LEGAL_BY_LAST.get(keys[-1], ()):
            if order >= after and keys[-size:] == parts:
                del keys[-size:], words[-size:]
                after = order + 1
                break
        else:
            break
    return strip_tail(" ".join(words))


@lru_cache(maxsize=_CACHE)
def normalize_identifier(value: object) -> str | None:
    """Codes (USCC, unionid, external ids): NFKC, no spaces or dashes, upper-case."""
    text = _clean(value)
    if text is None:
        return None
    return re.sub(r"[\s\-]+", "", text).upper() or None


@lru_cache(maxsize=_CACHE)
def normalize_postcode(value: object) -> str | None:
    text = normalize_identifier(value)
    return text


_DATE_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_DMY = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})")
# A two-digit year "yy" is 20yy up to this, else 19yy: the century window 1930-2029.
# dateutil's own rule centres a window of 100 years on the year it runs in, so "58"
# was 2058 in 2026 and one file's keys changed with the calendar; a fixed window
# keeps them fixed. Dates in customer records are mostly birth dates (a "58" is far
# more likely 1958 than 2058) and sign-up or order dates of this century.
TWO_DIGIT_YEAR_PIVOT = 29
# Two defaults that differ in year, month and day (all days <= 28, so dateutil never
# clamps one to a month's end): whatever the text does not write comes out of each
# differently, so a date that is the same from both was written out in full.
_DEFAULTS = (dt.datetime(2000, 1, 1), dt.datetime(2001, 2, 2))
_FREE_FORM: Any = None  # dateutil's parser, built on the first free-form date


def _free_form_parser() -> Any:
    global _FREE_FORM
    if _FREE_FORM is None:
        from dateutil import parser  # slow, so only for the rare free-form date

        class _FixedCentury(parser.parserinfo):
            def convertyear(self, year: int, century_specified: bool = False) -> int:
                if year < 100 and not century_specified:
                    return year + (2000 if year <= TWO_DIGIT_YEAR_PIVOT else 1900)
                return year

        _FREE_FORM = parser.parser(_FixedCentury())
    return _FREE_FORM


def _parse_free_form(text: str, dayfirst: bool) -> str | None:
    """A date dateutil reads from `text` when it writes year, month and day, else None."""
    dates = set()
    for default in _DEFAULTS:
        try:
            dates.add(_free_form_parser().parse(text, default=default, dayfirst=dayfirst).date())
        except (ValueError, OverflowError):
            return None
    return dates.pop().isoformat() if len(dates) == 1 else None


@lru_cache(maxsize=_CACHE)
def normalize_date(
    value: object, dayfirst: bool = True, *, keep_impossible: bool = False
) -> str | None:
    """Any common date format to ISO 'YYYY-MM-DD'; None if it is not a real date.

    dd/mm vs mm/dd is decided by the number > 12 when there is one, else by dayfirst.
    `keep_impossible`: a year, month and day written out that make no real date
    (1973-19-14, 1943-01-77: most often one mistyped digit) keep their digits in that
    shape instead of None, so that matching can still see the typo.

    A date that does not write its day or its month ("1994", "Jan 1994", "Jan 5") is
    None, missing: no day is made up for it (dateutil would take today's), and a
    date field compares whole dates, so a made-up day would count as a disagreement
    with the true one. A two-digit year is 20yy up to TWO_DIGIT_YEAR_PIVOT (29), else
    19yy ("4/2/58" is 1958-02-04), whatever day the code runs on.
    """
    text = _clean(value)
    if text is None:
        return None
    parts: tuple[int, int, int] | None = None
    if m := _DATE_YMD.match(text) or _DATE_COMPACT.match(text):
        parts = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _DATE_DMY.match(text):
        a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        day, month = (a, b) if (a > 12 or (dayfirst and b <= 12)) else (b, a)
        parts = year, month, day
    if parts is None:
        return _parse_free_form(text, dayfirst)
    try:
        return dt.date(*parts).isoformat()
    except ValueError:
        if keep_impossible and 1000 <= parts[0] <= 2999:
            return f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}"
        return None


# Whole columns at once. A million-row file has hundreds of thousands of distinct cells
# per column and the per-cell functions above cost microseconds each, mostly in Python
# calls. For ASCII cells (NFKC, the traditional-to-simplified table and accent
# stripping leave them as they are) the same keys come from string operations on all
# cells joined into one string. Each function returns exactly its per-cell twin's
# result for every cell (tests compare them), or None when a cell holds the separator.
_SEP = "\x00"  # neither whitespace nor punctuation to any pattern here


def _joined(cells: list[str]) -> str | None:
    text = _SEP.join(cells)  # (never called with no cells)
    return text if text.count(_SEP) == len(cells) - 1 else None


def _split_collapsed(text: str) -> list[str | None]:
    """Cells of a joined text whose whitespace runs are single spaces, trimmed;
    None for a cell left empty."""
    text = text.replace(" \x00", _SEP).replace("\x00 ", _SEP).strip(" ")
    return [cell or None for cell in text.split(_SEP)]


def normalize_text_ascii(cells: list[str]) -> list[str | None] | None:
    """`normalize_text` of every cell (all ASCII)."""
    if not cells:
        return []
    if (text := _joined(cells)) is None:
        return None
    return _split_collapsed(_SPACES.sub(" ", text.lower()))


def normalize_person_name_ascii(cells: list[str]) -> list[str | None] | None:
    """`normalize_person_name` of every cell (all ASCII)."""
    if not cells:
        return []
    if (text := _joined(cells)) is None:
        return None
    text = _PUNCT_NAME.sub(" ", text.lower().replace("'", ""))
    return _split_collapsed(_SPACES.sub(" ", text.lower()))


def normalize_email_ascii(cells: list[str]) -> list[str | None]:
    """`normalize_email` of every cell (all ASCII)."""
    out: list[str | None] = []
    for cell in cells:  # str methods only: no regex scan of the joined text needed
        # inner tabs stay (and fail the pattern), as in the per-cell function
        cell = cell.strip().lower().replace(" ", "").strip("<>;,.")
        if cell.startswith("mailto:"):
            cell = cell[7:]
        out.append(cell if _EMAIL.match(cell) else None)
    return out


def normalize_phone_ascii(cells: list[str], region: str = "CN") -> list[str | None] | None:
    """`normalize_phone` of every cell (all ASCII)."""
    if not cells:
        return []
    if (text := _joined(cells)) is None:
        return None
    compacts = PHONE_JUNK.sub("", text).split(_SEP)
    out: list[str | None] = []
    slow: dict[str, str | None] = {}  # cells differing only in separators: parsed once
    typed: dict[str, str | None] = {}
    for cell, compact, m in zip(
        cells, compacts, map(well_formed(region).match, compacts), strict=True
    ):
        if m is not None:
            out.append("+86" + m[1] if m[1] else "+1" + m[2])
        elif not compact:
            out.append(None)
        else:
            if compact not in slow:
                parsed = parse_phone_cell(compact, region)
                slow[compact] = parsed[0] if parsed else None
            if slow[compact] is None:  # the separators may tell more (see parse_phone_text)
                if cell not in typed:
                    parsed = read_as_typed(cell, region)
                    typed[cell] = parsed[0] if parsed else None
                out.append(typed[cell])
            else:
                out.append(slow[compact])
    return out
