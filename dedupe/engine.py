"""resolve(): normalize -> block -> compare -> score (EM + TF) -> cluster -> stable ids."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

from dedupe.arrays import member, release_freed_memory, unique
from dedupe.blocking import candidate_pairs
from dedupe.cluster import cluster_records, components
from dedupe.compare import LEVELS, level_name
from dedupe.errors import DedupeError, DedupeInputError
from dedupe.ids import ClusterChange, first_run_ids, rerun_ids
from dedupe.model import (
    Model,
    comparison_matrix,
    field_groups,
    fit_model,
    u_sample_pairs,
)
from dedupe.prepare import Prepared, Records, merge_prepared, prepare
from dedupe.spec import FieldType, MatchSettings, MatchSpec

__all__ = ["Resolution", "ScoredPair", "Scorer", "resolve", "resolve_incremental"]

Decision = Literal["merge", "review", "apart"]


@dataclass(frozen=True)
class ScoredPair:
    id_l: str
    id_r: str
    probability: float
    decision: Decision
    explanation: dict[str, dict[str, Any]]  # field -> {"level": str, "weight": bits}
    note: str = ""  # why the decision differs from the thresholds (constraint, cohesion)


# What a customer changes over the years without becoming someone else: phones, e-mails
# and the place he is filed under (city, district, a category). Not his name, birth date,
# id, street address or employer: a disagreement there still speaks against the pair when
# clusters grow past a failed cohesion test (see dedupe.cluster).
_CHANGING_TYPES = (FieldType.PHONE, FieldType.EMAIL, FieldType.CATEGORY, FieldType.LOCALITY)


class Scorer:
    """Scores arbitrary record pairs with a fitted model; the explanation of any pair can
    be rebuilt from its comparison levels."""

    def __init__(self, prep: Prepared, model: Model) -> None:
        self.prep, self.model = prep, model
        self.names = list(prep.fields)
        # one more weight, 0, last: a missing side (level -1) picks it
        self.w = [np.append(model.weights(k), 0.0) for k in self.names]
        self.tf = [model.tf_adjust(prep, k) for k in self.names]
        self.groups = field_groups(prep, model.shared)
        self.top = [len(LEVELS[prep.fields[k].type]) - 1 for k in self.names]
        self.changing = [
            k for k, name in enumerate(self.names) if prep.fields[name].type in _CHANGING_TYPES
        ]
        self.person = [
            k
            for k, name in enumerate(self.names)
            if prep.fields[name].type is FieldType.PERSON_NAME
        ]

    def contributions(
        self,
        left: np.ndarray,
        right: np.ndarray,
        levels: np.ndarray | None = None,
        *,
        lenient: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(levels, bits) matrices, one column per field (levels computed if not given).
        `lenient`: where the pair's names agree (every name column present at its top two
        levels: the same name, or a typo of it), a disagreement on a field that changes
        over a customer's life weighs 0, before the fields of a group are combined (so
        that an address disagreement is not hidden behind the city's). Where the names
        differ, different phones and e-mails are what tells a family's members apart."""
        if levels is None:
            levels = comparison_matrix(self.prep, left, right)
        bits = np.zeros(levels.shape, dtype=np.float32)  # 4 bytes: millions of pairs
        # every step is row by row: in chunks, the float64 weights and the groups'
        # temporaries of ten million pairs (over a gigabyte) are never alive at once
        for at in range(0, len(levels), _CHUNK):
            end = min(at + _CHUNK, len(levels))
            bits[at:end] = self._bits(left[at:end], levels[at:end], lenient)
        return levels, bits

    def _bits(self, left: np.ndarray, levels: np.ndarray, lenient: bool) -> np.ndarray:
        """The combined weights of one chunk of pairs (see contributions)."""
        same_name: np.ndarray = np.zeros(len(levels), dtype=bool)
        if lenient and self.person:
            names = levels[:, self.person]
            tops = np.asarray([self.top[k] for k in self.person])
            present = names >= 0
            agree = (names >= tops - 1) | ~present
            same_name = np.logical_and(present.any(axis=1), agree.all(axis=1))
        bits = np.zeros(levels.shape, dtype=np.float32)
        for k in range(len(self.names)):
            col = levels[:, k]
            b = self.w[k][col]
            exact = col == self.top[k]
            b[exact] += self.tf[k][left[exact]]
            if lenient and k in self.changing:
                b = np.where(same_name, np.maximum(b, 0.0), b)
            bits[:, k] = b
        return self.groups.combine(bits, levels)

    def probability(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        _, bits = self.contributions(left, right)
        return _prob(self.model.base + bits.sum(axis=1))

    def evidence(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Probability at even prior odds: what the fields alone say."""
        _, bits = self.contributions(left, right)
        return _prob(bits.sum(axis=1))

    def lenient_evidence(
        self, left: np.ndarray, right: np.ndarray, levels: np.ndarray | None = None
    ) -> np.ndarray:
        """`evidence` with disagreements on changing fields left out (see contributions)."""
        _, bits = self.contributions(left, right, levels, lenient=True)
        return _prob(bits.sum(axis=1))


# pairs weighed at once by Scorer.contributions: large enough for numpy's speed, small
# enough that its temporaries stay in the tens of megabytes
_CHUNK = 1 << 20


def _prob(logodds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp2(-np.clip(logodds, -60, 60)))


@dataclass
class Resolution:
    clusters: dict[str, str]
    changes: list[ClusterChange]
    model: Model
    stats: dict[str, Any]
    _pair_data: tuple = field(repr=False, default=())
    candidates: np.ndarray | None = field(repr=False, default=None)  # (k, 2) record indices
    ids: list[str] = field(repr=False, default_factory=list)  # index -> record id
    state: _State | None = field(repr=False, default=None)  # what an incremental run reuses

    @cached_property
    def pairs(self) -> list[ScoredPair]:
        """Every pair scored at or above the lower threshold, with its explanation.
        Built on first access: a million-row run need not pay for the objects."""
        ids, names, left, right, prob, levels, bits, types, dec, notes = self._pair_data
        out = []
        for k in range(len(left)):
            expl = {
                name: {
                    "level": level_name(types[c], int(levels[k, c])),
                    "weight": round(float(bits[k, c]), 3),
                }
                for c, name in enumerate(names)
            }
            out.append(
                ScoredPair(
                    ids[left[k]], ids[right[k]], round(float(prob[k]), 6), dec[k], expl, notes[k]
                )
            )
        return out


@dataclass
class _State:
    """Everything a later incremental run needs from this one."""

    spec: MatchSpec
    settings: MatchSettings
    prep: Prepared
    must: list[tuple[str, str]]
    cannot: list[tuple[str, str]]
    cand: np.ndarray  # (k, 2) record indices, i < j
    levels: np.ndarray
    bits: np.ndarray
    comp: np.ndarray  # candidate component per record
    labels: np.ndarray  # cluster label (smallest member index) per record


def _index_pairs(
    pairs: Iterable[tuple[str, str]], index: Mapping[str, int]
) -> list[tuple[int, int]]:
    out = []
    for a, b in pairs:
        if str(a) not in index or str(b) not in index:
            continue  # a decision about a record that is gone: nothing to obey
        i, j = index[str(a)], index[str(b)]
        if i != j:
            out.append((min(i, j), max(i, j)))
    return sorted(set(out))


def resolve(
    records: Records,
    spec: MatchSpec,
    settings: MatchSettings | None = None,
    *,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    previous: Mapping[str, str] | None = None,
    cluster_age: Mapping[str, int] | None = None,
    model: Model | None = None,
    progress: Callable[[str], None] | None = None,
) -> Resolution:
    """Resolve records into clusters. Deterministic: the same records (in any order),
    constraints and previous ids give the same result. Pass `model` (from an earlier
    Resolution) to freeze the learned weights, e.g. to compare with an incremental run."""
    cfg = settings or MatchSettings()
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    with no_gc():
        prep = prepare(records, spec, cfg.workers)  # sorted by id: input order is irrelevant
        say(f"normalized {prep.n} records ({time.perf_counter() - t0:.1f}s)")
        return _run(
            spec,
            cfg,
            prep,
            list(must_link),
            list(cannot_link),
            previous,
            cluster_age,
            model,
            say,
            t0,
            None,
        )


def resolve_incremental(
    base: Resolution,
    upserts: Sequence[Mapping[str, Any]],
    removed: Iterable[str] = (),
    *,
    must_link: Iterable[tuple[str, str]] | None = None,
    cannot_link: Iterable[tuple[str, str]] | None = None,
    cluster_age: Mapping[str, int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Resolution:
    """Match new or changed records (`upserts`, by id) and deletions against an already
    resolved set. Only the batch is normalized, only new pairs are scored, only
    components the batch touches are re-clustered, with `base`'s learned model frozen.
    The result equals `resolve(all records, model=base.model, previous=base.clusters)`
    with the same constraints (None = keep `base`'s)."""
    state = base.state
    if state is None:
        raise DedupeError("This resolution keeps no state for incremental runs.")
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    with no_gc():
        return _incremental(
            state, base, upserts, removed, must_link, cannot_link, cluster_age, say, t0
        )


def _incremental(
    state: _State,
    base: Resolution,
    upserts: Sequence[Mapping[str, Any]],
    removed: Iterable[str],
    must_link: Iterable[tuple[str, str]] | None,
    cannot_link: Iterable[tuple[str, str]] | None,
    cluster_age: Mapping[str, int] | None,
    say: Callable[[str], None],
    t0: float,
) -> Resolution:
    batch = prepare(upserts, state.spec)
    prep = merge_prepared(state.prep, batch, set(map(str, removed)))
    say(f"normalized {batch.n} new or changed records ({time.perf_counter() - t0:.1f}s)")
    must = state.must if must_link is None else list(must_link)
    cannot = state.cannot if cannot_link is None else list(cannot_link)
    return _run(
        state.spec,
        state.settings,
        prep,
        must,
        cannot,
        base.clusters,
        cluster_age,
        base.model,
        say,
        t0,
        (state, set(batch.ids)),
    )


@contextmanager
def no_gc() -> Iterator[None]:
    """Millions of small, acyclic objects (normalized values, tuples) make Python's
    cycle collector rescan the heap again and again: off while we run, as it was after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run(
    spec: MatchSpec,
    cfg: MatchSettings,
    prep: Prepared,
    must_ids: list,
    cannot_ids: list,
    previous: Mapping[str, str] | None,
    cluster_age: Mapping[str, int] | None,
    model: Model | None,
    say: Callable[[str], None],
    t0: float,
    reuse: tuple[_State, set[str]] | None,
) -> Resolution:
    # a million-entry dict only when there are admin decisions to place
    index = {rid: i for i, rid in enumerate(prep.ids)} if must_ids or cannot_ids else {}
    must = _index_pairs(must_ids, index)
    cannot = _index_pairs(cannot_ids, index)
    if set(must) & set(cannot):
        a, b = sorted(set(must) & set(cannot))[0]
        raise DedupeInputError(
            f"Records '{prep.ids[a]}' and '{prep.ids[b]}' are both must-link and cannot-link."
        )
    budget = int(cfg.max_pairs_per_record * max(prep.n, 1))
    cand, pass_stats = candidate_pairs(prep, cfg.max_block_size, budget, cfg.workers)
    extra = np.asarray(must + cannot, np.int64).reshape(-1, 2)
    cand = np.unique(np.concatenate([cand, extra]), axis=0) if len(extra) else cand
    say(f"blocking proposed {len(cand)} candidate pairs ({time.perf_counter() - t0:.1f}s)")
    release_freed_memory()  # the passes' pairs, before the comparison forks
    left, right = cand[:, 0], cand[:, 1]
    n = prep.n
    fresh = np.ones(len(cand), dtype=bool)  # pairs that need scoring
    code = left * n + right  # each candidate as one sorted key (cand is sorted)
    levels = bits = lv = None
    if reuse is not None:
        levels, bits, fresh = _reuse_scores(reuse, prep, cand)
    if model is None:
        # the candidates and the pairs u is measured on, compared in one pass
        ul, ur = u_sample_pairs(n, cfg.u_sample_pairs, cfg.seed)
        both = comparison_matrix(prep, np.r_[left, ul], np.r_[right, ur], cfg.workers)
        lv, u_levels = both[: len(left)], both[len(left) :]
        labels = np.full(len(cand), -1, dtype=np.int8)
        for pairs, value in ((must, 1), (cannot, 0)):
            for a, b in pairs:
                labels[np.searchsorted(code, a * n + b)] = value
        model = fit_model(
            prep,
            lv,
            labels=labels,
            iterations=cfg.em_iterations,
            u_sample=cfg.u_sample_pairs,
            seed=cfg.seed,
            term_frequency=cfg.term_frequency,
            u_levels=u_levels,
        )
        say(
            f"compared the pairs and learned weights by EM (prior {model.prior:.2e} that two "
            f"records match; {time.perf_counter() - t0:.1f}s)"
        )
    release_freed_memory()  # the comparison's and EM's temporaries
    scorer = Scorer(prep, model)
    if levels is None or bits is None:
        if lv is None:
            lv = comparison_matrix(prep, left, right, cfg.workers)
        levels, bits = scorer.contributions(left, right, lv)
    elif fresh.any():
        lv_fresh = comparison_matrix(prep, left[fresh], right[fresh], cfg.workers)
        levels[fresh], bits[fresh] = scorer.contributions(left[fresh], right[fresh], lv_fresh)
    prob = _prob(model.base + bits.sum(axis=1))
    is_must = member(code, np.sort(np.asarray([a * n + b for a, b in must], dtype=np.int64)))
    is_cannot = member(code, np.sort(np.asarray([a * n + b for a, b in cannot], dtype=np.int64)))
    # no cannot-link (a plain run): the probabilities themselves, not a copy of them
    prob_c = np.where(is_cannot, 0.0, prob) if is_cannot.any() else prob
    evidence = _prob(bits.sum(axis=1))
    comp = components(
        n,
        np.r_[left[prob_c >= cfg.upper], extra[: len(must), 0]],
        np.r_[right[prob_c >= cfg.upper], extra[: len(must), 1]],
    )
    pair_scores = _PairScores(n, code, evidence, levels, scorer)
    kw: dict[str, Any] = dict(
        upper=cfg.upper,
        cohesion=cfg.cohesion,
        scorer=pair_scores.evidence,
        lenient_scorer=pair_scores.lenient,
        max_dense=cfg.max_cluster_dense,
        workers=cfg.workers,
    )
    release_freed_memory()  # before the clustering forks: its children start this size
    if reuse is None:
        labels_arr = cluster_records(
            n, left, right, prob_c, evidence, must=must, cannot=cannot, **kw
        )
    else:
        labels_arr = _recluster_affected(
            reuse, prep, cand, fresh, comp, prob_c, evidence, must, cannot, kw
        )
    # what only the clustering needed: freed before the reported pairs are built
    del pair_scores, kw, prob_c, evidence, code
    say(f"scored and clustered ({time.perf_counter() - t0:.1f}s)")
    if previous:
        mapping, changes = rerun_ids(prep.ids, labels_arr, previous, cluster_age)
    else:
        mapping, changes = first_run_ids(prep.ids, labels_arr)
    n_clusters = len(unique(labels_arr))  # one label per cluster, as one id
    say(f"assigned {n_clusters} cluster ids ({time.perf_counter() - t0:.1f}s)")
    # only pairs at or above the lower threshold (or decided by an admin) are reported
    sel = np.flatnonzero((prob >= cfg.lower) | is_must | is_cannot)
    same = labels_arr[left[sel]] == labels_arr[right[sel]]
    dec, notes = _decisions(prob[sel], same, is_must[sel], is_cannot[sel], cfg)
    names = list(prep.fields)
    stats = {
        "records": n,
        "candidate_pairs": int(len(cand)),
        "scored_pairs": int(fresh.sum()),
        "blocking": pass_stats,
        "clusters": n_clusters,
        "pairs_reported": int(len(sel)),
        "merge_pairs": int((dec == "merge").sum()),
        "review_pairs": int((dec == "review").sum()),
        "prior": model.prior,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    state = _State(
        spec,
        cfg,
        prep,
        [(prep.ids[a], prep.ids[b]) for a, b in must],
        [(prep.ids[a], prep.ids[b]) for a, b in cannot],
        cand,
        levels,
        bits,
        comp,
        labels_arr,
    )
    return Resolution(
        clusters=mapping,
        changes=changes,
        model=model,
        stats=stats,
        _pair_data=(
            prep.ids,
            names,
            left[sel],
            right[sel],
            prob[sel],
            levels[sel],
            bits[sel],
            [prep.fields[k].type for k in names],
            dec.tolist(),
            notes.tolist(),
        ),
        candidates=cand if cfg.keep_candidates else None,
        ids=prep.ids,
        state=state,
    )


class _PairScores:
    """What the clustering asks of pairs (i < j), candidates or not: `evidence` and
    `lenient` evidence. A candidate's evidence is the one computed already and its levels
    are known; other pairs are compared once, when their evidence is asked, and their
    levels kept for the lenient evidence asked of some of them afterwards."""

    def __init__(
        self, n: int, codes: np.ndarray, known: np.ndarray, levels: np.ndarray, scorer: Scorer
    ) -> None:
        self.n, self.codes, self.known, self.levels, self.scorer = n, codes, known, levels, scorer
        self.extra_codes = np.zeros(0, dtype=np.int64)
        self.extra_levels = levels[:0]

    @staticmethod
    def _find(codes: np.ndarray, want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = np.minimum(np.searchsorted(codes, want), max(len(codes) - 1, 0))
        hit = codes[pos] == want if len(codes) else np.zeros(len(want), dtype=bool)
        return pos, hit

    def evidence(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        pos, hit = self._find(self.codes, left * self.n + right)
        out = np.empty(len(left), dtype=np.float64)
        out[hit] = self.known[pos[hit]]
        if (~hit).any():
            lo, hi = left[~hit], right[~hit]
            levels = comparison_matrix(self.scorer.prep, lo, hi)
            _, bits = self.scorer.contributions(lo, hi, levels)
            out[~hit] = _prob(bits.sum(axis=1))
            order = np.argsort(lo * self.n + hi)
            self.extra_codes = (lo * self.n + hi)[order]
            self.extra_levels = levels[order]
        return out

    def lenient(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        want = left * self.n + right
        levels = np.empty((len(want), self.levels.shape[1]), dtype=self.levels.dtype)
        pos, hit = self._find(self.codes, want)
        levels[hit] = self.levels[pos[hit]]
        xpos, xhit = self._find(self.extra_codes, want)
        xhit &= ~hit
        levels[xhit] = self.extra_levels[xpos[xhit]]
        fresh = ~(hit | xhit)
        if fresh.any():
            levels[fresh] = comparison_matrix(self.scorer.prep, left[fresh], right[fresh])
        return self.scorer.lenient_evidence(left, right, levels)


def _decisions(
    prob: np.ndarray,
    same: np.ndarray,
    is_must: np.ndarray,
    is_cannot: np.ndarray,
    cfg: MatchSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: the thresholds' verdict, overridden by admin decisions and explained
    where clustering disagreed with it."""
    # an object array filled in place: np.where over the words made 24-byte unicode
    # arrays of every reported pair (84 MB each for 3.5M pairs) before the object copy
    dec = np.full(len(prob), "apart", dtype=object)
    dec[prob >= cfg.lower] = "review"
    dec[prob >= cfg.upper] = "merge"
    dec[is_cannot] = "apart"
    dec[is_must] = "merge"  # an admin's decision over the thresholds, merge over apart
    notes = np.full(len(prob), "", dtype=object)
    notes[is_must] = "admin decision: merge"
    notes[is_cannot] = "admin decision: keep apart"
    vetoed = (dec == "merge") & ~same
    dec[vetoed] = "review"
    notes[vetoed] = "merge-level pair kept apart: the clusters do not hold together"
    notes[vetoed & is_must] = "admin merge not applied: it would join records kept apart"
    notes[(dec != "merge") & same & ~is_cannot & ~is_must] = (
        "in the same cluster through other records"
    )
    return dec, notes


def _old_to_new(state: _State, prep: Prepared, changed: set[str]) -> np.ndarray:
    """New index of each old record, -1 if it was removed or changed."""
    index = {rid: i for i, rid in enumerate(prep.ids)}
    return np.fromiter(
        (-1 if rid in changed else index.get(rid, -1) for rid in state.prep.ids),
        dtype=np.int64,
        count=state.prep.n,
    )


def _reuse_scores(
    reuse: tuple[_State, set[str]], prep: Prepared, cand: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Copy levels and weights of pairs scored last time between unchanged records."""
    state, changed = reuse
    n = prep.n
    o2n = _old_to_new(state, prep, changed)
    ol, orr = o2n[state.cand[:, 0]], o2n[state.cand[:, 1]]
    ok = (ol >= 0) & (orr >= 0)
    old_code = np.minimum(ol, orr)[ok] * n + np.maximum(ol, orr)[ok]
    new_code = cand[:, 0] * n + cand[:, 1]
    order = np.argsort(old_code)
    pos = np.searchsorted(old_code[order], new_code)
    pos = np.minimum(pos, max(len(order) - 1, 0))
    found = (old_code[order][pos] == new_code) if len(order) else np.zeros(len(cand), bool)
    # no old pair between unchanged records: nothing to copy (and nothing to index)
    src = np.flatnonzero(ok)[order][pos] if len(order) else np.zeros(len(cand), np.int64)
    levels = np.zeros((len(cand), state.levels.shape[1]), dtype=state.levels.dtype)
    bits = np.zeros((len(cand), state.bits.shape[1]), dtype=np.float32)
    levels[found] = state.levels[src[found]]
    bits[found] = state.bits[src[found]]
    return levels, bits, ~found


def _recluster_affected(
    reuse: tuple[_State, set[str]],
    prep: Prepared,
    cand: np.ndarray,
    fresh: np.ndarray,
    comp: np.ndarray,
    prob: np.ndarray,
    evidence: np.ndarray,
    must: list[tuple[int, int]],
    cannot: list[tuple[int, int]],
    kw: dict[str, Any],
) -> np.ndarray:
    """Cluster again only the components that hold a changed record or a changed pair;
    every other component is an old component with its members and pairs unchanged,
    so its old clusters stand (renumbered to the new indices)."""
    state, changed = reuse
    n = prep.n
    o2n = _old_to_new(state, prep, changed)
    affected = np.zeros(n, dtype=bool)
    affected[[i for i, rid in enumerate(prep.ids) if rid in changed]] = True
    affected[cand[fresh].ravel()] = True  # new pairs (including pairs of changed records)
    # pairs that existed and are gone (a removed record, a block now over budget)
    ol, orr = o2n[state.cand[:, 0]], o2n[state.cand[:, 1]]
    new_code = set((cand[:, 0] * n + cand[:, 1]).tolist())
    for a, b in zip(ol.tolist(), orr.tolist(), strict=True):
        if a >= 0 and b >= 0 and min(a, b) * n + max(a, b) not in new_code:
            affected[[a, b]] = True
        elif (a >= 0) != (b >= 0):
            affected[max(a, b)] = True
    old_must = {tuple(p) for p in state.must}
    old_cannot = {tuple(p) for p in state.cannot}
    for pairs, old in ((must, old_must), (cannot, old_cannot)):
        for a, b in pairs:
            if (prep.ids[a], prep.ids[b]) not in old:
                affected[[a, b]] = True
    for ids in (
        old_must - {(prep.ids[a], prep.ids[b]) for a, b in must},
        old_cannot - {(prep.ids[a], prep.ids[b]) for a, b in cannot},
    ):
        index = {rid: i for i, rid in enumerate(prep.ids)}
        for x, y in ids:
            for rid in (x, y):
                if rid in index:
                    affected[index[rid]] = True
    hot = np.zeros(int(comp.max(initial=-1)) + 1, dtype=bool)
    hot[comp[affected]] = True
    in_hot = hot[comp]
    sel = in_hot[cand[:, 0]] & in_hot[cand[:, 1]]
    labels = cluster_records(
        n,
        cand[sel, 0],
        cand[sel, 1],
        prob[sel],
        evidence[sel],
        must=[p for p in must if in_hot[p[0]]],
        cannot=[p for p in cannot if in_hot[p[0]]],
        **kw,
    )
    # untouched records keep their old cluster, labelled by its smallest new index
    keep = np.flatnonzero(~in_hot)
    old_index = np.full(n, -1, dtype=np.int64)
    valid = np.flatnonzero(o2n >= 0)
    old_index[o2n[valid]] = valid
    old_label = state.labels[old_index[keep]]
    first = np.full(state.prep.n, n, dtype=np.int64)
    np.minimum.at(first, old_label, keep)
    labels[keep] = first[old_label]
    return labels
