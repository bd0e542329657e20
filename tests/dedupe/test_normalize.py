"""Every normalizer, on the spellings real customer tables hold."""

from __future__ import annotations

import pytest

from dedupe import (
    name_phonetic,
    normalize_company_name,
    normalize_date,
    normalize_email,
    normalize_identifier,
    normalize_mobile,
    normalize_person_name,
    normalize_phone,
    normalize_postcode,
    normalize_text,
    split_cn_address,
)
from dedupe.chars import to_simplified


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138-0013-8000",
        "13800138000",
        "0086 138 0013 8000",
        "86 13800138000",
        "１３８００１３８０００",
        "+86(138)00138000",
        "138-0013-8000",
    ],
)
def test_mobile_formats_reach_e164(raw: str) -> None:
    assert normalize_mobile(raw) == "+8613800138000"
    assert normalize_phone(raw) == "+8613800138000"


def test_landlines_with_area_codes() -> None:
    assert normalize_phone("010-6552 9988") == "+861065529988"
    assert normalize_phone("(021) 6234-5678") == "+862162345678"
    assert normalize_mobile("010-6552 9988") is None  # a landline is not a mobile


def test_foreign_and_invalid_phones() -> None:
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("(704) 649-2281", "US") == "+17046492281"
    assert normalize_phone("1-704-649-2281", "US") == "+17046492281"
    # an 11-digit string starting with 1 is a Chinese mobile only in China
    assert normalize_phone("13800138000", "US") is None
    for bad in ("12345", "", None, "not a phone", "138001380"):
        assert normalize_phone(bad) is None


def test_email() -> None:
    assert normalize_email(" A@B.COM ") == "a@b.com"
    assert normalize_email("mailto:Zhang.Wei@QQ.com") == "zhang.wei@qq.com"
    assert normalize_email("ｚｗ＠ｑｑ．ｃｏｍ") == "zw@qq.com"  # full-width
    for bad in ("foo", "a@b", "@b.com", None, "  "):
        assert normalize_email(bad) is None


def test_person_name() -> None:
    assert normalize_person_name("張偉 ") == "张伟"
    assert normalize_person_name("张 伟") == "张伟"
    assert normalize_person_name("买买提·艾力") == "买买提艾力"
    assert normalize_person_name("José  O'Brien") == "jose obrien"
    assert normalize_person_name("SMITH, John") == "smith john"
    assert normalize_person_name("   ") is None


def test_name_sound_alike() -> None:
    assert name_phonetic("张伟") == name_phonetic("章伟") == name_phonetic("张玮")
    assert name_phonetic("王小明") == name_phonetic("王晓明")
    assert name_phonetic("李娜") != name_phonetic("张伟")
    assert name_phonetic("john smith") == name_phonetic("smith jon")


def test_company_name_keys() -> None:
    key = normalize_company_name("北京某某科技有限公司")
    assert key == "某某科技"
    assert normalize_company_name("某某科技(北京)有限责任公司") == key
    assert normalize_company_name("某某科技（北京）有限公司") == key
    assert normalize_company_name("北京某某科技股份有限公司") == key
    assert normalize_company_name("Acme Technology Co., Ltd.") == "acme technology"
    assert normalize_company_name("ACME TECHNOLOGY LIMITED") == "acme technology"
    assert normalize_company_name("Acme GmbH") == "acme"
    # a region that *is* the name is kept
    assert normalize_company_name("北京有限公司")


def test_traditional_to_simplified() -> None:
    assert to_simplified("廣東省深圳市") == "广东省深圳市"
    assert to_simplified("already simplified 张伟") == "already simplified 张伟"


def test_text_and_codes() -> None:
    assert normalize_text("  Hello\u3000 ＷＯＲＬＤ ") == "hello world"
    assert normalize_text("") is None
    assert normalize_identifier(" 9111-0108 MA01 ") == "91110108MA01"
    assert normalize_postcode("sw1a 1aa") == "SW1A1AA"


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2023-01-05", "2023-01-05"),
        ("2023/1/5", "2023-01-05"),
        ("2023.01.05", "2023-01-05"),
        ("20230105", "2023-01-05"),
        ("2023年1月5日", "2023-01-05"),
        ("05/01/2023", "2023-01-05"),
        ("01/13/2023", "2023-01-13"),
        ("13.1.2023", "2023-01-13"),
        ("Jan 5, 2023", "2023-01-05"),
        ("5 January 2023", "2023-01-05"),
    ],
)
def test_dates(raw: str, iso: str) -> None:
    assert normalize_date(raw) == iso


