"""Fellegi-Sunter scoring: m/u probabilities per field level, learned without labels.

u (how often two *different* records land on a level) is measured directly: exact-match
u from the value frequencies (sum of squared term frequencies), the other levels from a
deterministic random sample of record pairs, which are almost all non-matches.
m and the match prior are then fitted by EM on the candidate pairs with u held fixed
(as Splink does), and admin decisions, when there are any, enter EM as pairs whose
match posterior is clamped to 1 (merge) or 0 (keep apart).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from dedupe.compare import LEVELS, compare_field, cross_names
from dedupe.prepare import FieldData, Prepared
from dedupe.spec import FieldType

__all__ = [
    "FieldGroups",
    "Model",
    "comparison_matrix",
    "fit_model",
    "shared_fields",
    "u_sample_pairs",
]

_PRIOR_STRENGTH = 30.0
# m per level (different ... exact) before any data: what a true match usually shows.
# Phones and e-mails disagree fairly often for one person (several numbers/addresses).
_DEFAULT_M: dict[FieldType, np.ndarray] = {
    t: np.asarray(v) / sum(v)
    for t, v in {
        FieldType.PERSON_NAME: (0.02, 0.03, 0.05, 0.10, 0.80),
        FieldType.COMPANY_NAME: (0.03, 0.05, 0.12, 0.80),
        FieldType.PHONE: (0.15, 0.03, 0.82),
        FieldType.EMAIL: (0.15, 0.05, 0.80),
        FieldType.ADDRESS: (0.10, 0.10, 0.15, 0.15, 0.50),
        FieldType.TEXT: (0.10, 0.10, 0.20, 0.60),
        FieldType.DATE: (0.03, 0.03, 0.04, 0.90),
        FieldType.POSTCODE: (0.05, 0.05, 0.90),
        FieldType.IDENTIFIER: (0.05, 0.02, 0.93),
        FieldType.CATEGORY: (0.05, 0.95),
        FieldType.LOCALITY: (0.02, 0.03, 0.25, 0.70),
    }.items()
}
# u per level before any data (chance agreement of two different customers); pseudo
# pairs of this prior keep tiny inputs sane, a real sample soon outweighs it.
_U_PSEUDO_PAIRS = 2000.0
_DEFAULT_U: dict[FieldType, np.ndarray] = {
    t: np.asarray(v) / sum(v)
    for t, v in {
        FieldType.PERSON_NAME: (0.97, 0.02, 0.006, 0.002, 0.002),
        FieldType.COMPANY_NAME: (0.97, 0.02, 0.007, 0.003),
        FieldType.PHONE: (0.9989, 0.001, 0.0001),
        FieldType.EMAIL: (0.9989, 0.001, 0.0001),
        FieldType.ADDRESS: (0.90, 0.08, 0.015, 0.004, 0.001),
        FieldType.TEXT: (0.95, 0.04, 0.009, 0.001),
        FieldType.DATE: (0.99, 0.005, 0.003, 0.002),
        FieldType.POSTCODE: (0.97, 0.02, 0.01),
        FieldType.IDENTIFIER: (0.9999, 0.00009, 0.00001),
        FieldType.CATEGORY: (0.8, 0.2),
        FieldType.LOCALITY: (0.90, 0.06, 0.03, 0.01),
    }.items()
}
# EM finds the strongest shared structure among candidates, and in business data that
# can be "same company" (colleagues share company, switchboard and address) rather
# than "same person": its match class then has names that often differ. A person's
# name written plainly differently is rare among true duplicates; capping m("different")
# keeps the class EM fits the person.
_M_DIFFERENT_CAP = {FieldType.PERSON_NAME: 0.1}
_TF_CLAMP = 6.0  # bits: a rare value helps, but never outweighs a contradicting field


@dataclass
class Model:
    """Learned parameters; freeze and reuse one to make incremental runs equal to full."""

    types: dict[str, FieldType]
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float
    tf: dict[str, Mapping[str, float]] = field(default_factory=dict)  # value -> frequency
    tf_default: dict[str, float] = field(default_factory=dict)  # frequency of unseen values
    shared: tuple[str, ...] = ()  # fields found shared by different people (see shared_fields)
    # per field: the distinct values the model was fitted on and their frequencies as an
    # array, so scoring that same data needs no dict lookup per value
    _tf_fitted: dict[str, tuple[list[str], np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def weights(self, name: str) -> np.ndarray:
        return np.log2(self.m[name] / self.u[name])

    @property
    def base(self) -> float:
        return float(np.log2(self.prior / (1.0 - self.prior)))

    def tf_adjust(self, prep: Prepared, name: str) -> np.ndarray:
        """Per record: bits added when this record's value matches exactly (a shared
        王伟 means less than a rare name). Zero when the field has no TF table."""
        fd = prep.fields[name]
        table = self.tf.get(name)
        if table is None:
            return np.zeros(prep.n)
        u_exact = self.u[name][-1]
        default = self.tf_default[name]
        fitted = self._tf_fitted.get(name)
        if fitted is not None and fitted[0] is fd.uniq:
            per_code = fitted[1]
        else:
            per_code = np.fromiter(
                (table.get(v, default) for v in fd.uniq), dtype=np.float64, count=len(fd.uniq)
            )
        freq = np.append(per_code, default)[fd.value_codes]
        return np.clip(np.log2(u_exact / np.maximum(freq, 1e-12)), -_TF_CLAMP, _TF_CLAMP)


@dataclass(frozen=True)
class FieldGroups:
    """Columns that measure one fact several times; inside a group only the strongest
    agreement and the strongest disagreement count.

    The *household*: phones, address, postcode, categories such as province / city /
    district and the pooled place; a family shares all of them, so summing them would
    let a shared home phone plus a shared address outvote two different given names.
    Fields the data shows to be shared by different people (`shared`: a company, its tax
    number) join it: colleagues share them all at once. A category that is not a place
    (a gender, a segment) is weak evidence, so grouping it costs little.
    The *e-mails*: all e-mail columns.

    `vouchers`: (column, exact level) of the fields that belong to one person, a date
    (of birth) and an identifier not found shared. Where one of them agrees exactly the
    two records are not two members of one household (a relative has another birth date
    and another id card), so the household's fields count one by one, as the independent
    evidence they are for unrelated people. Exact agreement only: relatives' birth dates
    one digit apart are common. Not an e-mail: families share one (or a WeChat account)."""

    household: np.ndarray
    others: tuple[np.ndarray, ...]
    vouchers: tuple[tuple[int, int], ...]

    def combine(self, bits: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """In place: the groups' weights per pair (`levels` the pairs' levels)."""
        if len(self.household) > 1:
            vouched = np.zeros(len(levels), dtype=bool)
            for k, top in self.vouchers:
                vouched |= levels[:, k] == top
            kept = bits[vouched][:, self.household]
            combine_groups(bits, [self.household])
            bits[np.flatnonzero(vouched)[:, None], self.household] = kept
        return combine_groups(bits, list(self.others))


def field_groups(prep: Prepared, shared: tuple[str, ...] = ()) -> FieldGroups:
    """The groups of `prep`'s fields (see FieldGroups)."""
    household: list[int] = []
    emails: list[int] = []
    for k, (name, fd) in enumerate(prep.fields.items()):
        if name in shared or fd.type in _HOUSEHOLD_TYPES:
            household.append(k)
        elif fd.type is FieldType.EMAIL:
            emails.append(k)
    others = (np.asarray(emails),) if len(emails) > 1 else ()
    vouchers = _personal_fields(prep, shared, (FieldType.DATE, FieldType.IDENTIFIER))
    return FieldGroups(np.asarray(household, dtype=np.int64), others, tuple(vouchers))


