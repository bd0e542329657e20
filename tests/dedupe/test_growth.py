"""Clusters grow past a failed cohesion test on several strong links when the pairs
disagree only on what a customer changes over the years (phones, e-mails, his city)."""

from __future__ import annotations

import numpy as np
from gen_large_clusters import SPEC, generate

from dedupe import MatchSpec, resolve
from dedupe.cluster import cluster_records


def _mover(blank_bridge: bool = True) -> list[dict[str, str]]:
    """One customer written down 24 times over three periods: a phone per period, an
    e-mail that changes half a period after it (so a record shares a contact point only
    with its own period and the next), and a move from Austin to Denver after the first
    period. With `blank_bridge` the two records before the move that share an e-mail with
    the first ones after it have no city; every other pair across the move disagrees on
    phone, e-mail or city. Plus a namesake in Seattle with a phone of her own."""
    phones = ["5125550101", "3035550102", "3035550103"]
    emails = [
        "anna.kowalski7@gmail.com",
        "anna.kowalski81@yahoo.com",
        "anna.kowalski9@aol.com",
        "anna.k@outlook.com",
    ]
    cities = ["Austin", "Denver", "Denver"]
    size, periods = 24, 3
    out = []
    for k in range(size):
        at = k * periods // size
        out.append(
            {
                "id": f"M{k:03d}",
                "name": "Anna Kowalski",
                "phone": phones[at],
                "email": emails[(2 * k * periods + size) // (2 * size)],
                "city": "" if blank_bridge and k in (6, 7) else cities[at],
                "entity": "mover",
            }
        )
    for k in range(4):
        out.append(
            {
                "id": f"N{k:03d}",
                "name": "Anna Kowalski",
                "phone": "2065550199",
                "email": "",
                "city": "Seattle",
                "entity": "namesake",
            }
        )
    return out


def test_a_customer_who_moved_comes_out_whole() -> None:
    # background: customers of the large-cluster generator (small name pools, namesakes)
    rows = generate(1500, seed=3, largest=60) + _mover()
    res = resolve(rows, MatchSpec.from_dict(SPEC))
    mover = {res.clusters[r["id"]] for r in rows if r["entity"] == "mover"}
    namesake = {res.clusters[r["id"]] for r in rows if r["entity"] == "namesake"}
    assert len(mover) == 1  # before: split at the move, Austin apart from Denver
    assert len(namesake) == 1 and not mover & namesake


def test_a_move_bridged_by_an_email_links_the_cities() -> None:
    """The same customer, every record with its city: across the move only the e-mail
    links the periods, and a differing city must not outweigh it. Blocking proposes
    pairs by name and city, so among candidates one person's records nearly always
    share the city and EM alone learned that a different city rules a match out (-11
    bits here); pairs tied by an e-mail and a name show the moves (-5 bits)."""
    rows = generate(1500, seed=3, largest=60) + _mover(blank_bridge=False)
    res = resolve(rows, MatchSpec.from_dict(SPEC))
    mover = {res.clusters[r["id"]] for r in rows if r["entity"] == "mover"}
    namesake = {res.clusters[r["id"]] for r in rows if r["entity"] == "namesake"}
    assert len(mover) == 1  # before: Austin and Denver apart
    assert len(namesake) == 1 and not mover & namesake
    assert -8 < res.model.weights("city")[0] < -2


def _two_periods(strong_links: int) -> tuple[np.ndarray, ...]:
    """Records 0-4 and 5-9: inside each group every pair is certain; across, the fields
    say 0.1 (a moved city, new phones) and 0.9 once the changing fields are left out;
    `strong_links` of the cross pairs (0-5, 1-6, ...) are auto-merge edges."""
    group = np.array([0] * 5 + [1] * 5)
    left, right = np.triu_indices(10, 1)
    same = group[left] == group[right]
    links = np.zeros(len(left), dtype=bool)
    for k in range(strong_links):
        links |= (left == k) & (right == 5 + k)
    prob = np.where(same, 0.999, np.where(links, 0.99, 0.1))
    lenient = np.where(same | links, prob, 0.9)
    keep = (same & (right == left + 1)) | links
    return left[keep], right[keep], prob[keep], lenient, left, right


def _clusters(strong_links: int, grow: bool) -> np.ndarray:
    left, right, prob, lenient_all, all_l, all_r = _two_periods(strong_links)
    code = all_l * 10 + all_r
    order = np.argsort(code)

    def pick(values: np.ndarray):  # type: ignore[no-untyped-def]
        def score(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return values[order][np.searchsorted(code[order], a * 10 + b)]

        return score

    evidence_all = np.where(lenient_all == 0.9, 0.1, lenient_all)
    return cluster_records(
        10,
        left,
        right,
        prob,
        prob,
        upper=0.95,
        cohesion=0.5,
        scorer=pick(evidence_all),
        max_dense=400,
        must=[],
        cannot=[],
        lenient_scorer=pick(lenient_all) if grow else None,
    )


def test_growth_needs_several_strong_links() -> None:
    # the cohesion test alone refuses: the cross mean is about 0.27
    assert len(set(_clusters(2, grow=False).tolist())) == 2
    # two strong links and nothing personal against the pairs: one customer
    assert len(set(_clusters(2, grow=True).tolist())) == 1
    # one strong link is one edge, and one edge chains nothing
    assert len(set(_clusters(1, grow=True).tolist())) == 2


def test_a_family_sharing_contacts_does_not_grow_together() -> None:
    """Relatives share a surname, a home phone and a family e-mail but not a given name:
    for them a different phone or e-mail is evidence, and the clusters stay apart."""
    rows = generate(1500, seed=4, largest=60)
    for k in range(6):
        for given, phone in (("Anna", "5125550111"), ("Piotr", "5125550112")):
            rows.append(
                {
                    "id": f"F{given[0]}{k}",
                    "name": f"{given} Kowalski",
                    "phone": phone if k % 2 else "5125550100",  # own mobile or home phone
                    "email": "kowalskis@gmail.com" if k < 3 else f"{given.lower()}.k@aol.com",
                    "city": "Austin",
                    "entity": f"family-{given}",
                }
            )
    res = resolve(rows, MatchSpec.from_dict(SPEC))
    anna = {res.clusters[r["id"]] for r in rows if r["entity"] == "family-Anna"}
    piotr = {res.clusters[r["id"]] for r in rows if r["entity"] == "family-Piotr"}
    assert not anna & piotr


def test_growth_in_two_forked_halves_is_the_same() -> None:
    """The growth rule clusters each component on its own too: two forked halves give
    the roots of the whole, and some joins happen only by growth."""
    import multiprocessing as mp

    import pytest

    from dedupe.cluster import _average_linkage, _linkage_in_halves

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork here")
    rng = np.random.default_rng(5)
    sizes = rng.integers(2, 12, size=300)
    comp = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    el, er = [], []
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        i, j = np.triu_indices(size, 1)
        el.append(start + i)
        er.append(start + j)
    left, right = np.concatenate(el), np.concatenate(er)
    prob = rng.integers(0, 11, size=len(left)) / 10
    strong = prob >= 0.9
    lenient = np.maximum(prob, rng.integers(0, 11, size=len(left)) / 10)
    none = np.zeros((0, 2), dtype=np.int64)
    plain: tuple = (len(comp), comp, sizes, 50, left, right, prob, strong, 0.5, none, [])
    grown = (*plain, lenient, 2)
    whole = _average_linkage(*grown)
    assert len(np.unique(whole)) < len(np.unique(_average_linkage(*plain)))
    assert (_linkage_in_halves(grown) == whole).all()
