"""Every normalizer, on the spellings real customer tables hold."""

from __future__ import annotations

import numpy as np
import pytest

from dedupe import (
    FieldType,
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
from dedupe.compare import compare_field, level_name
from dedupe.prepare import build_field, normalizer_for


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


def test_phones_with_an_extension_or_a_note() -> None:
    # a switchboard's extension: the company's number (phonenumbers reads "ext" itself)
    assert normalize_phone("0755-6422 7039 转3912") == "+8675564227039"
    assert normalize_phone("(0574)64348378(分机5057)") == "+8657464348378"
    assert normalize_phone("T 0532-60786080转3447") == "+8653260786080"
    assert normalize_phone("030 1234567 ext 12", "DE") == "+49301234567"
    # a note after the number
    assert normalize_phone("173 7865 1510 微信同号") == "+8617378651510"
    assert normalize_phone("13047788889（同微信）") == "+8613047788889"
    assert normalize_phone("0175 93145844 (mobil)", "DE") == "+4917593145844"
    # a note alone, or digits that are no number even without the note, are nothing
    for bad in ("微信同号", "12345 abc", "转3912"):
        assert normalize_phone(bad) is None


def test_several_numbers_in_one_cell_and_dash_extensions() -> None:
    # several numbers: the first mobile among them, else the first number
    assert normalize_phone("15903019447、024-3252 3727") == "+8615903019447"
    assert normalize_phone("010-4316 6666 / 13489297306") == "+8613489297306"
    assert normalize_phone("18098364643,+86-25-45528888") == "+8618098364643"
    assert normalize_phone("199-20195820；021-37686666") == "+8619920195820"
    assert normalize_phone("021-63590940, 0571-45095874") == "+862163590940"
    assert normalize_phone("nix / 0175 93145844", "DE") == "+4917593145844"
    # an extension after the last dash: the switchboard's number
    assert normalize_phone("0731-32785790-1377") == "+8673132785790"
    assert normalize_phone("（0532）45469034-1788") == "+8653245469034"
    assert normalize_phone("(0769)83620000-转-5646") == "+8676983620000"
    # a number that parses whole is read whole: dashes and slashes inside one number
    assert normalize_phone("138-1234-5678") == "+8613812345678"
    assert normalize_phone("0421/123456", "DE") == "+49421123456"
    assert normalize_phone("(704) 649-2281", "US") == "+17046492281"
    # and the parts of a cell that is no number stay no number
    for bad in ("772-2704", "12345 / 67890", "010-6552-99", "0151/3336418 / abc"):
        assert normalize_phone(bad, "US" if bad == "772-2704" else "CN") is None


def test_masked_chinese_mobiles_keep_what_they_show() -> None:
    for shown in ("177****1591", "177 **** 1591", "177xxxx1591", "１７７＊＊＊＊１５９１"):
        assert normalize_phone(shown) == "+86177****1591"
    assert normalize_phone("+86 177****1591", "US") == "+86177****1591"
    for bad in ("12****34", "177***1591", "277****1591"):
        assert normalize_phone(bad) is None
    assert normalize_phone("177****1591", "US") is None  # a Chinese mask only in China


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


def test_an_impossible_date_keeps_its_digits_for_matching() -> None:
    """1973-19-14 is no date, but most often 1973-10-14 with one digit mistyped: the
    engine keeps it, so the two compare as a typo instead of one being missing."""
    assert normalize_date("1973-19-14", keep_impossible=True) == "1973-19-14"
    assert normalize_date("19430177", keep_impossible=True) == "1943-01-77"
    assert normalize_date("14.19.1973", keep_impossible=True) == "1973-19-14"
    assert normalize_date("soon", keep_impossible=True) is None
    assert normalize_date("0000-00-00", keep_impossible=True) is None  # no year
    key = normalizer_for(FieldType.DATE, "CN")
    assert key("1973-19-14") == "1973-19-14"
    assert _levels_of_dates([("1973-10-14", "1973-19-14")]) == ["typo"]


def _levels_of_dates(pairs: list[tuple[str, str]]) -> list[str]:
    key = normalizer_for(FieldType.DATE, "CN")
    values = [(key(c) or "",) for pair in pairs for c in pair]
    fd = build_field("d", FieldType.DATE, [v if v[0] else () for v in values])
    left = np.arange(0, len(values), 2)
    return [level_name(FieldType.DATE, int(x)) for x in compare_field(fd, left, left + 1)]


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
    assert normalize_person_name("马阿姨") == "马"
    assert normalize_person_name("张小朋友") == "张"
    assert normalize_person_name("刘太太") == "刘"
    assert normalize_person_name("张工") == "张"  # an engineer
    assert normalize_person_name("王姐") == "王"
    assert normalize_person_name("张志工") == "张志工"  # after a whole name: a given name


def test_a_chinese_name_cell_keeps_the_name() -> None:
    assert normalize_person_name("邱新强 Daniel") == "邱新强"  # an English name beside it
    assert normalize_person_name("Tom(李国庆)") == "李国庆"  # the name in brackets
    assert normalize_person_name("张豪(科维建筑工程)") == "张豪"  # a note in brackets
    assert normalize_person_name("王伟（销售）") == "王伟"
    assert normalize_person_name("Anna 王") == "Anna王"  # one character: not a name alone
    assert normalize_person_name("Zhang Wei") == "zhang wei"  # letters only: Latin rules
    assert normalize_person_name("新民☀️") == "新民"  # a WeChat name's emoji
    assert normalize_person_name("李娜🌸") == "李娜"
    assert normalize_person_name("微信用户") is None  # WeChat's default nickname: no name
    assert normalize_person_name("未知") is None


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
    # and names ending in one, two or three of cleanco's own legal forms (as it spells
    # them, in any case, with punctuation), behind ordinary words
    import random

    from cleanco.termdata import terms_by_country, terms_by_type

    forms = sorted({t for ts in [*terms_by_type.values(), *terms_by_country.values()] for t in ts})
    rng = random.Random(3)
    words = ["acme", "müller", "&", "co", "bau", "und", "söhne", "s.a.", "de", "-", "x,"]
    for _ in range(3000):
        head = " ".join(rng.choice(words) for _ in range(rng.randint(0, 3)))
        tail = " ".join(rng.choice(forms) for _ in range(rng.randint(1, 3)))
        name = f"{head} {tail}{rng.choice(['', '.', ',', ' ', ' -'])}"
        names.append(name.upper() if rng.random() < 0.3 else name)
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


def _ascii_cells(seed: int, count: int) -> list[str]:
    """Short ASCII cells made of the characters the normalizers treat specially."""
    import random

    rng = random.Random(seed)
    pieces = [
        *"abcXYZ019@.,-_'\"()/\\<>;:+#",
        *" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f",
        "  ",
        "mailto:",
        "john",
        "O'Brien",
        "gmbh",
        "info@",
        "@example.com",
        "+1",
        "(212) 555-0134",
        "13800138000",
        "+86 138 0013 8000",
        "0086",
        "415 555 2671",
    ]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(count)]


