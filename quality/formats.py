"""Format validators: one function per format name, ``value -> bool``.

Every validator folds raw input first (NFKC: full-width digits and letters, ``＠``),
so ``１３８００１３８０００`` or ``+86 138-0013-8000`` are accepted as mobiles, while a
12-digit number is not. Empty values are never judged here (that is the job of the
``required`` rules). List values (``phones``) are valid when every element is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from quality.regions import regions

_SEPARATORS = re.compile(r"[\s\-().·/]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}(?:(?:ext|转|#|-)?\d{1,6})?")
_SERVICE = re.compile(r"[48]00\d{7}")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)

# GB 32100-2015: 31 code characters (no I, O, S, V, Z); weight of position i is 3**i mod 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}

FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def nfkc(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def mobile_digits(value: Any) -> str | None:
    """The 11 national digits of a mainland mobile, or None."""
    text = _SEPARATORS.sub("", nfkc(value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text if _MOBILE.fullmatch(text) else None


def is_cn_mobile(value: Any) -> bool:
    return mobile_digits(value) is not None


def is_cn_phone(value: Any) -> bool:
    """Mainland mobile, landline with area code (``010-12345678``) or 400/800 number."""
    if is_cn_mobile(value):
        return True
    text = _SEPARATORS.sub("", nfkc(value)).lower()
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = "0" + text[len(prefix) :].lstrip("0")
    return bool(_LANDLINE.fullmatch(text) or _SERVICE.fullmatch(text))


def is_email(value: Any) -> bool:
    text = nfkc(value)
    return len(text) <= 254 and bool(_EMAIL.fullmatch(text))


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character for the first 17 characters (upper-case, valid alphabet)."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_uscc(value: Any) -> bool:
    """统一社会信用代码: 18 characters of the GB 32100 alphabet and a correct check digit."""
    text = _SEPARATORS.sub("", nfkc(value)).upper()
    if len(text) != 18 or any(c not in _USCC_VALUE for c in text):
        return False
    if not text[2:8].isdigit():  # administrative division code (GB/T 2260)
        return False
    return uscc_check_char(text[:17]) == text[17]


def is_cn_province(value: Any) -> bool:
    return regions().province(str(value)) is not None


def is_cn_city(value: Any) -> bool:
    return regions().city(str(value)) is not None


def parse_datetime(value: Any) -> datetime | None:
    """ISO-8601 date or datetime (``Z`` allowed, naive means UTC), also ``2024/01/31``."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        text = nfkc(value).replace("/", "-")
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def is_past_datetime(value: Any, now: datetime | None = None) -> bool:
    """A parseable date/time, not in the future (5 min clock skew allowed), not before 1900."""
    parsed = parse_datetime(value)
    if parsed is None:
        return False
    now = now or datetime.now(UTC)
    return EARLIEST <= parsed <= now + FUTURE_TOLERANCE


def is_identifier(value: Any) -> bool:
    """A printable id without whitespace (WeCom external_userid, unionid, source keys)."""
    text = str(value)
    return 0 < len(text) <= 128 and text.isprintable() and not any(c.isspace() for c in text)


# --- text that is no data: control characters, runaway lengths, placeholders ----------

#: a person's or a company's name is never longer (the longest registered company names
#: run to about 100 characters); what is longer is a paste, a log line or an attack
NAME_MAX = 200
#: an address, a company name: free text, but still a line of a form
TEXT_MAX = 500

#: what people and systems type when they have no name (compared folded: NFKC, lower
#: case, without spaces and punctuation)
PLACEHOLDER_NAMES = frozenset(
    {
        "微信用户",
        "微信",
        "未知",
        "未命名",
        "不详",
        "匿名",
        "匿名用户",
        "无",
        "无名",
        "无名氏",
        "暂无",
        "空",
        "测试",
        "测试用户",
        "客户",
        "顾客",
        "用户",
        "先生",
        "女士",
        "小姐",
        "某某",
        "test",
        "testing",
        "testuser",
        "tester",
        "demo",
        "dummy",
        "sample",
        "n/a",
        "n.a.",
        "none",
        "null",
        "nil",
        "undefined",
        "unknown",
        "anonymous",
        "noname",
        "customer",
        "user",
        "name",
        "firstnamelastname",
        "asdf",
        "qwerty",
    }
)
_FOLD_OUT = re.compile(r"[\s\W_]+")
_NUMBERED_PLACEHOLDER = re.compile(r"(?:test|测试|微信用户|用户|客户|user|customer)\d+")