def _personal_fields(
    prep: Prepared, shared: tuple[str, ...], types: tuple[FieldType, ...]
) -> list[tuple[int, int]]:
    """(column, exact level) of the fields of these types that belong to one person:
    not found shared by different people, not pooled from other columns."""
    return [
        (k, len(LEVELS[fd.type]) - 1)
        for k, (name, fd) in enumerate(prep.fields.items())
        if fd.type in types and name not in shared and not name.startswith("~")
    ]


_ANCHOR_MIN_PAIRS = 100


def different_name_caps(
    prep: Prepared, patterns: np.ndarray, counts: np.ndarray, shared: tuple[str, ...]
) -> dict[str, float]:
    """Per person-name field, the cap on m("different") in EM: `_M_DIFFERENT_CAP`, or
    lower where the data shows it. Candidate pairs that a personal field ties to one
    person (a date, an identifier or an e-mail agreeing exactly) are nearly all one
    person, so their share of plainly different names is about what true duplicates
    show; a match class with more has taken in households (a spouse at the same
    address), and the cap keeps it to the person. Only from 100 such pairs; never
    above the fixed cap (an anchor pair's error may be in the name because its other
    fields agree)."""
    anchor = np.zeros(len(patterns), dtype=bool)
    for k, top in _personal_fields(
        prep, shared, (FieldType.DATE, FieldType.IDENTIFIER, FieldType.EMAIL)
    ):
        anchor |= patterns[:, k] == top
    caps: dict[str, float] = {}
    default = _DEFAULT_M[FieldType.PERSON_NAME]
    for k, (name, fd) in enumerate(prep.fields.items()):
        if fd.type is not FieldType.PERSON_NAME:
            continue
        at = anchor & (patterns[:, k] >= 0)
        if counts[at].sum() < _ANCHOR_MIN_PAIRS:
            continue
        seen = np.bincount(patterns[at, k], weights=counts[at], minlength=len(default))
        share = (seen[0] + _PRIOR_STRENGTH * default[0]) / (seen.sum() + _PRIOR_STRENGTH)
        caps[name] = min(_M_DIFFERENT_CAP[FieldType.PERSON_NAME], float(share))
    return caps


