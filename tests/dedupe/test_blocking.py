"""Blocking: which record pairs are proposed at all, on data shaped unlike customer data
(a name spread over several columns, one person holding a key hundreds of times)."""

from __future__ import annotations

import random

import numpy as np

from dedupe import MatchSpec, resolve
from dedupe.blocking import candidate_pairs, neighbour_order, pairs_from_keys
from dedupe.prepare import prepare

_GIVEN = ["Hans", "Petra", "Monika", "Thomas", "Sabine", "Uwe", "Helga", "Frank", "Anna"]
_SURNAMES = ["Weber", "Schmidt", "Koch", "Braun", "Richter", "Meyer", "Walter"]


def test_four_name_columns_block_on_the_whole_name() -> None:
    """RLdata's shape: first and second given name, first and second surname, each a
    person_name column. Every given name and every surname alone is held by more records
    than a name-only block may have, so only the whole name together finds a duplicate
    whose birth date is mistyped (the name-plus-date passes need the date to agree)."""
    rng = random.Random(3)
    rows = []
    for i in range(400):
        rows.append(
            {
                "id": f"r{i}",
                "fname_c1": rng.choice(_GIVEN),
                "fname_c2": "",
                "lname_c1": rng.choice(_SURNAMES),
                "lname_c2": "",
                "birth_date": f"{rng.randint(1930, 2000)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
            }
        )
    rows[0].update(fname_c1="Ingrid", fname_c2="Maria", lname_c1="Braun", lname_c2="Vogel")
    rows[1].update(fname_c1="Ingrid", fname_c2="Maria", lname_c1="Braun", lname_c2="Vogel")
    rows[0]["birth_date"], rows[1]["birth_date"] = "1967-10-14", "1977-10-14"
    spec = MatchSpec.from_dict(
        {
            "id": "id",
            "fields": {
                "fname_c1": "person_name",
                "fname_c2": "person_name",
                "lname_c1": "person_name",
                "lname_c2": "person_name",
                "birth_date": "date",
            },
        }
    )
    cand, stats = candidate_pairs(prepare(rows, spec), max_block=60)
    assert (0, 1) in set(map(tuple, cand.tolist()))
    assert stats["fname_c1|fname_c2|lname_c1|lname_c2~sound"] >= 1


def test_a_block_too_big_for_all_its_pairs_pairs_neighbours() -> None:
    # one key held by 100 records, another by 3: the small block gives all its pairs,
    # the big one each record and the two after it in the neighbour order
    rec = np.arange(103)
    codes = np.r_[np.zeros(100, np.int64), np.ones(3, np.int64)]
    rank = np.arange(103)[::-1].copy()  # the order asked for: backwards
    assert len(pairs_from_keys(rec, codes, 60)) == 3  # without an order: none of the 100
    pairs = pairs_from_keys(rec, codes, 60, rank, 2, windowed_from=60)
    got = {tuple(sorted(p)) for p in pairs.tolist()}
    assert {(100, 101), (100, 102), (101, 102)} <= got
    big = {p for p in got if p[0] < 100}
    assert len(big) == 99 + 98  # each record with the next two, in the rank's order
    assert all(b - a in (1, 2) for a, b in big)


def test_records_agreeing_on_other_fields_are_neighbours() -> None:
    rows = [
        {"id": "a", "name": "Li Jun", "city": "Chester"},
        {"id": "b", "name": "Li Jun", "city": "Bedminster"},
        {"id": "c", "name": "Li Jun", "city": "Chester"},
    ]
    spec = MatchSpec.from_dict({"id": "id", "fields": {"name": "person_name", "city": "category"}})
    rank = neighbour_order(prepare(rows, spec))
    assert abs(int(rank[0]) - int(rank[2])) == 1  # the two in Chester sit side by side


def test_one_inventor_on_hundreds_of_patents_comes_out_whole() -> None:
    """A name held by 300 records of one person (an inventor on 300 patents, at one
    employer in one city) among other people's records. Every key of hers is held by
    more records than a block may have; before, no pair of hers was proposed and she
    came out as 300 singletons."""
    rows = [
        {"id": f"j{i}", "first": "Junyi", "last": "Li", "city": "Chester", "employer": "QUALCOMM"}
        for i in range(300)
    ]
    firsts = ["Anna", "Boris", "Carla", "Dmitri", "Elena", "Farid", "Greta", "Hugo"]
    lasts = ["Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Sato", "Tanaka", "Ueda"]
    cities = ["Austin", "Boston", "Denver", "Eugene", "Fresno", "Reno"]
    employers = ["Acme Corp", "Globex Inc", "Initech LLC", "Umbrella Ltd"]
    for i in range(400):  # other inventors, four patents each
        person = i // 4
        rows.append(
            {
                "id": f"o{i}",
                "first": firsts[person % 8],
                "last": lasts[(person // 8) % 8] + ("" if person < 64 else "er"),
                "city": cities[person % 6],
                "employer": employers[person % 4],
            }
        )
    fields = {"first": "person_name", "last": "person_name", "city": "category"}
    spec = MatchSpec.from_dict(
        {"id": "id", "region": "US", "fields": {**fields, "employer": "company_name"}}
    )
    res = resolve(rows, spec)
    hers = {res.clusters[f"j{i}"] for i in range(300)}
    assert len(hers) == 1
    assert not hers & {res.clusters[f"o{i}"] for i in range(400)}
