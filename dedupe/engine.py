"""resolve(): normalize -> block -> compare -> score (EM + TF) -> cluster -> stable ids."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

from dedupe.blocking import candidate_pairs
from dedupe.cluster import cluster_records
from dedupe.compare import LEVELS, level_name
from dedupe.errors import DedupeInputError
from dedupe.ids import ClusterChange, assign_ids
from dedupe.model import Model, combine_groups, comparison_matrix, field_groups, fit_model
from dedupe.prepare import Prepared, prepare
from dedupe.spec import MatchSettings, MatchSpec

__all__ = ["Resolution", "ScoredPair", "Scorer", "resolve"]

Decision = Literal["merge", "review", "apart"]


@dataclass(frozen=True)
class ScoredPair:
    id_l: str
    id_r: str
    probability: float
    decision: Decision
    explanation: dict[str, dict[str, Any]]  # field -> {"level": str, "weight": bits}
    note: str = ""  # why the decision differs from the thresholds (constraint, cohesion)


class Scorer:
    """Scores arbitrary record pairs with a fitted model; the explanation of any pair can
    be rebuilt from its comparison levels."""

    def __init__(self, prep: Prepared, model: Model) -> None:
        self.prep, self.model = prep, model
        self.names = list(prep.fields)
        self.w = [model.weights(k) for k in self.names]
        self.tf = [model.tf_adjust(prep, k) for k in self.names]
        self.groups = field_groups(prep)
        self.top = [len(LEVELS[prep.fields[k].type]) - 1 for k in self.names]

    def contributions(self, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(levels, bits) matrices, one column per field."""
        levels = comparison_matrix(self.prep, left, right)
        bits = np.zeros(levels.shape)
        for k in range(len(self.names)):
            col = levels[:, k]
            b = np.where(col >= 0, self.w[k][np.maximum(col, 0)], 0.0)
            exact = col == self.top[k]
            b[exact] += self.tf[k][left[exact]]
            bits[:, k] = b
        return levels, combine_groups(bits, self.groups)

    def probability(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        _, bits = self.contributions(left, right)
        return _prob(self.model.base + bits.sum(axis=1))

    def evidence(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Probability at even prior odds: what the fields alone say."""
        _, bits = self.contributions(left, right)
        return _prob(bits.sum(axis=1))


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


def _index_pairs(
    pairs: Iterable[tuple[str, str]], index: Mapping[str, int], kind: str
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
    records: Sequence[Mapping[str, Any]],
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
    Resolution) to freeze the learned weights, e.g. for incremental runs."""
    cfg = settings or MatchSettings()
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    # sort by id so that nothing downstream depends on input order
    order = sorted(range(len(records)), key=lambda i: str(records[i].get(spec.id, "")))
    prep = prepare([records[i] for i in order], spec)
    index = {rid: i for i, rid in enumerate(prep.ids)}
    must = _index_pairs(must_link, index, "must")
    cannot = _index_pairs(cannot_link, index, "cannot")
    if set(must) & set(cannot):
        a, b = sorted(set(must) & set(cannot))[0]
        raise DedupeInputError(
            f"Records '{prep.ids[a]}' and '{prep.ids[b]}' are both must-link and cannot-link."
        )
    say(f"normalized {prep.n} records in {time.perf_counter() - t0:.1f}s")
    cand, pass_stats = candidate_pairs(prep, cfg.max_block_size)
    cand = np.unique(
        np.concatenate([cand, np.asarray(must + cannot, np.int64).reshape(-1, 2)]), axis=0
    )
    say(f"blocking proposed {len(cand)} candidate pairs")
    left, right = cand[:, 0], cand[:, 1]
    if model is None:
        levels = comparison_matrix(prep, left, right)
        labels = np.full(len(cand), -1, dtype=np.int8)
        pos = {(int(a), int(b)): k for k, (a, b) in enumerate(cand.tolist())}
        for pairs, value in ((must, 1), (cannot, 0)):
            for p in pairs:
                labels[pos[p]] = value
        model = fit_model(
            prep,
            levels,
            labels=labels,
            iterations=cfg.em_iterations,
            u_sample=cfg.u_sample_pairs,
            seed=cfg.seed,
            term_frequency=cfg.term_frequency,
        )
        say(f"learned weights by EM (match prior among candidates {model.prior:.3f})")
    scorer = Scorer(prep, model)
    levels, bits = scorer.contributions(left, right)
    prob = _prob(model.base + bits.sum(axis=1))
    mset, cset = set(must), set(cannot)
    is_must = np.fromiter(((a, b) in mset for a, b in cand.tolist()), bool, len(cand))
    is_cannot = np.fromiter(((a, b) in cset for a, b in cand.tolist()), bool, len(cand))
    labels_arr = cluster_records(
        prep.n,
        left,
        right,
        np.where(is_cannot, 0.0, prob),
        _prob(bits.sum(axis=1)),
        upper=cfg.upper,
        cohesion=cfg.cohesion,
        scorer=scorer.evidence,
        max_dense=cfg.max_cluster_dense,
        must=must,
        cannot=cannot,
    )
    say(f"clustered in {time.perf_counter() - t0:.1f}s")
    groups: dict[int, list[str]] = {}
    for i, lab in enumerate(labels_arr.tolist()):
        groups.setdefault(lab, []).append(prep.ids[i])
    mapping, changes = assign_ids(groups.values(), previous, cluster_age)
    keep = (prob >= cfg.lower) | is_must | is_cannot
    same = labels_arr[left] == labels_arr[right]
    dec = np.where(prob >= cfg.upper, "merge", np.where(prob >= cfg.lower, "review", "apart"))
    notes = np.full(len(cand), "", dtype=object)
    dec = np.where(is_must, "merge", np.where(is_cannot, "apart", dec))
    notes[is_must] = "admin decision: merge"
    notes[is_cannot] = "admin decision: keep apart"
    vetoed = (dec == "merge") & ~same
    dec[vetoed] = "review"
    notes[vetoed] = "merge-level pair kept apart: the clusters do not hold together"
    joined = (dec != "merge") & same & ~is_cannot
    notes[joined & ~is_must] = "in the same cluster through other records"
    sel = np.flatnonzero(keep)
    names = list(prep.fields)
    types = [prep.fields[k].type for k in names]
    stats = {
        "records": prep.n,
        "candidate_pairs": int(len(cand)),
        "blocking": pass_stats,
        "clusters": len(set(mapping.values())),
        "pairs_reported": int(len(sel)),
        "merge_pairs": int((dec[sel] == "merge").sum()),
        "review_pairs": int((dec[sel] == "review").sum()),
        "prior": model.prior,
        "seconds": round(time.perf_counter() - t0, 3),
    }
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
            types,
            dec[sel].tolist(),
            notes[sel].tolist(),
        ),
        candidates=cand if cfg.keep_candidates else None,
        ids=prep.ids,
    )
