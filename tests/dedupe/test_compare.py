"""Comparison levels per field type: what counts as the same, close, or different."""

from __future__ import annotations

import numpy as np

from dedupe import FieldType
from dedupe.compare import compare_field, level_name
from dedupe.prepare import build_field, normalizer_for


def _levels(ftype: FieldType, pairs: list[tuple[str | None, str | None]]) -> list[str]:
    norm = normalizer_for(ftype, "CN")
    cells = [x for pair in pairs for x in pair]
    values = [(v,) if (v := norm(c) if c else None) else () for c in cells]
    fd = build_field("f", ftype, values)
    left = np.arange(0, len(cells), 2)
    return [level_name(ftype, int(x)) for x in compare_field(fd, left, left + 1)]


def test_person_names() -> None:
    assert _levels(
        FieldType.PERSON_NAME,
        [
            ("张伟", "張偉"),
            ("张伟", "章伟"),
            ("王小明", "王明"),
            ("陈宇畅", "陈健玲"),
            ("张伟", None),
            ("John Smith", "smith, john"),
            ("Jon Smith", "John Smith"),
            ("J. Smith", "John Smith"),
            ("Kenneth Edwards", "Dawn Edwards"),
            ("王芳", "Wang Fang"),
        ],
    ) == [
        "exact",
        "sounds_alike",
        "close",
        "different",
        "missing",
        "sounds_alike",
        "sounds_alike",
        "similar",
        "different",
        "sounds_alike",
    ]


def test_contact_fields() -> None:
    assert _levels(
        FieldType.PHONE,
        [
            ("13800138000", "+86 138 0013 8000"),
            ("13800138000", "13800138001"),
            ("13800138000", "13800183000"),
            ("13800138000", "13912345678"),
        ],
    ) == ["exact", "typo", "typo", "different"]
    assert _levels(
        FieldType.EMAIL,
        [
            ("zhangwei@qq.com", "ZHANGWEI@QQ.COM"),
            ("zhangwei@qq.com", "zhangwie@qq.com"),
            ("zhangwei12@qq.com", "zhangwei13@qq.com"),
            ("zhangwei@qq.com", "zhangwei@163.com"),
        ],
    ) == ["exact", "close", "different", "different"]


def test_dates_codes_places() -> None:
    assert _levels(
        FieldType.DATE,
        [
            ("2001-03-06", "6.3.2001"),
            ("2001-03-06", "2001-06-03"),
            ("2001-03-06", "1999-01-01"),
        ],
    ) == ["exact", "typo", "different"]
    assert _levels(
        FieldType.IDENTIFIER,
        [
            ("91110108MA01ABCD12", "91110108MA01ABCD13"),
            ("A1", "A2"),
        ],
    ) == ["typo", "different"]
    assert _levels(
        FieldType.COMPANY_NAME,
        [
            ("北京某某科技有限公司", "某某科技(北京)有限责任公司"),
            ("Acme Co., Ltd.", "ACME Limited"),
        ],
    ) == ["exact", "exact"]
    assert _levels(
        FieldType.ADDRESS,
        [
            ("广东深圳南山区科技园1号", "广东省深圳市南山区科技园1号"),
            ("广东省深圳市南山区科技园1号", "广东省深圳市南山区科技园2号"),
            ("广东省深圳市南山区科技园1号", "南山区后海大道99号"),
        ],
    ) == ["exact", "close", "same_district"]