def _control_characters(text: str) -> list[str]:
    """Control characters (C0, C1, DEL; also unpaired surrogates) and U+FFFD, the mark of
    bytes that could not be decoded: none belongs in a name or an address."""
    found = {c for c in text if c == "\ufffd" or unicodedata.category(c) in ("Cc", "Cs")}
    return sorted(f"U+{ord(c):04X}" for c in found)


def text_problem(value: Any, limit: int = TEXT_MAX) -> str | None:
    """What makes ``value`` no usable line of text (None: nothing)."""
    text = str(value)
    if len(text) > limit:
        return f"is {len(text):,} characters long (at most {limit})"
    controls = _control_characters(text)
    if controls:
        shown = ", ".join(controls[:5]) + (" ..." if len(controls) > 5 else "")
        return f"holds control or undecodable characters ({shown})"
    return None


def name_problem(value: Any) -> str | None:
    """What makes ``value`` no real name (None: nothing): too long, control characters,
    or a placeholder such as 微信用户, 未知, 匿名, test, N/A."""
    problem = text_problem(value, NAME_MAX)
    if problem is not None:
        return problem
    folded = _FOLD_OUT.sub("", nfkc(value).casefold())
    raw = nfkc(value).casefold().replace(" ", "")
    if folded in PLACEHOLDER_NAMES or raw in PLACEHOLDER_NAMES:
        return f"is a placeholder ({nfkc(value)!r}), not a name"
    if _NUMBERED_PLACEHOLDER.fullmatch(folded):
        return f"is a numbered placeholder ({nfkc(value)!r}), not a name"
    if not any(c.isalpha() for c in folded):
        return "has no letters: digits and symbols are no name"
    if len(folded) >= 3 and len(set(folded)) == 1:
        return f"is one character repeated ({nfkc(value)!r}), not a name"
    return None


def is_real_name(value: Any) -> bool:
    return name_problem(value) is None


def is_plain_text(value: Any) -> bool:
    return text_problem(value) is None


FORMATS: dict[str, Callable[[Any], bool]] = {
    "cn_mobile": is_cn_mobile,
    "cn_phone": is_cn_phone,
    "email": is_email,
    "uscc": is_uscc,
    "cn_province": is_cn_province,
    "cn_city": is_cn_city,
    "past_datetime": is_past_datetime,
    "identifier": is_identifier,
    "real_name": is_real_name,
    "plain_text": is_plain_text,
}

#: formats that can say *what* is wrong with a value (the reason then says it)
EXPLAIN: dict[str, Callable[[Any], str | None]] = {
    "real_name": name_problem,
    "plain_text": text_problem,
}

DESCRIPTIONS: dict[str, str] = {
    "cn_mobile": "a mainland China mobile number (11 digits starting 13-19, +86 allowed)",
    "cn_phone": "a mainland mobile, landline with area code, or 400/800 number",
    "email": "an e-mail address",
    "uscc": "a 统一社会信用代码 with a valid GB 32100 check character",
    "cn_province": "a known province-level division",
    "cn_city": "a known prefecture-level city",
    "past_datetime": "an ISO-8601 date/time that is not in the future",
    "identifier": "an identifier without spaces",
    "real_name": f"a real name: at most {NAME_MAX} characters, no control characters, "
    "not a placeholder such as 微信用户, 未知, 匿名, test or N/A",
    "plain_text": f"text of at most {TEXT_MAX} characters without control characters",
}


UNCACHED = {"past_datetime"}  # depends on the clock


def is_blank(value: Any) -> bool:
    """None, NaN, empty/whitespace text, empty list."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, dict)):
        return len(value) == 0
    return False


@lru_cache(maxsize=65536)
def _cached(fmt: str, value: str) -> bool:
    return FORMATS[fmt](value)


def check_format(fmt: str, value: Any) -> bool:
    """Validate ``value`` (or every non-blank element of a list) against format ``fmt``."""
    if isinstance(value, (list, tuple, set)):
        return all(check_format(fmt, v) for v in value if not is_blank(v))
    if isinstance(value, str) and fmt not in UNCACHED:
        return _cached(fmt, value)
    return FORMATS[fmt](value)
