"""The engine end to end: accuracy on generated data, explanations, determinism."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from dedupe import CUSTOMER_SPEC, MatchSettings, MatchSpec, resolve

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_dedupe import pair_metrics  # noqa: E402

CUSTOMERS = [
    {
        "id": "1",
        "name": "张伟",
        "mobile": "+86 138-0013-8000",
        "email": "zw@a.com",
        "city": "北京",
        "address": "北京市朝阳区建国路88号",
    },
    {"id": "2", "name": "張偉", "mobile": "13800138000", "city": "北京市"},
    {"id": "3", "name": "章伟", "mobile": "0086 138 0013 8000", "email": "ZW@A.COM"},
    {"id": "4", "name": "李娜", "mobile": "13900000000", "email": "ln@b.com", "city": "上海"},
    {
        "id": "5",
        "name": "李娜",
        "phones": ["021-6234 5678", "13900000000"],
        "company_name": "某某科技(上海)有限公司",
    },
    {"id": "6", "name": "王芳", "mobile": "13700000000", "email": "wf@c.com", "city": "上海"},
    {"id": "7", "name": "Wang Fang", "mobile": "137 0000 0000"},
]


def test_customer_spec_small_set() -> None:
    res = resolve(CUSTOMERS, CUSTOMER_SPEC)
    c = res.clusters
    assert set(c) == {r["id"] for r in CUSTOMERS}
    assert c["1"] == c["2"] == c["3"]
    assert c["4"] == c["5"]  # the mobile is one of record 5's phones
    assert c["6"] == c["7"]  # romanised name sounds like the hanzi
    assert len({c["1"], c["4"], c["6"]}) == 3
    for cid in c.values():
        assert cid.startswith("C") and len(cid) == 13


def test_pairs_explain_every_field() -> None:
    res = resolve(CUSTOMERS, CUSTOMER_SPEC)
    pair = next(p for p in res.pairs if {p.id_l, p.id_r} == {"1", "3"})
    assert pair.decision == "merge" and pair.probability >= 0.95
    assert pair.explanation["mobile"]["level"] == "exact"
    assert pair.explanation["name"]["level"] == "sounds_alike"
    assert pair.explanation["company_name"] == {"level": "missing", "weight": 0.0}
    assert all(set(v) == {"level", "weight"} for v in pair.explanation.values())
    assert all(p.probability >= MatchSettings().lower or p.note for p in res.pairs)


def test_accuracy_chinese(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    res = resolve(zh_rows, zh_spec)
    m = pair_metrics([r["entity"] for r in zh_rows], [res.clusters[r["id"]] for r in zh_rows])
    assert m["precision"] >= 0.98 and m["recall"] >= 0.9


def test_accuracy_latin(en_rows, en_spec) -> None:  # type: ignore[no-untyped-def]
    res = resolve(en_rows, en_spec)
    m = pair_metrics([r["entity"] for r in en_rows], [res.clusters[r["id"]] for r in en_rows])
    assert m["precision"] >= 0.98 and m["recall"] >= 0.95


def test_deterministic_whatever_the_input_order(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    rows = zh_rows[:600]
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    a, b = resolve(rows, zh_spec), resolve(shuffled, zh_spec)
    assert a.clusters == b.clusters
    assert [(p.id_l, p.id_r, p.probability) for p in a.pairs] == [
        (p.id_l, p.id_r, p.probability) for p in b.pairs
    ]


def test_coded_columns_give_what_lists_give(en_rows, en_spec) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from dedupe.columns import CodedColumn

    rows = en_rows[:800]
    lists = {k: [r.get(k) or None for r in rows] for k in [en_spec.id, *en_spec.fields]}
    coded: dict[str, object] = {en_spec.id: lists[en_spec.id]}
    for name in en_spec.fields:  # distinct values in reverse order: order must not matter
        values = sorted({v for v in lists[name] if v is not None}, reverse=True)
        at = {v: k for k, v in enumerate(values)}
        codes = np.array([at[v] if v is not None else -1 for v in lists[name]])
        coded[name] = CodedColumn(codes, values)
    a, b = resolve(lists, en_spec), resolve(coded, en_spec)  # type: ignore[arg-type]
    assert a.clusters == b.clusters
    assert [(p.id_l, p.id_r, p.probability) for p in a.pairs] == [
        (p.id_l, p.id_r, p.probability) for p in b.pairs
    ]


def test_empty_and_single() -> None:
    assert resolve([], CUSTOMER_SPEC).clusters == {}
    assert len(resolve(CUSTOMERS[:1], CUSTOMER_SPEC).clusters) == 1


def test_parallel_normalization_gives_the_same_result(zh_rows, zh_spec, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dedupe.prepare

    monkeypatch.setattr(dedupe.prepare, "_PARALLEL_MIN", 0)
    one = resolve(zh_rows, zh_spec)
    two = resolve(zh_rows, zh_spec, MatchSettings(workers=2))
    assert one.clusters == two.clusters
    assert [(p.id_l, p.id_r, p.probability) for p in one.pairs] == [
        (p.id_l, p.id_r, p.probability) for p in two.pairs
    ]


def test_parallel_comparison_gives_the_same_levels(zh_rows, zh_spec, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dedupe.model
    from dedupe.blocking import candidate_pairs
    from dedupe.prepare import prepare

    one = resolve(zh_rows, zh_spec)
    monkeypatch.setattr(dedupe.model, "_PARALLEL_PAIRS", 0)
    two = resolve(zh_rows, zh_spec, MatchSettings(workers=2))
    assert one.clusters == two.clusters
    # level by level, on every candidate pair (each field's value pairs in shares)
    prep = prepare(zh_rows, zh_spec)
    cand, _ = candidate_pairs(prep, 60)
    serial = dedupe.model.comparison_matrix(prep, cand[:, 0], cand[:, 1])
    forked = dedupe.model.comparison_matrix(prep, cand[:, 0], cand[:, 1], workers=2)
    assert len(cand) > 1000 and (serial == forked).all()


def test_weights_in_chunks_give_the_whole_weights(zh_rows, zh_spec, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Scorer.contributions weighs the pairs chunk by chunk (memory): every step must
    stay row by row, so that chunks of 7 pairs give the bits of one chunk exactly."""
    import numpy as np

    import dedupe.engine

    whole = resolve(zh_rows, zh_spec)
    monkeypatch.setattr(dedupe.engine, "_CHUNK", 7)
    chunked = resolve(zh_rows, zh_spec)
    assert whole.state is not None and chunked.state is not None
    assert len(whole.state.bits) > 1000 and len(whole.state.bits) % 7
    assert np.array_equal(whole.state.bits, chunked.state.bits)
    assert whole.clusters == chunked.clusters
    assert whole.pairs == chunked.pairs