# places a customer moves between: a category (city, state, district) and a locality
_PLACE_TYPES = (FieldType.CATEGORY, FieldType.LOCALITY)


def moved_floors(
    prep: Prepared, patterns: np.ndarray, counts: np.ndarray, shared: tuple[str, ...]
) -> dict[str, float]:
    """Per place field, a floor on m("different") in EM: the share of differing places
    among candidate pairs that a personal field ties to one person (a date, an
    identifier or an e-mail agreeing exactly) and whose names agree (every name column
    present at its top two levels: two people born on one day are common, namesakes
    born on it are not), from 100 such pairs on.

    Blocking proposes pairs that share a name and a place (name + city keys), so among
    the candidates one person's records nearly always agree on the place, and EM learns
    that a differing city all but rules a match out (large clusters: m 0.006, -7 bits).
    The pairs tied by an e-mail were proposed for the e-mail, whatever their places: the
    share of moves among them is what one person's records show (there 0.04, -4.5 bits)."""
    anchor = np.zeros(len(patterns), dtype=bool)
    for k, top in _personal_fields(
        prep, shared, (FieldType.DATE, FieldType.IDENTIFIER, FieldType.EMAIL)
    ):
        anchor |= patterns[:, k] == top
    person = [
        (k, len(LEVELS[fd.type]) - 1)
        for k, fd in enumerate(prep.fields.values())
        if fd.type is FieldType.PERSON_NAME
    ]
    if not person:
        return {}
    for k, top in person:
        anchor &= (patterns[:, k] >= top - 1) | (patterns[:, k] < 0)
    anchor &= np.any([patterns[:, k] >= 0 for k, _ in person], axis=0)
    floors: dict[str, float] = {}
    for k, (name, fd) in enumerate(prep.fields.items()):
        if fd.type not in _PLACE_TYPES or name in shared or name.startswith("~"):
            continue
        at = anchor & (patterns[:, k] >= 0)
        if counts[at].sum() < _ANCHOR_MIN_PAIRS:
            continue
        seen = np.bincount(patterns[at, k], weights=counts[at], minlength=len(LEVELS[fd.type]))
        floors[name] = float(seen[0] / seen.sum())
    return floors


_MOVED_FACTOR = 2.0


_HOUSEHOLD_TYPES = (
    FieldType.PHONE,
    FieldType.ADDRESS,
    FieldType.POSTCODE,
    FieldType.CATEGORY,
    FieldType.LOCALITY,
)

_SHARED_MIN_PAIRS = 30
_SHARED_SHARE = 0.5


def shared_fields(prep: Prepared, levels: np.ndarray) -> tuple[str, ...]:
    """Fields whose exact agreement, among the candidate pairs, mostly comes with plainly
    different person names: values held by a group of people (a company name, its tax
    number, a switchboard), not by one. Judged from the data, because a spec types a
    company's tax number and a person's id card alike as `identifier`."""
    names = list(prep.fields)
    person = [k for k, n in enumerate(names) if prep.fields[n].type is FieldType.PERSON_NAME]
    if not person or not len(levels):
        return ()
    name_levels = levels[:, person]
    # every name column present and "different": two people, not one person's typo
    differ = ((name_levels == 0).all(axis=1)) & (name_levels >= 0).all(axis=1)
    known = (name_levels >= 0).all(axis=1)
    out = []
    for k, name in enumerate(names):
        ftype = prep.fields[name].type
        if ftype in (FieldType.PERSON_NAME, FieldType.CATEGORY, FieldType.LOCALITY):
            continue  # names are the question; categories are grouped already
        agree = (levels[:, k] == len(LEVELS[ftype]) - 1) & known
        count = int(agree.sum())
        if count >= _SHARED_MIN_PAIRS and float(differ[agree].mean()) >= _SHARED_SHARE:
            out.append(name)
    return tuple(out)


