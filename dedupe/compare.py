"""Comparison levels per field type, vectorised over arrays of record-index pairs.

Level 0 is "different", the last level is "exact"; -1 means a side is missing (no
evidence either way). Similarities come from rapidfuzz's C loops (`cpdist`), so a
million pairs cost well under a second per field.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Indel, JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from dedupe.normalize import char_pinyin
from dedupe.phones import MASK
from dedupe.prepare import FieldData, build_field, field_from_codes
from dedupe.spec import FieldType

__all__ = ["LEVELS", "compare_field", "compare_values", "cross_names", "level_name"]

LEVELS: dict[FieldType, tuple[str, ...]] = {
    FieldType.PERSON_NAME: ("different", "similar", "close", "sounds_alike", "exact"),
    FieldType.COMPANY_NAME: ("different", "similar", "close", "exact"),
    FieldType.PHONE: ("different", "typo", "exact"),
    FieldType.EMAIL: ("different", "close", "exact"),
    FieldType.ADDRESS: ("different", "same_district", "similar", "close", "exact"),
    FieldType.TEXT: ("different", "similar", "close", "exact"),
    FieldType.DATE: ("different", "two_parts", "typo", "exact"),
    FieldType.POSTCODE: ("different", "same_area", "exact"),
    FieldType.IDENTIFIER: ("different", "typo", "exact"),
    FieldType.CATEGORY: ("different", "exact"),
    FieldType.LOCALITY: ("different", "same_province", "same_city", "same_district"),
}


def level_name(ftype: FieldType, level: int) -> str:
    return "missing" if level < 0 else LEVELS[ftype][level]


def _sim(a: list[str], b: list[str], scorer: Any) -> np.ndarray:
    if not a:
        return np.zeros(0)
    # no rapidfuzz threads: converting Python strings holds the GIL, so they did not help
    # (measured); big inputs are split over processes by model.comparison_matrix instead
    return np.asarray(cpdist(a, b, scorer=scorer, dtype=np.float32), dtype=np.float64)


def _raise_where(
    mask: np.ndarray, best: np.ndarray, a: list[str], b: list[str], ratio: Any
) -> None:
    """In place: best = max(best, ratio / 100) for the pairs under `mask` only."""
    todo = np.flatnonzero(mask).tolist()
    if todo:
        more = _sim([a[k] for k in todo], [b[k] for k in todo], ratio) / 100.0
        best[todo] = np.maximum(best[todo], more)


def _grade(fd: FieldData, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Levels for pairs of records whose values are present and not identical."""
    ftype, d = fd.type, fd.derived
    out = np.zeros(len(li), dtype=np.int8)
    if not len(li):
        return out
    if ftype is FieldType.PERSON_NAME:
        return _grade_names(fd, li, ri)
    if ftype in (FieldType.PHONE, FieldType.IDENTIFIER, FieldType.EMAIL):
        return _grade_one_edit(fd, li, ri)
    a, b = fd.text_of(li).tolist(), fd.text_of(ri).tolist()
    if ftype in (FieldType.COMPANY_NAME, FieldType.TEXT):
        ts = _sim(a, b, fuzz.token_set_ratio) / 100.0
        best = np.maximum(ts, _sim(a, b, JaroWinkler.normalized_similarity))
        out[best >= 0.80] = 1
        out[best >= 0.92] = 2
    elif ftype is FieldType.ADDRESS:
        best = np.maximum(
            _sim(a, b, Indel.normalized_similarity), _sim(a, b, fuzz.token_set_ratio) / 100.0
        )
        dist = d["district"]
        out[(dist[li] >= 0) & (dist[li] == dist[ri])] = 1
        out[best >= 0.75] = 2
        out[best >= 0.9] = 3
    elif ftype is FieldType.DATE:
        # two of year / month / day agree (a wrong day, a mistyped year) ...
        for key in ("year_month", "month_day", "year_day"):
            out[d[key][li] == d[key][ri]] = 1
        # ... or one typo (OSA: two digits swapped is one), or day and month swapped
        out[_sim(a, b, OSA.distance) <= 1] = 2
        out[d["swapped"][li] == fd.codes[ri]] = 2
    elif ftype is FieldType.LOCALITY:  # compare at the deepest level both records know
        for level, key in enumerate(("province", "city", "district"), start=1):
            code = d[key]
            out[(code[li] >= 0) & (code[li] == code[ri])] = level
    elif ftype is FieldType.POSTCODE:
        area = d["area"]
        out[(area[li] >= 0) & (area[li] == area[ri])] = 1
    return out