def test_parallel_blocking_gives_the_same_candidates(en_rows, en_spec, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    import dedupe.blocking
    from dedupe.prepare import prepare

    monkeypatch.setattr(dedupe.blocking, "_PARALLEL_RECORDS", 0)
    prep = prepare(en_rows, en_spec)
    for budget in (None, 2 * prep.n):  # the budget drops the same weak passes either way
        serial = dedupe.blocking.candidate_pairs(prep, 60, budget)
        forked = dedupe.blocking.candidate_pairs(prep, 60, budget, workers=2)
        assert np.array_equal(serial[0], forked[0]) and serial[1] == forked[1]
    assert -1 in serial[1].values() and len(serial[0]) > 1000


def _colleagues() -> list[dict[str, str]]:
    """Forty companies of eight people: every record carries its company's name, tax
    number, switchboard and office address; a third of the people appear twice, the
    copy sharing their mobile."""
    rng = random.Random(5)
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚",
    )
    rows = []
    for c in range(40):
        company = {
            "company_name": f"{'华美恒通瑞达'[c % 6]}{'科技贸易物流'[c % 3]}{c}有限公司",
            "uscc": f"91310000MA{c:08d}",
            "phones": f"021-6{c:03d}8888",
            "address": f"上海市浦东新区世纪大道{100 + c}号{c % 30 + 1}层",
        }
        for p in range(8):
            name = rng.choice(surnames) + rng.choice(given) + rng.choice(given)
            mobile = f"13{rng.randrange(10**9):09d}"
            for copy in range(1 + (p % 3 == 0)):
                rows.append(
                    {
                        "id": f"{c}-{p}-{copy}",
                        "entity": f"{c}-{p}",
                        "name": name,
                        "mobile": mobile,
                        **company,
                    }
                )
    return rows