def combine_groups(bits: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """In place: inside each group only the strongest agreement and the strongest
    disagreement count; the other members' weights become 0 (shown so to the admin)."""
    rows = np.arange(len(bits))
    for cols in groups:
        sub = bits[:, cols]
        # the first strongest agreement and disagreement (a row with none keeps zeros);
        # argmax over a few columns is slow per row, max and a boolean argmax are not
        high, low = sub.max(axis=1), sub.min(axis=1)
        ip = (sub == high[:, None]).argmax(axis=1)
        ineg = (sub == low[:, None]).argmax(axis=1)
        best, worst = np.maximum(high, 0.0), np.minimum(low, 0.0)
        sub[:] = 0.0
        sub[rows, ip] = best
        sub[rows, ineg] += worst
        bits[:, cols] = sub
    return bits


def comparison_matrix(
    prep: Prepared, left: np.ndarray, right: np.ndarray, workers: int = 1
) -> np.ndarray:
    """Level of every field (columns) for every pair (rows). With workers > 1 and many
    pairs, forked processes each take one field's share of the *value* pairs (the same
    two values always land in the same share, so each distinct pair is graded once):
    rapidfuzz holds the GIL while it converts Python strings, so threads would not help."""
    fields = list(prep.fields.values())
    if not fields:
        return np.zeros((len(left), 0), dtype=np.int8)
    mat = np.empty((len(left), len(fields)), dtype=np.int8)
    if workers > 1 and len(left) >= _PARALLEL_PAIRS and "fork" in mp.get_all_start_methods():
        tasks = [
            (k, s, n)
            for k, fd in enumerate(fields)
            for n in [2 * workers if _COST.get(fd.type, 1) >= 3 or fd.multi else 1]
            for s in range(n)
        ]
        for fd in fields:
            if fd.multi:
                fd.elements  # noqa: B018 - built once here, not once per forked share
            fd.texts  # noqa: B018 - likewise
        # the pairs of each share, found here once per field rather than by every task
        shares = {k: _shares(fields[k], left, right, n) for k, s, n in tasks if s == 0 and n > 1}
        # the slowest first, so that the workers finish together
        tasks.sort(key=lambda t: -_COST.get(fields[t[0]].type, 1) / t[2])
        global _FORKED
        _FORKED = (prep, left, right, shares)
        try:
            with mp.get_context("fork").Pool(workers) as pool:
                for k, s, levels in pool.imap_unordered(_forked_share, tasks):
                    mat[_share_pairs(shares, k, s, len(left)), k] = levels
        finally:
            _FORKED = None
    else:
        for k, fd in enumerate(fields):
            mat[:, k] = compare_field(fd, left, right)
    names = [k for k, fd in enumerate(fields) if fd.type is FieldType.PERSON_NAME]
    if len(names) == 2:  # given name + surname columns: also try them swapped
        a, b = names
        lv_a, lv_b = mat[:, a].copy(), mat[:, b].copy()
        cross_names(fields[a], fields[b], left, right, lv_a, lv_b)
        mat[:, a], mat[:, b] = lv_a, lv_b
    return mat


_PARALLEL_PAIRS = 400_000
_FORKED: (
    tuple[Prepared, np.ndarray, np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]] | None
) = None
# rough grading cost per pair, to hand out the slow tasks first; fields of the types
# costing 3 or more, and list-valued ones, are split into shares (finding the shares
# costs more than it saves for the others)
_COST = {
    FieldType.PERSON_NAME: 4,
    FieldType.ADDRESS: 3,
    FieldType.COMPANY_NAME: 3,
    FieldType.TEXT: 3,
    FieldType.PHONE: 2,
    FieldType.EMAIL: 2,
}


