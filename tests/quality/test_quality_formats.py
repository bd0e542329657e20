"""Format validators: good and bad values, incl. Chinese-specific inputs."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta

import pytest

os.environ["GX_ANALYTICS_ENABLED"] = "false"

from quality.formats import (  # noqa: E402
    USCC_ALPHABET,
    USCC_WEIGHTS,
    check_format,
    is_cn_city,
    is_cn_mobile,
    is_cn_phone,
    is_cn_province,
    is_email,
    is_past_datetime,
    is_uscc,
    uscc_check_char,
)

# Weights as printed in GB 32100-2015, table of the check character (independent of 3**i % 31).
GB32100_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALID_USCC = "91350100M000100Y43"


@pytest.mark.parametrize(
    "value",
    [
        "13800138000",
        "+8613800138000",
        "+86 138-0013-8000",
        "0086 138 0013 8000",
        "８６１３８００１３８０００",  # full-width with country code
        "１３８００１３８０００",  # full-width digits
        "199 0000 0000",
    ],
)
def test_mobile_good(value: str) -> None:
    assert is_cn_mobile(value)


@pytest.mark.parametrize(
    "value",
    [
        "138001380001",  # 12 digits
        "1380013800",  # 10 digits
        "12800138000",  # no such prefix
        "+1 415 555 0100",
        "phone",
        "010-12345678",
    ],
)
def test_mobile_bad(value: str) -> None:
    assert not is_cn_mobile(value)


def test_phone_accepts_landline_and_service_numbers() -> None:
    assert is_cn_phone("010-12345678")
    assert is_cn_phone("(0755) 8888 6666")
    assert is_cn_phone("400-800-8888")
    assert is_cn_phone("13800138000")
    assert not is_cn_phone("12345")
    assert check_format("cn_phone", ["13800138000", "021-61234567"])
    assert not check_format("cn_phone", ["13800138000", "99"])


@pytest.mark.parametrize(
    "value", ["zhang@example.com", "li.si+crm@mail.qq.com", "wang＠example.cn"]
)
def test_email_good(value: str) -> None:
    assert is_email(value)


@pytest.mark.parametrize(
    "value", ["zhang@", "@example.com", "a@@b.cn", "a@b", "张三 @qq.com", "a..b@x.cn"]
)
def test_email_bad(value: str) -> None:
    assert not is_email(value)


def test_uscc_weights_match_the_standard() -> None:
    assert USCC_WEIGHTS == GB32100_WEIGHTS
    assert len(USCC_ALPHABET) == 31
    assert not set("IOSVZ") & set(USCC_ALPHABET)


def _independent_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, GB32100_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def test_uscc_good() -> None:
    assert is_uscc(VALID_USCC)
    assert is_uscc(VALID_USCC.lower())
    assert is_uscc("９１３５０１００Ｍ０００１００Ｙ４３")  # full-width
    body = "91440300MA5F1234"
    body += "X"
    code = body + _independent_check_char(body)
    assert uscc_check_char(body) == code[-1]
    assert is_uscc(code)


@pytest.mark.parametrize(
    "value",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19 characters
        "91350100M00O100Y43",  # O is not in the alphabet
        "9135A100M000100Y43",  # division code must be digits
        "350100400011234",  # old 15-digit registration number
    ],
)
def test_uscc_bad(value: str) -> None:
    assert not is_uscc(value)


@pytest.mark.parametrize(
    "value",
    [
        "广东",
        "广东省",
        "廣東",
        "廣東省",
        "内蒙古",
        "内蒙古自治区",
        "广西",
        "新疆",
        "臺灣",
        "香港",
        "北京市",
    ],
)
def test_province_good(value: str) -> None:
    assert is_cn_province(value)


@pytest.mark.parametrize("value", ["广东市", "火星", "California", "广"])
def test_province_bad(value: str) -> None:
    assert not is_cn_province(value)


@pytest.mark.parametrize(
    "value", ["深圳", "深圳市", "瀋陽", "延边", "延边朝鲜族自治州", "锡林郭勒盟", "北京", "香港"]
)
def test_city_good(value: str) -> None:
    assert is_cn_city(value)


@pytest.mark.parametrize("value", ["纽约", "深证市", "朝阳区"])
def test_city_bad(value: str) -> None:
    assert not is_cn_city(value)


def test_past_datetime() -> None:
    now = datetime.now(UTC)
    assert is_past_datetime("2024-01-31")
    assert is_past_datetime("2024-01-31T08:00:00Z")
    assert is_past_datetime("2024/01/31 08:00")
    assert is_past_datetime("２０２４-０１-３１")
    assert is_past_datetime(now - timedelta(days=1))
    assert not is_past_datetime((now + timedelta(days=2)).isoformat())
    assert not is_past_datetime("2999-01-01")
    assert not is_past_datetime("1850-01-01")
    assert not is_past_datetime("yesterday")
    assert not is_past_datetime("2024-13-01")


def test_uscc_checksum_catches_every_single_substitution() -> None:
    rng = random.Random(32100)
    for _ in range(200):
        body = rng.choice("159NY") + rng.choice("123") + "".join(rng.choices("0123456789", k=6))
        body += "".join(rng.choices(USCC_ALPHABET, k=9))
        code = body + uscc_check_char(body)
        assert is_uscc(code)
        pos = rng.randrange(18)
        if 2 <= pos < 8:
            continue  # keep the division code numeric, so only the checksum can fail
        other = rng.choice([c for c in USCC_ALPHABET if c != code[pos]])
        assert not is_uscc(code[:pos] + other + code[pos + 1 :])