def test_bad_dates() -> None:
    assert normalize_date("2023-02-30") is None
    assert normalize_date("soon") is None
    assert normalize_date(None) is None


def test_split_cn_address() -> None:
    full = split_cn_address("廣東省深圳市南山区科技园1号")
    assert full == ("广东省", "深圳市", "南山区", "科技园1号")
    # short forms, missing levels, municipalities
    assert split_cn_address("广东深圳南山区科技园1号") == full
    assert split_cn_address("南山区科技园1号").city == "深圳市"
    assert split_cn_address("北京朝阳区建国路88号") == ("北京市", "北京市", "朝阳区", "建国路88号")
    assert split_cn_address("江苏省栖霞区xx路").city == "南京市"
    latin = split_cn_address("12 Main Street")
    assert latin.province is None and latin.rest == "12 main street"


def test_category_and_address_keys() -> None:
    from dedupe import FieldType
    from dedupe.prepare import normalizer_for

    category = normalizer_for(FieldType.CATEGORY, "CN")
    assert category("北京") == category("北京市") == "北京市"
    assert category("深圳") == "深圳市"
    assert category(" VIP ") == "vip"
    address = normalizer_for(FieldType.ADDRESS, "CN")
    key = address("广东省深圳市南山区科技园1号")
    assert address("广东深圳南山区科技园1号") == address("南山区科技园1号") == key
    assert address("北京市北京市朝阳区建国路88号") == address("北京朝阳区建国路88号")
    assert address("  ") is None


def test_a_company_in_a_person_name_column_is_not_a_name() -> None:
    from dedupe.normalize import names_a_company
    from dedupe.prepare import normalizer_for
    from dedupe.spec import FieldType

    for company in ("新元远生物科技(杭州)有限公司", "Acme GmbH", "Smith Widgets Ltd."):
        assert names_a_company(normalize_person_name(company) or "")
    for person in ("张伟", "欧阳靖宇", "阿卜杜拉·艾力", "John Smith", "李老师"):
        assert not names_a_company(normalize_person_name(person) or "")
    person_key = normalizer_for(FieldType.PERSON_NAME, "CN")
    assert person_key("成都云帆瑞贸易有限责任公司") is None
    assert person_key("張偉") == "张伟"


def test_chinese_forms_of_address_leave_the_name() -> None:
    assert normalize_person_name("王女士") == "王"
    assert normalize_person_name("赵 先生") == "赵"
    assert normalize_person_name("张伟经理") == "张伟"
    assert normalize_person_name("夏总") == "夏"
    assert normalize_person_name("李娜") == "李娜"
    assert normalize_person_name("先生") == "先生"  # nothing before the title: kept


def test_legal_form_fast_path_agrees_with_cleanco() -> None:
    from cleanco import basename

    from dedupe.normalize import _strip_legal_form

    names = [
        "acme co., ltd.",
        "müller gmbh & co. kg",
        "  acme inc  ",
        "société générale s.a.",
        "bar s.à r.l.",
        "acme - ",
        "acme,",
        "x",
        "",
        "schmidt logistik",
        "weber und söhne ohg",
        "foo holdings limited",
    ]
    for name in names:
        assert _strip_legal_form(name) == basename(name), name


def test_a_role_mailbox_is_no_evidence_about_the_person() -> None:
    from dedupe import FieldType
    from dedupe.normalize import names_a_role
    from dedupe.prepare import normalizer_for

    email_key = normalizer_for(FieldType.EMAIL, "DE")
    assert names_a_role("info@haustechnik-mueller.de") and names_a_role("kontakt@x.de")
    assert not names_a_role("karin.weimer@haustechnik-mueller.de")
    # colleagues sharing info@ must not look like one person: the cell counts as missing
    assert email_key(" Info@Haustechnik-Mueller.de ") is None
    assert email_key("Karin.Weimer@web.de") == "karin.weimer@web.de"