def _shares(
    fd: FieldData, left: np.ndarray, right: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pair positions grouped by share (of n) and where each share starts. A pair goes
    to share (code_l + code_r) mod n: a pair of values and its mirror image fall in
    the same share, so each distinct pair of values is graded once."""
    share = ((fd.codes[left] + fd.codes[right]) % n).astype(np.int8)
    positions = np.argsort(share, kind="stable")
    return positions, np.searchsorted(share[positions], np.arange(n + 1))


def _share_pairs(
    shares: dict[int, tuple[np.ndarray, np.ndarray]], k: int, s: int, total: int
) -> np.ndarray | slice:
    if k not in shares:  # a field compared whole
        return slice(0, total)
    positions, bounds = shares[k]
    return positions[bounds[s] : bounds[s + 1]]


def _forked_share(task: tuple[int, int, int]) -> tuple[int, int, np.ndarray]:
    assert _FORKED is not None  # set by the parent before forking
    prep, left, right, shares = _FORKED
    k, s, _ = task
    fd = list(prep.fields.values())[k]
    at = _share_pairs(shares, k, s, len(left))
    return k, s, compare_field(fd, left[at], right[at])


def u_sample_pairs(n: int, sample: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The record pairs u is measured on: every pair of a small input, else a
    deterministic random sample (almost all non-matches)."""
    rng = np.random.default_rng(seed)
    if n * (n - 1) // 2 <= sample:
        left, right = np.triu_indices(n, 1)
        return left.astype(np.int64), right.astype(np.int64)
    left = rng.integers(0, n, size=sample)
    right = rng.integers(0, n, size=sample)
    keep = left != right
    return left[keep], right[keep]


def _estimate_u(
    prep: Prepared, sample: int, seed: int, levels: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """u per field level from the levels of `u_sample_pairs` (compared here unless
    given)."""
    mat = (
        comparison_matrix(prep, *u_sample_pairs(prep.n, sample, seed)) if levels is None else levels
    )
    u: dict[str, np.ndarray] = {}
    for k, (name, fd) in enumerate(prep.fields.items()):
        nlev = len(LEVELS[fd.type])
        col = mat[:, k]
        counts = np.bincount(col[col >= 0], minlength=nlev).astype(np.float64)[:nlev]
        u0 = _DEFAULT_U[fd.type]
        probs = (counts + _U_PSEUDO_PAIRS * u0) / (counts.sum() + _U_PSEUDO_PAIRS)
        # exact agreement by chance, from the value frequencies: far more precise than a
        # sample for rare values such as phone numbers
        c = fd.tally.astype(np.float64)
        total = c.sum()
        exact = float(
            ((c * (c - 1)).sum() + _U_PSEUDO_PAIRS * u0[-1])
            / (total * (total - 1) + _U_PSEUDO_PAIRS)
        )
        exact = min(max(exact, 1e-12), 0.5)
        rest = probs[:-1] / probs[:-1].sum() * (1.0 - exact)
        u[name] = np.r_[rest, exact]
    return u


_TF_PSEUDO_RECORDS = 100.0
# the types whose values belong to one person (see _tf_tables)
_ONE_PERSONS = (FieldType.PERSON_NAME, FieldType.EMAIL, FieldType.DATE)
# the types one customer writes down again and again (see _tf_tables)
_CONTACT_POINTS = (FieldType.PHONE, FieldType.EMAIL)


class _Frequencies(Mapping[str, float]):
    """A field's repeated values and their frequencies, as a dict built on first use:
    scoring the data the model was fitted on reads them from an array instead
    (`Model._tf_fitted`), and a million-row run need not build the dict at all."""

    def __init__(
        self,
        vocab: list[str],
        tally: np.ndarray,
        prior: float,
        denom: float,
        left_out: int,
        others_share: np.ndarray | None = None,
    ) -> None:
        self._vocab, self._tally = vocab, tally
        self._prior, self._denom = prior, denom
        self._left_out, self._others_share = left_out, others_share
        self._table: dict[str, float] | None = None

    def array(self, default: float) -> np.ndarray:
        """The frequency of every value of `vocab` in order, `default` for one seen once:
        that of its holders other than the records being compared (see `_tf_tables`),
        `left_out` of the tally, and at most `others_share` of it (NaN: no named record
        holds the value, which then keeps its tally)."""
        other = self._tally - self._left_out
        if self._others_share is not None:
            share = self._others_share
            other = np.where(np.isnan(share), other, np.minimum(other, self._tally * share))
        freq = (np.maximum(other, 0) + self._prior) / self._denom
        return np.where(self._tally > 1, freq, default)

    @property
    def _dict(self) -> dict[str, float]:
        if self._table is None:
            # only repeated values are stored: a million unique phones would cost memory
            repeated = np.flatnonzero(self._tally > 1)
            freq = self.array(0.0)[repeated].tolist()
            self._table = dict(zip([self._vocab[i] for i in repeated.tolist()], freq, strict=True))
        return self._table

    def __getitem__(self, value: str) -> float:
        return self._dict[value]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)


def _tf_tables(
    prep: Prepared, u: dict[str, np.ndarray]
) -> tuple[dict[str, _Frequencies], dict[str, float]]:
    """Frequency of each value, shrunk towards the field's average exact-match u with
    100 pseudo records: in a table of seven rows, a value seen twice says nothing.

    A value's frequency is that of its *other* holders. A record's own value is not
    evidence that another record holds it by chance: a phone seen twice is one other
    holder, not two. For what belongs to one person (a name, an e-mail, a birth date)
    neither is the other record of the pair: a name seen only in the two records
    compared is known to no one else, and counting it made every rare name look
    shared. Phones, addresses and companies keep the pair's other record, because
    those are held by families and colleagues by design (leaving it out too cost
    precision on such data: cn_b2b 0.988 -> 0.962).

    And the other holders are other *people*, told apart by their names (by sound: 王伟
    and 王玮 are one). A loyal customer's thirty records share one mobile; counted as
    thirty holders, that mobile looked like a shop's and its pairs lost 4 bits.
    - A phone or an e-mail is a contact point: one customer writes it down again and
      again, under variants of one name (陈媛, 陈女士, a nickname). Its other holders are
      the share of its tally held under names other than its most common one: none
      when all its named holders bear one name, few when a customer's twenty records
      and a child's two hold it. (Counting its names as people made that phone look
      like two people's: on cn_retail such pairs were 96 % true at p 0.29.)
    - An address, a postcode, a company, a place are held by several people by design,
      each with a few records: a value held under k names has a tally's (k - 1) / k of
      other holders. (The contact-point share there let spouses' shared addresses
      outweigh two given names: de_latin precision -0.007.)
    Records without a name say nothing of who holds the value: one that no named record
    holds keeps its tally."""
    tables: dict[str, _Frequencies] = {}
    default: dict[str, float] = {}
    names = _name_sounds(prep)
    holders = _name_holders(prep)
    for name, fd in prep.fields.items():
        if fd.type is FieldType.IDENTIFIER:
            continue  # identifiers are unique by design; a shared one is caught by u
        prior = _TF_PSEUDO_RECORDS * float(u[name][-1])
        denom = fd.total + _TF_PSEUDO_RECORDS
        left_out = 2 if fd.type in _ONE_PERSONS else 1
        share = None
        if names is not None and fd.type is not FieldType.PERSON_NAME and not fd.multi:
            share = _others_share(fd, names, contact=fd.type in _CONTACT_POINTS)
        elif holders is not None and fd.type is FieldType.PERSON_NAME and not fd.multi:
            share = _others_share(fd, holders, contact=True)
        tables[name] = _Frequencies(fd.vocab, fd.tally, prior, denom, left_out, share)
        default[name] = (2 - left_out + prior) / denom
    return tables, default


# what tells a name's holders apart, the most personal first
_HOLDER_TYPES = (FieldType.EMAIL, FieldType.PHONE, FieldType.COMPANY_NAME)


def _name_holders(prep: Prepared) -> np.ndarray | None:
    """Per record, a code of who holds its name, for a name's frequency: its e-mail, else
    its phone, else its employer (-1 when it has none). A name is frequent when many
    people bear it, or when one person is written down many times (an inventor on a
    thousand patents, one employer, one city): counted by records, the second looked
    like the first and his name weighed nothing. None without such a field, or when the
    spec's name is in several columns."""
    key = np.full(prep.n, -1, dtype=np.int64)
    offset = 0
    # only a whole name: a given name or a surname alone (two or more name columns) is
    # shared by families and namesakes by design, and counted by holders it looked rarer
    # than it is (de_latin's Vorname / Nachname lost precision)
    name_columns = [
        fd for fd in prep.fields.values() if fd.type is FieldType.PERSON_NAME and fd.name[0] != "~"
    ]
    if len(name_columns) != 1:
        return None
    found = False
    for t in _HOLDER_TYPES:
        for fd in prep.fields.values():
            if fd.type is not t or fd.multi or fd.name.startswith("~"):
                continue
            found = True
            codes = fd.value_codes.astype(np.int64)
            fill = (key < 0) & (codes >= 0)
            key[fill] = codes[fill] + offset
            offset += len(fd.uniq) + 1
    return key if found else None


def _name_sounds(prep: Prepared) -> np.ndarray | None:
    """Per record, a code of who its names say it is, over all person-name columns: the
    "holder" key (its sound without initials and titles, a pinyin name as its hanzi;
    see prepare); -1 when it has none, or only a Chinese surname (what is left of 王女士
    or 李先生 names a family, not a person). None without a person-name column."""
    key: np.ndarray | None = None
    syllables = np.zeros(prep.n, dtype=np.int64)  # Chinese syllables over the columns
    latin = np.zeros(prep.n, dtype=bool)  # a name in letters in some column
    for fd in prep.fields.values():
        if fd.type is not FieldType.PERSON_NAME or fd.multi:
            continue
        sound = fd.derived.get("holder", fd.derived["phonetic"]).astype(np.int64)
        if fd.syllables is not None:
            syllables += np.fromiter(map(len, fd.syllables.tolist()), np.int64, prep.n)
        latin |= (sound >= 0) & ~fd.derived["cjk"]
        if key is None:
            key = sound
        else:  # both columns' sounds as one code; -1 only where both are missing
            width = int(sound.max(initial=0)) + 2
            key = np.where((key < 0) & (sound < 0), -1, (key + 1) * width + sound + 1)
    if key is not None:
        key[(syllables == 1) & ~latin] = -1
    return key


def _others_share(fd: FieldData, names: np.ndarray, *, contact: bool) -> np.ndarray:
    """For each value of `fd.vocab`, the share of its holders that are other people
    (see `_tf_tables`; NaN where no named record holds it). Counted only for values seen
    twice or more: a frequency reads no other."""
    codes = fd.value_codes
    repeated = np.append(fd.tally > 1, False)[codes]  # code -1 (missing) reads False
    rec = np.flatnonzero(repeated & (names >= 0))
    width = int(names.max(initial=0)) + 1
    keys = np.sort(codes[rec].astype(np.int64) * width + names[rec])
    if not len(keys):  # no value seen twice under a name
        return np.full(len(fd.vocab), np.nan)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    count = np.diff(np.r_[starts, len(keys)])  # records per (value, name)
    value = keys[starts] // width
    named = np.bincount(value, weights=count, minlength=len(fd.vocab))
    if contact:  # held under names other than its most common one
        main = np.zeros(len(fd.vocab))
        np.maximum.at(main, value, count)
        share = (named - main) / np.maximum(named, 1)
    else:  # k names: (k - 1) / k
        k = np.bincount(value, minlength=len(fd.vocab))
        share = (k - 1) / np.maximum(k, 1)
    return np.where(named > 0, share, np.nan)


def _patterns(levels: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique rows of (levels, label) with their counts: EM then runs over a few
    thousand patterns instead of millions of pairs. Rows are packed into one integer
    column by column (np.unique over rows is a slow lexicographic sort, and a widened
    copy of the whole matrix costs more than the packing)."""
    cols = [levels[:, k] for k in range(levels.shape[1])] + [labels]
    base = max((int(c.max(initial=0)) for c in cols), default=0) + 2  # -1 (missing) -> 0
    if base ** len(cols) >= 2**62:  # too many fields to pack: fall back
        keyed = np.stack([c.astype(np.int64) + 1 for c in cols], axis=1)
        rows, counts = np.unique(keyed, axis=0, return_counts=True)
    else:
        packed = np.zeros(len(labels), dtype=np.int64)
        for k, col in enumerate(cols):
            packed += (col.astype(np.int64) + 1) * base**k
        packed.sort()
        starts = np.flatnonzero(np.r_[True, packed[1:] != packed[:-1]])
        counts = np.diff(np.r_[starts, len(packed)])
        weights = base ** np.arange(len(cols), dtype=np.int64)
        rows = (packed[starts][:, None] // weights[None, :]) % base
    rows = rows - 1
    return rows[:, :-1], rows[:, -1], counts.astype(np.float64)


def fit_model(
    prep: Prepared,
    levels: np.ndarray,
    *,
    labels: np.ndarray | None = None,
    iterations: int = 40,
    u_sample: int = 200_000,
    seed: int = 42,
    term_frequency: bool = True,
    u_levels: np.ndarray | None = None,
) -> Model:
    """EM over the unique comparison patterns of the candidate pairs.

    `labels`: per candidate pair 1 (admin merge), 0 (kept apart) or -1 (unknown).
    `u_levels`: the levels of `u_sample_pairs(prep.n, u_sample, seed)` when the caller
    compared them already (with the candidates, in one parallel pass).
    """
    names = list(prep.fields)
    types = {k: prep.fields[k].type for k in names}
    u = _estimate_u(prep, u_sample, seed, u_levels)
    m = {k: _DEFAULT_M[types[k]].copy() for k in names}
    tf, tf_default = _tf_tables(prep, u) if term_frequency else ({}, {})
    # The prior is P(two *random* records match), like u a population quantity: a pair's
    # being a candidate is a function of its own values, so given its comparison vector
    # the posterior needs no "among candidates" correction. EM counts the expected
    # matches among candidates and divides by all pairs (matches outside the candidates
    # are the few that blocking missed).
    all_pairs = max(prep.n * (prep.n - 1) / 2.0, 1.0)
    prior = min(0.5, 1.0 / max(prep.n, 2))
    model = Model(types, m, u, prior=prior, tf=dict(tf.items()), tf_default=tf_default)
    for name in tf:
        fd = prep.fields[name]
        if not fd.multi:  # the table per distinct value at once
            model._tf_fitted[name] = (fd.uniq, tf[name].array(tf_default[name]))
    if len(levels) == 0:
        return model
    lab = labels if labels is not None else np.full(len(levels), -1, dtype=np.int8)
    pat, plab, cnt = _patterns(levels, lab)
    model.shared = shared_fields(prep, levels)
    groups = field_groups(prep, model.shared)
    caps = different_name_caps(prep, pat, cnt, model.shared)
    floors = moved_floors(prep, pat, cnt, model.shared)
    # what the iterations read of each field's column, worked out once: its levels
    # (-1, missing, picks a trailing 0 weight) and the patterns where it is present
    cols = [np.ascontiguousarray(pat[:, k]) for k in range(len(names))]
    present = [np.flatnonzero(col >= 0) for col in cols]
    present_levels = [col[at] for col, at in zip(cols, present, strict=True)]

    def iterate(floors: dict[str, float]) -> None:
        for _ in range(iterations):
            bits = np.empty(pat.shape)
            for k, name in enumerate(names):
                bits[:, k] = np.append(model.weights(name), 0.0)[cols[k]]
            score = model.base + groups.combine(bits, pat).sum(axis=1)
            post = 1.0 / (1.0 + np.exp2(-np.clip(score, -60, 60)))
            post = np.where(plab == 1, 1.0, np.where(plab == 0, 0.0, post))
            weight = post * cnt
            new_prior = float(np.clip(weight.sum() / all_pairs, 1e-12, 0.5))
            delta = abs(np.log(new_prior / model.prior))
            model.prior = new_prior
            for k, name in enumerate(names):
                nlev = len(LEVELS[types[name]])
                at = present[k]
                sums = np.bincount(present_levels[k], weights=weight[at], minlength=nlev)[:nlev]
                # MAP estimate with a Dirichlet prior: small inputs keep sensible defaults,
                # large ones are driven by the data
                pseudo = _PRIOR_STRENGTH * _DEFAULT_M[types[name]]
                new_m = (sums + pseudo) / (sums.sum() + pseudo.sum())
                cap = caps.get(name, _M_DIFFERENT_CAP.get(types[name]))
                if cap is not None and new_m[0] > cap:
                    new_m[1:] *= (1.0 - cap) / new_m[1:].sum()
                    new_m[0] = cap
                floor = floors.get(name)
                if floor is not None and new_m[0] < floor:
                    new_m[1:] *= (1.0 - floor) / new_m[1:].sum()
                    new_m[0] = floor
                delta = max(delta, float(np.abs(new_m - model.m[name]).max()))
                model.m[name] = new_m
            if delta < 1e-5:
                break

    iterate({})
    # a floor only where EM's estimate is far below what one person's records show: a
    # blocking artefact (large clusters: 0.006 against 0.04), not a field that several
    # writings of one place make noisy anyway (cn_retail's city: 0.20 against 0.29)
    binding = {f: v for f, v in floors.items() if model.m[f][0] < v / _MOVED_FACTOR}
    if binding:
        iterate(binding)
    return model