def test_ascii_columns_normalize_as_cell_by_cell() -> None:
    from dedupe.normalize import (
        normalize_email_ascii,
        normalize_person_name_ascii,
        normalize_phone_ascii,
        normalize_text_ascii,
    )

    cells = _ascii_cells(3, 4000) + ["", " ", "  Jane  Doe ", "A@B.COM", "<a@b.co>;"]
    cells += ["0175 93145844 (mobil)", "13800138000 same as wechat", "abc 13800138000 x"]
    cells += ["010-4316 6666 / 13489297306", "0731-32785790-1377", " 0421/123456 ,x"]
    cells += ["177****1591", "+86 177xxxx1591", "177****1591 / 010-4316 6666"]
    assert normalize_text_ascii(cells) == [normalize_text(c) for c in cells]
    assert normalize_person_name_ascii(cells) == [normalize_person_name(c) for c in cells]
    assert normalize_email_ascii(cells) == [normalize_email(c) for c in cells]
    for region in ("CN", "US", "DE"):
        assert normalize_phone_ascii(cells, region) == [normalize_phone(c, region) for c in cells]
    # a cell holding the join separator is left to the per-cell path
    assert normalize_text_ascii(["a", "b\x00c"]) is None
    assert normalize_text_ascii([]) == []


def test_a_field_of_mixed_cells_gets_the_per_cell_keys() -> None:
    from dedupe import FieldType
    from dedupe.prepare import _PLACES, _normalize_values, latin_place, normalizer_for

    cells: list[object] = [
        *_ascii_cells(5, 1500),
        "張偉",
        "ＪＯＨＮ  Smith",
        "José O'Brien",
        "Acme GmbH",
        "info@firma.de",
        "广东省深圳市南山区科技园路1号",
        "1578  Henderson Street",
        "mailto:X@Y.DE",
        None,
        12345,
    ]
    for ftype in (FieldType.PERSON_NAME, FieldType.EMAIL, FieldType.ADDRESS, FieldType.PHONE):
        keys, places = _normalize_values(ftype, "US", cells)
        norm = normalizer_for(ftype, "US")
        expected = [norm(c) if c is not None and str(c).strip() else None for c in cells]
        assert keys == expected, ftype
        if ftype is FieldType.ADDRESS:  # and the place of each, as the per-cell split finds it
            assert places is not None
            for cell, key, place in zip(cells, keys, places, strict=True):
                if key is not None:
                    _PLACES.clear()
                    norm(cell)
                    assert (place or latin_place(key)) == _PLACES[key], cell


