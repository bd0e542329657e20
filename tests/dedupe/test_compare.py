"""Comparison levels per field type: what counts as the same, close, or different."""

from __future__ import annotations

import numpy as np

from dedupe import FieldType, MatchSpec
from dedupe.blocking import candidate_pairs
from dedupe.compare import compare_field, level_name
from dedupe.model import comparison_matrix
from dedupe.prepare import build_field, normalizer_for, prepare


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
            ("Georgia Rundle", "Rundle"),
            ("王女士", "王丽娟"),
            ("王女士", "李丽娟"),
            ("Cindy Chen", "Cynthia Chen"),  # a nickname
            ("张浩强", "Hao-qiang Zhang"),  # pinyin, surname last
            ("贾晖", "Kevin Jia"),  # an English name: not the same given name
            ("邱新强 Daniel", "邱新强"),  # beside the Chinese name
            ("Tom(李国庆)", "李国庆"),
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
        "similar",
        "similar",
        "different",
        "close",
        "sounds_alike",
        "different",
        "exact",
        "exact",
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
            ("1981-12-31", "1981-12-08"),
            ("1943-03-08", "2001-03-08"),
            ("2001-03-06", "1999-01-01"),
        ],
    ) == ["exact", "typo", "two_parts", "two_parts", "different"]
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


def test_given_name_and_surname_swapped_between_columns() -> None:
    spec = MatchSpec.from_dict(
        {"id": "id", "fields": {"given": "person_name", "surname": "person_name"}}
    )
    prep = prepare(
        [
            {"id": "a", "given": "Max", "surname": "White"},
            {"id": "b", "given": "White", "surname": "Max"},
            {"id": "c", "given": "Elizabeth", "surname": "Stephenson"},
            {"id": "d", "given": "Stephenson", "surname": "Elizbeth"},
            {"id": "e", "given": "Anna", "surname": "Smith"},
        ],
        spec,
    )
    levels = comparison_matrix(prep, np.array([0, 2, 0]), np.array([1, 3, 4]))
    names = [[level_name(FieldType.PERSON_NAME, int(x)) for x in row] for row in levels[:, :2]]
    assert names == [["exact", "exact"], ["sounds_alike", "exact"], ["different", "different"]]
    # and blocking proposes the swapped pairs
    cand, _ = candidate_pairs(prep, max_block=60)
    assert {(0, 1), (2, 3)} <= set(map(tuple, cand.tolist()))


def test_list_cells_take_the_best_level_over_their_elements() -> None:
    from itertools import product

    from dedupe.compare import compare_values

    rows = [
        ("+8613800138000", "+862162345678"),
        ("+8613800138001",),  # one typo from the first record's mobile
        ("+862162345678", "+8613900000000"),  # shares the first record's landline
        ("+8613700000000", "+8613600000000"),
        (),
    ]
    fd = build_field("phones", FieldType.PHONE, rows)
    assert fd.multi
    left, right = np.triu_indices(len(rows), 1)
    got = compare_field(fd, left, right)
    for k, (i, j) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        if not rows[i] or not rows[j]:
            assert got[k] == -1
            continue
        combos = list(product(rows[i], rows[j]))
        each = compare_values(
            "phones", FieldType.PHONE, [(a,) for a, _ in combos], [(b,) for _, b in combos]
        )
        assert got[k] == each.max(), (rows[i], rows[j])
    names = {
        (int(i), int(j)): level_name(FieldType.PHONE, int(x))
        for i, j, x in zip(left, right, got, strict=True)
    }
    assert names[(0, 1)] == "typo" and names[(0, 2)] == "exact" and names[(0, 3)] == "different"