def _grade_one_edit(fd: FieldData, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Phones, identifiers, e-mails: 1 ("typo") for one edit apart (OSA: a swap of two
    digits is one typo), 0 otherwise. Only pairs whose characters may be one edit apart
    (`FieldData.char_counts` differ by at most 2) go to rapidfuzz: most pairs of
    different numbers are plainly different."""
    d = fd.derived
    out = np.zeros(len(li), dtype=np.int8)
    near = np.abs(fd.char_counts(li) - fd.char_counts(ri)).sum(axis=1) <= 2
    todo = np.flatnonzero(near)
    if fd.type is FieldType.EMAIL:
        # one typo in the letters only: zhangwei12@ / zhangwei13@, zhangwei@qq / @163 are
        # usually two people who share a name, not one person mistyped
        todo = todo[d["digits"][li[todo]] == d["digits"][ri[todo]]]
    a, b = fd.text_of(li[todo]).tolist(), fd.text_of(ri[todo]).tolist()
    out[todo[_sim(a, b, OSA.distance) <= 1]] = 1
    if fd.type is FieldType.IDENTIFIER:  # one typo in a short code is another code
        out[np.minimum(d["length"][li], d["length"][ri]) < 6] = 0
    if "masked" in d:  # a masked mobile and a number it may be: as near as a typo
        key = d["masked"]
        may = np.flatnonzero((key[li] >= 0) & (key[li] == key[ri]))
        a, b = fd.text_of(li[may]).tolist(), fd.text_of(ri[may]).tolist()
        out[may[[MASK in x or MASK in y for x, y in zip(a, b, strict=True)]]] = 1
    return out


def _grade_names(fd: FieldData, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Chinese names: sounds_alike = same pinyin; close = one syllable off in a name of
    three or more with the same surname (a dropped or wrong character of the given
    name); a shared surname alone is "different" (relatives). Latin names: Jaro-Winkler
    and token-sort on the text, metaphone for sounds_alike, 'j smith' ~ 'john smith'.
    A romanised Chinese name may also sound like its hanzi."""
    d = fd.derived
    out = np.zeros(len(li), dtype=np.int8)
    cjk_l, cjk_r = d["cjk"][li], d["cjk"][ri]
    same_sound = d["phonetic"][li] == d["phonetic"][ri]
    # a pair that sounds alike is "sounds_alike" whatever else: grade only the others
    both = np.flatnonzero(cjk_l & cjk_r & ~same_sound)
    if len(both):
        assert fd.syllables is not None
        sa, sb = fd.syllables[li[both]].tolist(), fd.syllables[ri[both]].tolist()
        dist = _sim(sa, sb, Levenshtein.distance)
        longest = np.maximum(
            np.fromiter(map(len, sa), np.int64, len(sa)),
            np.fromiter(map(len, sb), np.int64, len(sb)),
        )
        same_surname = d["surname"][li[both]] == d["surname"][ri[both]]
        shortest = np.minimum(
            np.fromiter(map(len, sa), np.int64, len(sa)),
            np.fromiter(map(len, sb), np.int64, len(sb)),
        )
        lv = np.zeros(len(both), dtype=np.int8)
        # a surname alone (王女士 -> 王) against a full name with that surname
        lv[(shortest == 1) & (longest >= 2) & same_surname] = 1
        lv[(dist == 1) & (longest >= 3) & same_surname] = 2
        out[both] = lv
    latin = np.flatnonzero(~cjk_l & ~cjk_r & ~same_sound)
    if len(latin):
        ll, lr = li[latin], ri[latin]
        a, b = fd.text_of(ll).tolist(), fd.text_of(lr).tolist()
        # Jaro-Winkler: typos; token_sort: "smith john" = "john smith", asked only where
        # Jaro-Winkler alone does not already reach "close". Not JW on the sorted
        # phonetic key: a shared surname sorted first would look like a match.
        best = _sim(a, b, JaroWinkler.normalized_similarity)
        # token_sort_ratio is the plain ratio of the names' tokens sorted, kept per value
        sorted_text = fd.by_value["sorted_text"][0]
        sl, sr = sorted_text[fd.value_codes[ll]].tolist(), sorted_text[fd.value_codes[lr]].tolist()
        _raise_where(best < 0.93, best, sl, sr, fuzz.ratio)
        initial = (
            (d["last_token"][ll] >= 0)
            & (d["last_token"][ll] == d["last_token"][lr])
            & (d["initial"][ll] == d["initial"][lr])
            & (d["short_first"][ll] | d["short_first"][lr])
        )
        lv = np.zeros(len(latin), dtype=np.int8)
        lv[(best >= 0.85) | initial] = 1
        lv[best >= 0.93] = 2
        todo = np.flatnonzero(lv < 2)
        if len(todo):
            tokens = _token_pairs(fd, ll[todo], lr[todo])
            # one name's words all inside the other's: a middle or a first name left out
            inside = (tokens.shared > 0) & (tokens.shared == np.minimum(tokens.p, tokens.q))
            lv[todo[inside & (lv[todo] == 0)]] = 1
            # a nickname of the other's given name: Jack / John Gordon, Cindy / Cynthia
            lv[todo[_nickname_of_other(fd, tokens)]] = 2
        out[latin] = lv
    out[same_sound] = 3
    for k in np.flatnonzero(cjk_l != cjk_r).tolist():
        x, y = fd.texts[fd.value_codes[li[k]]], fd.texts[fd.value_codes[ri[k]]]
        hanzi, roman = (x, y) if cjk_l[k] else (y, x)
        out[k] = _romanised_level(hanzi, roman.split())
    return out


def _romanised_level(hanzi: str, letters: list[str]) -> int:
    """A Chinese name against a Latin-alphabet one: sounds_alike when the letters are
    its pinyin, surname first or last (Zhang Haoqiang, Haoqiang Zhang, Hao-qiang
    Zhang), else different. (Its surname's pinyin alone beside an English name, Kevin
    Jia for 贾晖, as "similar" was measured and dropped: cn_retail lost F1.)"""
    if not letters:
        return 0
    sound = "".join(char_pinyin(c) for c in hanzi)
    surname_last = letters[-1:] + letters[:-1]
    if sound in ("".join(letters), "".join(reversed(letters)), "".join(surname_last)):
        return 3
    return 0


class _TokenPairs(NamedTuple):
    """Every pair of distinct tokens of the two names of each pair, flat (the pair's
    index, the tokens' positions in their names, their codes), and per pair the
    tokens the names share and each name's count of distinct tokens."""

    owner: np.ndarray
    a_pos: np.ndarray
    b_pos: np.ndarray
    tl: np.ndarray
    tr: np.ndarray
    shared: np.ndarray
    p: np.ndarray
    q: np.ndarray


def _token_pairs(fd: FieldData, li: np.ndarray, ri: np.ndarray) -> _TokenPairs:
    """From token codes, with arrays: a name is inside the other (what a
    token_set_ratio of 100 says) where all the shorter one's tokens are shared."""
    lens, flat = fd.by_value["token_set"]
    starts = np.cumsum(lens) - lens
    cl, cr = fd.value_codes[li], fd.value_codes[ri]
    p, q = lens[cl], lens[cr]
    per = p * q
    owner = np.repeat(np.arange(len(li)), per)
    within = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    q_rep = np.repeat(q, per)
    a_pos, b_pos = within // q_rep, within % q_rep
    tl = flat[np.repeat(starts[cl], per) + a_pos]
    tr = flat[np.repeat(starts[cr], per) + b_pos]
    shared = np.bincount(owner[tl == tr], minlength=len(li))
    return _TokenPairs(owner, a_pos, b_pos, tl, tr, shared, p, q)


def _nickname_of_other(fd: FieldData, tokens: _TokenPairs) -> np.ndarray:
    """Latin names alike but for one token of the shorter name, which is a nickname of
    a token the other name does not share, or has it as one (initials aside: "Sam
    Ford" / "Samuel J. Ford"): given names alone, or names sharing a token (the
    surname). From the pairs' tokens and the field's nickname pairs (`prepare`)."""
    owner, shared, p, q = tokens.owner, tokens.shared, tokens.p, tokens.q
    out = np.zeros(len(shared), dtype=bool)
    one_apart = (np.minimum(p, q) - shared == 1) & ((shared > 0) | ((p == 1) & (q == 1)))
    related, width = fd.by_value["nicknames"]
    if not one_apart.any() or not len(related):
        return out
    keep = np.flatnonzero(one_apart[owner])
    own, tl, tr = owner[keep], tokens.tl[keep], tokens.tr[keep]
    same = tl == tr
    a_key = own * int(p.max()) + tokens.a_pos[keep]
    b_key = own * int(q.max()) + tokens.b_pos[keep]
    a_shared = np.bincount(a_key[same], minlength=int(a_key.max()) + 1) > 0
    b_shared = np.bincount(b_key[same], minlength=int(b_key.max()) + 1) > 0
    code = tl * width + tr
    pos = np.minimum(np.searchsorted(related, code), len(related) - 1)
    hit = (related[pos] == code) & ~a_shared[a_key] & ~b_shared[b_key]
    out[np.unique(own[hit])] = True
    return out


# types whose grading is cheap array lookups: no gain from grading value pairs once
_CHEAP = (FieldType.CATEGORY, FieldType.POSTCODE, FieldType.LOCALITY)


def _grade_distinct(fd: FieldData, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """`_grade`, computed once per distinct pair of values: candidate pairs repeat value
    pairs (John Smith / Jon Smith in many blocks), and everything a grade reads of a
    record is a function of its value code. Grades are symmetric, so pairs unordered."""
    if fd.type in _CHEAP or len(li) < 1000:
        return _grade(fd, li, ri)
    ci, cj = fd.codes[li], fd.codes[ri]
    width = int(fd.codes.max()) + 1
    key = np.minimum(ci, cj) * width + np.maximum(ci, cj)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    first = np.r_[True, ks[1:] != ks[:-1]]
    if first.sum() > 0.8 * len(key):  # hardly any repeats: not worth the indirection
        return _grade(fd, li, ri)
    group = np.cumsum(first) - 1  # distinct pair of each sorted position
    at = order[first]  # one candidate pair stands for each distinct value pair
    out = np.empty(len(li), dtype=np.int8)
    out[order] = _grade(fd, li[at], ri[at])[group]
    return out


def compare_field(fd: FieldData, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Level of field `fd` for each pair (left[k], right[k]) of record indices."""
    top = len(LEVELS[fd.type]) - 1
    ci, cj = fd.codes[left], fd.codes[right]
    levels = np.full(len(left), -1, dtype=np.int8)
    both = (ci >= 0) & (cj >= 0)
    levels[both] = 0
    levels[both & (ci == cj)] = top
    rest = np.flatnonzero(both & (ci != cj))
    if len(rest):
        levels[rest] = _grade_distinct(fd, left[rest], right[rest])
    if fd.multi:
        _best_over_lists(fd, left, right, levels, top)
    return levels


def _best_over_lists(
    fd: FieldData, left: np.ndarray, right: np.ndarray, levels: np.ndarray, top: int
) -> None:
    """List-valued cells (several phones): the best level over all element pairs,
    graded as pairs of codes into the field's vocabulary (each distinct pair once)."""
    flat, starts, vocab = fd.elements
    lens = np.diff(starts)
    todo = np.flatnonzero(
        ((lens[left] > 1) | (lens[right] > 1))
        & (lens[left] > 0)
        & (lens[right] > 0)
        & (levels < top)
    )
    if not len(todo):
        return
    a, b = lens[left[todo]], lens[right[todo]]
    per = a * b  # element pairs of each pair of records
    owner = np.repeat(todo, per)
    within = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    b_rep = np.repeat(b, per)
    el = flat[np.repeat(starts[left[todo]], per) + within // b_rep]
    er = flat[np.repeat(starts[right[todo]], per) + within % b_rep]
    np.maximum.at(levels, owner, compare_field(vocab, el, er))


def compare_values(
    name: str, ftype: FieldType, a: list[tuple[str, ...]], b: list[tuple[str, ...]]
) -> np.ndarray:
    """Levels of value pairs (a[k], b[k]) that are not two records' cells of one field
    (list elements, crossed columns): they become the records of a small throw-away
    field, graded as usual."""
    tmp = build_field(name, ftype, a + b)
    m = len(a)
    return compare_field(tmp, np.arange(m), np.arange(m, 2 * m))


def cross_names(
    first: FieldData,
    second: FieldData,
    left: np.ndarray,
    right: np.ndarray,
    lv_first: np.ndarray,
    lv_second: np.ndarray,
) -> None:
    """Two name columns (given name, surname) swapped in one record: where neither
    column agrees as written, compare them crossed and keep the crossing if it agrees
    better (in place)."""
    todo = np.flatnonzero((lv_first == 0) & (lv_second == 0))
    if not len(todo):
        return
    one = _crossed(first, second, left[todo], right[todo])
    two = _crossed(second, first, left[todo], right[todo])
    better = one.astype(np.int16) + two > 0
    lv_first[todo[better]] = one[better]
    lv_second[todo[better]] = two[better]


def _crossed(one: FieldData, other: FieldData, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Levels of `one`'s values of records li against `other`'s of records ri, graded
    as `one`'s type, each distinct pair of values once."""
    multi = one.multi or other.multi  # codes stand for the first value only
    if multi:
        key = np.arange(len(li))
    else:
        key = (one.value_codes[li] + 1) * (len(other.uniq) + 1) + other.value_codes[ri] + 1
    _, at, back = np.unique(key, return_index=True, return_inverse=True)
    if multi:
        va, vb = one.values, other.values
        lv = compare_values(
            one.name, one.type, [va[i] for i in li[at].tolist()], [vb[j] for j in ri[at].tolist()]
        )
    else:  # single values: one field over both vocabularies, its records the pairs' sides
        lv = _compare_codes(one, one.value_codes[li[at]], other, other.value_codes[ri[at]])
    return lv[back.ravel()]


def _compare_codes(
    one: FieldData, codes_one: np.ndarray, other: FieldData, codes_other: np.ndarray
) -> np.ndarray:
    """Levels of one.uniq[codes_one[k]] against other.uniq[codes_other[k]] (-1: missing),
    graded as `one`'s type: `compare_values` without a tuple per value."""
    index = {v: i for i, v in enumerate(one.uniq)}
    to_merged = np.fromiter(
        (index.setdefault(v, len(index)) for v in other.uniq), np.int64, len(other.uniq)
    )
    # code -1 (missing) stays -1: it picks the appended entry
    codes = np.r_[codes_one, np.append(to_merged, -1)[codes_other]]
    tmp = field_from_codes(one.name, one.type, codes, list(index))
    m = len(codes_one)
    return compare_field(tmp, np.arange(m), np.arange(m, 2 * m))