def _bijective(codes: list[int], strings: list[str]) -> bool:
    """Whether equal codes mean equal strings and back ("" = code -1 = none)."""
    pairs = set(zip(codes, strings, strict=True))
    return len({c for c, _ in pairs}) == len(pairs) == len({s for _, s in pairs}) and all(
        (c < 0) == (s == "") for c, s in pairs
    )


def test_name_keys_per_distinct_name() -> None:
    """The array-built keys of a name field say what each name alone says."""
    from dedupe.normalize import metaphone_token
    from dedupe.prepare import _name_keys, syllables

    names = [
        "john smith",
        "smith john",
        "j smith",
        "jon smyth",
        "john john",
        "h w",
        "aa",
        "mary ann o connor",
        "张伟",
        "章伟",
        "欧阳小明",
        "王",
        "x y z",
    ]
    keys = _name_keys(names)
    toks = [n.split() if n.isascii() else [] for n in names]
    phonetic = [name_phonetic(n) for n in names]
    assert _bijective(keys["phonetic"][0].tolist(), phonetic)
    last = [t[-1] if len(t) >= 2 else "" for t in toks]
    assert _bijective(keys["last_token"][0].tolist(), last)
    initial = [t[0][0] if len(t) >= 2 else "" for t in toks]
    assert _bijective(keys["initial"][0].tolist(), initial)
    short = [len(t) >= 2 and len(t[0]) == 1 for t in toks]
    assert keys["short_first"][0].tolist() == short
    assert keys["cjk"][0].tolist() == [not n.isascii() for n in names]
    assert keys["syllables"][0].tolist() == ["" if n.isascii() else syllables(n) for n in names]
    surname = ["" if n.isascii() else syllables(n)[:1] for n in names]
    assert _bijective(keys["surname"][0].tolist(), surname)
    # blocking keys: each Latin token of 2+ letters by sound, a Chinese given name's sound
    lens, flat = keys["tokens"]
    at = 0
    got: list[tuple[int, ...]] = []
    for size in lens.tolist():
        got.append(tuple(sorted(flat[at : at + size].tolist())))
        at += size
    want = [
        tuple(sorted({metaphone_token(t) for t in n.split() if len(t) >= 2}))
        if n.isascii()
        else ((name_phonetic(n[1:]),) if len(n) >= 3 else ())
        for n in names
    ]
    for codes, strings in zip(got, want, strict=True):
        assert len(codes) == len(strings)
    for a in range(len(names)):  # two names share as many keys as their sounds
        for b in range(len(names)):
            shared = set(got[a]) & set(got[b])
            assert len(shared) == len(set(want[a]) & set(want[b])), (names[a], names[b])