def test_latin_name_levels_are_what_the_rapidfuzz_scorers_say() -> None:
    """Token-sort (as a ratio of tokens sorted once per value) and "one name inside the
    other" (from token codes) give the levels of rapidfuzz's own scorers; a nickname
    for the one token that differs (the `nicknames` package's table) is "close"."""
    import random

    from nicknames import NickNamer
    from rapidfuzz import fuzz
    from rapidfuzz.distance import JaroWinkler

    rng = random.Random(11)
    words = ["ann", "anne", "john", "jon", "smith", "smyth", "lee", "o", "mary", "j", "van"]
    words += ["jack", "bill", "william", "polly"]
    namer, nicknamed = NickNamer(), 0
    names = sorted(
        {" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(300)}
    )
    fd = build_field("n", FieldType.PERSON_NAME, [(n,) for n in names])
    left, right = np.triu_indices(len(names), 1)
    got = compare_field(fd, left, right)
    for i, j, level in zip(left.tolist(), right.tolist(), got.tolist(), strict=True):
        a, b = names[i], names[j]
        if fd.derived["phonetic"][i] == fd.derived["phonetic"][j]:
            assert level == 3
            continue
        # as the engine reads them: rapidfuzz's scores in float32
        jw = float(np.float32(JaroWinkler.normalized_similarity(a, b)))
        best = max(jw, float(np.float32(fuzz.token_sort_ratio(a, b))) / 100)
        ta, tb = a.split(), b.split()
        initial = (
            len(ta) >= 2
            and len(tb) >= 2
            and ta[-1] == tb[-1]
            and ta[0][0] == tb[0][0]
            and (len(ta[0]) == 1 or len(tb[0]) == 1)
        )
        want = 2 if best >= 0.93 else 1 if best >= 0.85 or initial else 0
        if want == 0 and fuzz.token_set_ratio(a, b) >= 100:
            want = 1
        # one token apart where that token is a nickname of the other's (ann / anne)
        sa, sb = set(ta), set(tb)
        shared = sa & sb
        if want < 2 and min(len(sa), len(sb)) - len(shared) == 1:
            rest = sorted(
                ({t for t in sa - sb if len(t) > 1}, {t for t in sb - sa if len(t) > 1}), key=len
            )
            if (shared or len(sa) == len(sb) == 1) and len(rest[0]) == 1:
                (x,) = rest[0]
                near = namer.nicknames_of(x) | namer.canonicals_of(x)
                if near & rest[1]:
                    want = 2
                    nicknamed += 1
        assert level == want, (a, b)
    assert nicknamed > 100  # the rule was exercised


def test_one_edit_levels_are_what_osa_says() -> None:
    """Phones, identifiers and e-mails: the character-count filter before the edit
    distance never drops a pair that is one edit apart (substitution, insertion,
    deletion, two neighbours swapped), in ASCII or not."""
    import random

    from rapidfuzz.distance import OSA

    rng = random.Random(5)
    alphabet = "0123456789+abcé张"
    base = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14))) for _ in range(80)]
    values = set(base)
    for v in base:
        i = rng.randrange(len(v))
        values |= {
            v[:i] + rng.choice(alphabet) + v[i + 1 :],
            v[:i] + v[i + 1 :],
            v[:i] + rng.choice(alphabet) + v[i:],
            v[:i] + v[i + 1 : i + 2] + v[i : i + 1] + v[i + 2 :],
        }
    values.discard("")
    uniq = sorted(values)
    for ftype in (FieldType.PHONE, FieldType.IDENTIFIER):
        fd = build_field("f", ftype, [(v,) for v in uniq])
        left, right = np.triu_indices(len(uniq), 1)
        got = compare_field(fd, left, right)
        want = [
            1 if OSA.distance(uniq[i], uniq[j]) <= 1 else 0
            for i, j in zip(left.tolist(), right.tolist(), strict=True)
        ]
        if ftype is FieldType.IDENTIFIER:  # a short code one typo away is another code
            short = np.minimum(fd.derived["length"][left], fd.derived["length"][right]) < 6
            want = [0 if s else w for w, s in zip(want, short.tolist(), strict=True)]
        assert got.tolist() == want
        assert sum(want) > 200
        # a few pairs of a big field count only their own values' characters
        few = np.flatnonzero(np.asarray(want))[:20]
        fresh = build_field("f", ftype, [(v,) for v in uniq])
        assert compare_field(fresh, left[few], right[few]).tolist() == got[few].tolist()
        assert "_char_table" not in fresh.__dict__


def test_a_masked_mobile_is_near_the_numbers_it_may_be() -> None:
    from dedupe import MatchSpec
    from dedupe.blocking import candidate_pairs
    from dedupe.prepare import prepare

    cells = ["177****1591", "17712341591", "177 5555 1591", "17712341592", "177****1591", ""]
    spec = MatchSpec.from_dict({"id": "id", "fields": {"phone": "phone"}})
    prep = prepare([{"id": str(i), "phone": c} for i, c in enumerate(cells)], spec)
    assert prep.fields["phone"].text_of(np.arange(6)).tolist()[0] == "+86177****1591"
    left, right = np.triu_indices(len(cells), 1)
    levels = compare_field(prep.fields["phone"], left, right)
    got = {
        (int(i), int(j)): level_name(FieldType.PHONE, int(x))
        for i, j, x in zip(left, right, levels, strict=True)
    }
    # the mask fits both full numbers ending in 1591; not the one ending in 1592
    assert got[(0, 1)] == got[(0, 2)] == "typo" and got[(0, 3)] == "different"
    assert got[(0, 4)] == "exact" and got[(0, 5)] == "missing"
    assert got[(1, 2)] == "different" and got[(1, 3)] == "typo"  # one digit off
    # blocking proposes the masked number with the full ones it may be
    cand, stats = candidate_pairs(prep, max_block=60)
    assert {(0, 1), (0, 2), (1, 4)} <= set(map(tuple, cand.tolist()))
    assert "phone~masked" in stats
    # and a column without masks gets no such pass
    plain = prepare([{"id": "a", "phone": "17712341591"}, {"id": "b", "phone": ""}], spec)
    assert "phone~masked" not in candidate_pairs(plain, max_block=60)[1]


def test_masked_mobiles_in_list_cells() -> None:
    rows = [("+86177****1591", "+862162345678"), ("+8617712341591",), ("+8613800138000",)]
    fd = build_field("phones", FieldType.PHONE, rows)
    got = compare_field(fd, np.array([0, 0]), np.array([1, 2]))
    assert [level_name(FieldType.PHONE, int(x)) for x in got] == ["typo", "different"]
