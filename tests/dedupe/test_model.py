"""The model's data-driven guards: how EM's match class is kept to the person."""

from __future__ import annotations

import numpy as np

from dedupe import MatchSpec
from dedupe.model import _name_sounds, _tf_tables, different_name_caps
from dedupe.prepare import prepare


def _prep():  # type: ignore[no-untyped-def]
    spec = MatchSpec.from_dict(
        {
            "id": "id",
            "fields": {"name": "person_name", "email": "email", "mobile": "phone"},
        }
    )
    return prepare([{"id": "1", "name": "王伟", "email": "a@b.cn", "mobile": ""}], spec)


def _patterns(prep, anchors: int, different: int, others: int):  # type: ignore[no-untyped-def]
    """`anchors` pairs agreeing on the e-mail, `different` of them with plainly
    different names, and `others` pairs tied by the phone alone, all with different
    names (what a household looks like)."""
    cols = list(prep.fields)
    rows = np.full((anchors + others, len(cols)), -1, dtype=np.int8)
    rows[:anchors, cols.index("email")] = 2  # exact
    rows[:anchors, cols.index("name")] = 4
    rows[:different, cols.index("name")] = 0
    rows[anchors:, cols.index("mobile")] = 2
    rows[anchors:, cols.index("name")] = 0
    return rows, np.ones(len(rows))


def test_anchor_pairs_lower_the_cap_on_different_names() -> None:
    prep = _prep()
    pat, cnt = _patterns(prep, anchors=200, different=10, others=500)
    caps = different_name_caps(prep, pat, cnt, shared=())
    # 10 of 200 pairs tied by an e-mail differ in name: the households the phone ties
    # do not raise it
    assert abs(caps["name"] - (10 + 30 * 0.02) / (200 + 30)) < 1e-9


def test_the_cap_never_rises_and_needs_enough_anchors() -> None:
    prep = _prep()
    pat, cnt = _patterns(prep, anchors=200, different=120, others=0)
    assert different_name_caps(prep, pat, cnt, shared=())["name"] == 0.1
    pat, cnt = _patterns(prep, anchors=60, different=0, others=500)
    assert different_name_caps(prep, pat, cnt, shared=()) == {}
    # an e-mail found shared by different people (a family's) ties no one
    pat, cnt = _patterns(prep, anchors=200, different=10, others=0)
    assert different_name_caps(prep, pat, cnt, shared=("email",)) == {}


def test_a_name_seen_only_in_the_pair_counts_no_other_holder() -> None:
    """Term frequencies count a value's holders other than the records compared, and
    other than the one person whose name all its holders bear."""
    spec = MatchSpec.from_dict(
        {"id": "id", "fields": {"name": "person_name", "mobile": "phone", "email": "email"}}
    )
    rows = [{"id": f"{i}", "name": "王伟", "mobile": f"1380013{i:04d}"} for i in range(50)]
    rows += [
        {"id": "a", "name": "欧阳修竹", "mobile": "13900000000", "email": "oy@x.cn"},
        {"id": "b", "name": "欧阳修竹", "mobile": "13900000000", "email": "oy@x.cn"},
        {"id": "c", "name": "李雷", "mobile": "13700000000"},  # a family's one phone
        {"id": "d", "name": "韩梅梅", "mobile": "13700000000"},
        {"id": "e", "mobile": "13600000000"},  # no name: says nothing of who holds it
        {"id": "f", "mobile": "13600000000"},
    ]
    prep = prepare(rows, spec)
    u = {name: np.array([0.99, 0.01]) for name in prep.fields}
    tables, default = _tf_tables(prep, u)
    name_fd, phone_fd = prep.fields["name"], prep.fields["mobile"]
    names = dict(zip(name_fd.vocab, tables["name"].array(default["name"]), strict=True))
    phones = dict(zip(phone_fd.vocab, tables["mobile"].array(default["mobile"]), strict=True))
    pseudo, named, phoned = 100 * 0.01, 54 + 100, 56 + 100
    # the rare name: no holder besides the two records compared; 王伟: 48 others
    assert names["欧阳修竹"] == pseudo / named
    assert names["王伟"] == (48 + pseudo) / named
    # a phone seen twice under two names keeps one other holder (families share one);
    # under one name, it is one person's: no other holder; without names, its tally
    assert phones["+8613700000000"] == (1 + pseudo) / phoned
    assert phones["+8613900000000"] == pseudo / phoned
    assert phones["+8613600000000"] == (1 + pseudo) / phoned
    # an e-mail, like a name, belongs to one person
    mail_fd = prep.fields["email"]
    mails = dict(zip(mail_fd.vocab, tables["email"].array(default["email"]), strict=True))
    assert mails["oy@x.cn"] == pseudo / (2 + 100)


def _frequencies(rows: list[dict[str, str]], fields: dict[str, str], column: str) -> dict:
    """Each value of `column` and its term frequency (an exact-match u of 0.01)."""
    prep = prepare(rows, MatchSpec.from_dict({"id": "id", "fields": fields}))
    tables, default = _tf_tables(prep, {k: np.array([0.99, 0.01]) for k in prep.fields})
    fd = prep.fields[column]
    return dict(zip(fd.vocab, tables[column].array(default[column]).tolist(), strict=True))


_NAME_MOBILE = {"name": "person_name", "mobile": "phone"}