def test_colleagues_sharing_a_company_stay_apart() -> None:
    rows = _colleagues()
    res = resolve(rows, CUSTOMER_SPEC)
    assert {"company_name", "uscc"} <= set(res.model.shared)  # learned from the data
    truth = [r["entity"] for r in rows]
    scores = pair_metrics(truth, [res.clusters[r["id"]] for r in rows])
    assert scores["precision"] >= 0.99 and scores["recall"] >= 0.99


def _households() -> list[dict[str, str]]:
    """Sixty households of three: relatives share surname, landline, address, postcode
    and town, each with their own given name and birth date. Every person appears
    twice, as two systems hold them; one in three under another given name in the
    second (a nickname, a second name), with the same birth date."""
    rng = random.Random(8)
    surnames = ["Miller", "Novak", "Schulz", "Keller", "Moreau", "Rossi", "Berg", "Lund"]
    given = ["Anna", "Ben", "Clara", "David", "Emil", "Frida", "Georg", "Hanna", "Ivo", "Jana"]
    others = ["Bill", "Kit", "Lotte", "Max", "Nell", "Otto", "Pia", "Rolf", "Sven", "Tessa"]
    towns = ["Bremen", "Essen", "Kassel", "Trier", "Ulm"]
    rows = []
    for h in range(60):
        home = {
            "phone": f"0421 {rng.randrange(10**6):06d}",
            "address": f"{rng.randrange(1, 99)} {rng.choice(['Hafen', 'Linden', 'Berg'])}weg",
            "postcode": f"{rng.randrange(10**5):05d}",
            "city": rng.choice(towns),
        }
        surname = surnames[h % len(surnames)]
        for p, first in enumerate(rng.sample(given, 3)):
            born = (
                f"{rng.randrange(1940, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            )
            names = [first, rng.choice(others) if p == 0 else first]
            for copy, name in enumerate(names):
                rows.append(
                    {
                        "id": f"{h}-{p}-{copy}",
                        "entity": f"{h}-{p}",
                        "name": f"{name} {surname}",
                        "birth_date": born,
                        **home,
                    }
                )
    return rows


def test_relatives_stay_apart_and_a_birth_date_vouches_for_one_person() -> None:
    rows = _households()
    spec = MatchSpec.from_dict(
        {
            "id": "id",
            "region": "DE",
            "fields": {
                "name": "person_name",
                "phone": "phone",
                "address": "address",
                "postcode": "postcode",
                "city": "category",
                "birth_date": "date",
            },
        }
    )
    res = resolve(rows, spec)
    truth = [r["entity"] for r in rows]
    scores = pair_metrics(truth, [res.clusters[r["id"]] for r in rows])
    # relatives share the whole household and still stay apart; a copy under another
    # given name joins its person because the birth date rules out a relative
    assert scores["precision"] == 1.0 and scores["recall"] == 1.0
    copy = next(p for p in res.pairs if {p.id_l, p.id_r} == {"0-0-0", "0-0-1"})
    assert all(copy.explanation[f]["weight"] > 0 for f in ("phone", "address", "postcode"))
