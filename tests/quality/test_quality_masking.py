"""Masking personal data."""

from __future__ import annotations

import pytest

from quality import mask_value


@pytest.mark.parametrize(
    ("field", "value", "masked"),
    [
        ("mobile", "13800138000", "138****8000"),
        ("mobile", "+8613800138000", "138****8000"),
        ("mobile", "+86 138-0013-8000", "138****8000"),
        ("mobile", "１３８００１３８０００", "138****8000"),
        ("mobile", "138001380001", "138*****0001"),
        ("phones", ["13800138000", "010-12345678"], "138****8000, 010****5678"),
        ("email", "zhang@example.com", "z***@example.com"),
        ("name", "张三", "张*"),
        ("name", "欧阳娜娜", "欧***"),
        ("uscc", "91350100M000100Y43", "9135**********0Y43"),
        ("wecom_external_userid", "wmABCDEFGH123", "wmA*******123"),
        ("address", "广东省深圳市南山区科技园1号", "广东省深圳市****"),
        ("province", "广东", "广东"),
        ("customer_type", "person", "person"),
        ("note", "call 13800138000 or li@x.cn", "call 138****8000 or l***@x.cn"),
        ("mobile", None, ""),
        ("email", "", ""),
    ],
)
def test_mask_value(field: str, value: object, masked: str) -> None:
    assert mask_value(field, value) == masked


def test_long_values_are_capped() -> None:
    assert len(mask_value("tags", "x" * 500)) == 80