def test_a_contact_point_counts_other_names_records_and_a_place_other_names() -> None:
    """A phone written down twenty times by one customer and twice by her child has
    two other holders, not ten; an address where a couple live counts the other
    spouse as one of two people, however few records each has."""
    fields = {**_NAME_MOBILE, "address": "address"}
    rows = [{"id": f"m{i}", "name": "陈媛", "mobile": "13800138000"} for i in range(18)]
    rows += [{"id": f"c{i}", "name": "张小宝", "mobile": "13800138000"} for i in range(2)]
    home = "北京市朝阳区建国路88号"
    rows += [{"id": f"h{i}", "name": "李雷", "address": home} for i in range(3)]
    rows += [{"id": "w", "name": "韩梅梅", "address": home}]
    pseudo = 100 * 0.01
    phone = _frequencies(rows, fields, "mobile")
    assert list(phone.values()) == [(2 + pseudo) / (20 + 100)]  # 20 holders, 2 others
    address = _frequencies(rows, fields, "address")
    assert list(address.values()) == [(2 + pseudo) / (4 + 100)]  # 4 records, two people


def test_a_name_written_down_many_times_by_one_person_is_not_common() -> None:
    """Frequent is not always common: an inventor named on eighteen patents at one
    employer, and a namesake at another twice, are two holders of the name, not twenty;
    a name borne by twenty people at twenty employers stays as common as its tally."""
    fields = {"name": "person_name", "employer": "company_name"}
    rows = [{"id": f"j{i}", "name": "Junyi Li", "employer": "Qualcomm"} for i in range(18)]
    rows += [{"id": f"x{i}", "name": "Junyi Li", "employer": "Tianma"} for i in range(2)]
    rows += [{"id": f"s{i}", "name": "John Smith", "employer": f"Firm {i}"} for i in range(20)]
    names = _frequencies(rows, fields, "name")
    pseudo = 100 * 0.01
    assert names["junyi li"] == (2 + pseudo) / (40 + 100)  # the namesake's two records
    assert names["john smith"] == (18 + pseudo) / (40 + 100)  # leave-pair-out tally


def test_a_surname_column_alone_keeps_its_tally() -> None:
    """A surname alone is a family's: the eighteen Schmidts of one firm may be a father,
    his children and his cousins, so with given name and surname in two columns the
    surname's frequency stays its records' tally (counted by holders, de_latin's
    relatives looked like one rare person and merged)."""
    fields = {"given": "person_name", "surname": "person_name", "employer": "company_name"}
    rows = [
        {"id": f"s{i}", "given": f"G{i}", "surname": "Schmidt", "employer": "Schmidt GmbH"}
        for i in range(18)
    ]
    rows += [
        {"id": f"o{i}", "given": "Eva", "surname": f"Other{i}", "employer": ""} for i in range(22)
    ]
    surnames = _frequencies(rows, fields, "surname")
    pseudo = 100 * 0.01
    assert surnames["schmidt"] == (16 + pseudo) / (40 + 100)  # leave-pair-out tally


def test_a_bare_chinese_surname_is_nobody_in_particular() -> None:
    """陈女士 is read as 陈: a family, not a person. Her phone, written twelve times as
    陈媛 and three times as 陈女士, has no other holder."""
    rows = [{"id": f"m{i}", "name": "陈媛", "mobile": "13800138000"} for i in range(12)]
    rows += [{"id": f"s{i}", "name": "陈女士", "mobile": "13800138000"} for i in range(3)]
    sounds = _name_sounds(prepare(rows, MatchSpec.from_dict({"id": "id", "fields": _NAME_MOBILE})))
    assert sounds is not None and (sounds == -1).sum() == 3
    assert list(_frequencies(rows, _NAME_MOBILE, "mobile").values()) == [1.0 / (15 + 100)]


def test_initials_titles_and_suffixes_do_not_make_another_holder() -> None:
    """Daniel J. Torres, MR. DANIEL TORRES and Daniel Torres Jr. hold one cell phone:
    one person. Amy Torres on it is another."""
    cell = {"mobile": "+1 212 555 0100"}
    rows = [{"id": f"d{i}", "name": "Daniel Torres", **cell} for i in range(3)]
    rows += [
        {"id": "j", "name": "Daniel J. Torres", **cell},
        {"id": "m", "name": "MR. DANIEL TORRES", **cell},
        {"id": "s", "name": "Daniel Torres Jr.", **cell},
    ]
    assert list(_frequencies(rows, _NAME_MOBILE, "mobile").values()) == [1.0 / (6 + 100)]
    rows.append({"id": "a", "name": "Amy Torres", **cell})
    assert list(_frequencies(rows, _NAME_MOBILE, "mobile").values()) == [2.0 / (7 + 100)]


def test_a_name_in_pinyin_is_its_hanzi_holder() -> None:
    """郭强 and GUO QIANG (or Qiang Guo) on one mobile are one person; Cherry beside
    them says nothing of who."""
    mobile = {"mobile": "18256039919"}
    rows = [{"id": f"h{i}", "name": "郭強", **mobile} for i in range(3)]
    rows += [{"id": "p", "name": "GUO QIANG", **mobile}, {"id": "q", "name": "Qiang Guo", **mobile}]
    rows += [{"id": "c", "name": "Cherry", **mobile}]  # an English name: nobody in particular
    assert list(_frequencies(rows, _NAME_MOBILE, "mobile").values()) == [1.0 / (6 + 100)]


def test_no_value_seen_twice_under_a_name_keeps_every_tally() -> None:
    """A phone repeated only by records without a name: nothing says who holds it."""
    rows = [
        {"id": "a", "name": "王伟", "mobile": "13800138000"},
        {"id": "b", "mobile": "13900139000"},
        {"id": "c", "mobile": "13900139000"},
    ]
    freq = _frequencies(rows, _NAME_MOBILE, "mobile")
    assert freq["+8613900139000"] == (1 + 1.0) / (3 + 100)  # its other holder, c or b
