"""The machinery every flavour shares: seeded draws, weighted choices, record-count
distributions, simulated source systems, typo and encoding noise, and the Flavour base
class that builds entities group by group and renders their records."""

from __future__ import annotations

import bisect
import datetime as dt
import random
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

# =============================================================================================
# common machinery
# =============================================================================================


class Rng(random.Random):
    """`random.Random` with a few shorthands; every draw in this module goes through one."""

    def p(self, prob: float) -> bool:
        return prob > 0.0 and self.random() < prob

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.randrange(len(seq))]

    def wpick(self, pairs: Sequence[tuple[T, float]]) -> T:
        items = [a for a, _ in pairs]
        return self.choices(items, weights=[w for _, w in pairs])[0]


class Weighted:
    """A fixed categorical distribution, drawn from in O(log n)."""

    def __init__(self, items: Iterable[T], weights: Iterable[float]) -> None:
        self.items: list = list(items)
        self.cum: list[float] = []
        acc = 0.0
        for w in weights:
            acc += float(w)
            self.cum.append(acc)
        if len(self.cum) != len(self.items) or acc <= 0:
            raise ValueError("bad weights")
        self.total = acc

    def draw(self, rng: Rng):  # noqa: ANN201 - item type is whatever was passed in
        i = bisect.bisect_right(self.cum, rng.random() * self.total)
        return self.items[min(i, len(self.items) - 1)]


def zipf(n: int, a: float) -> list[float]:
    return [1.0 / (i + 1) ** a for i in range(n)]


def count_distribution(
    head: Sequence[float], tail_mass: float, kmax: int, alpha: float
) -> Weighted:
    """P(k) for k = 1..len(head) given explicitly, then a power-law tail up to kmax."""
    ks = list(range(1, kmax + 1))
    tail = [k**-alpha for k in range(len(head) + 1, kmax + 1)]
    s = sum(tail)
    weights = list(head) + [tail_mass * w / s for w in tail]
    return Weighted(ks, weights)


@dataclass
class System:
    """A simulated source system: how often it contributes a record, which columns it holds
    (probability that the cell is filled) and how noisy its values are (per-noise-kind rates)."""

    name: str
    weight: float
    has: dict[str, float]
    noise: dict[str, float] = field(default_factory=dict)

    def n(self, key: str) -> float:
        return self.noise.get(key, 0.0)


def kv(s: str) -> dict[str, float]:
    """`"name=.99 company=.5"` -> {"name": 0.99, "company": 0.5} (compact rate tables)."""
    return {k: float(v) for k, v in (tok.split("=") for tok in s.split())}


def _pairs(s: str) -> dict[str, str]:
    """`"a:b c:d"` (or two-character tokens `"ab cd"`) -> {"a": "b", "c": "d"}."""
    out: dict[str, str] = {}
    for tok in s.split():
        k, v = tok.split(":", 1) if ":" in tok else (tok[0], tok[1:])
        out[k] = v
    return out


def _pair_list(s: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in (tok.split(":", 1) for tok in s.split())]


def _multi(s: str) -> dict[str, list[str]]:
    return {k: v.split(",") for k, v in (tok.split(":", 1) for tok in s.split())}


def _groups(s: str) -> list[list[str]]:
    return [tok.split(",") for tok in s.split()]


QWERTY_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
QWERTZ_ROWS = ["qwertzuiopü", "asdfghjklöä", "yxcvbnm"]


def _neighbours(rows: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            nb = []
            for dr in (-1, 0, 1):
                rr = r + dr
                if 0 <= rr < len(rows):
                    for dc in (-1, 0, 1):
                        cc = c + dc
                        if (dr or dc) and 0 <= cc < len(rows[rr]):
                            nb.append(rows[rr][cc])
            out[ch] = "".join(nb)
    return out


KB_US = _neighbours(QWERTY_ROWS)
KB_DE = _neighbours(QWERTZ_ROWS)


def typo(s: str, rng: Rng, kb: dict[str, str] = KB_US) -> str:
    """One keyboard slip: neighbour key, dropped letter, doubled letter or transposition."""
    idx = [i for i, ch in enumerate(s) if ch.isalpha()]
    if len(idx) < 2:
        return s
    i = rng.pick(idx)
    r = rng.random()
    if r < 0.35:
        nb = kb.get(s[i].lower())
        if not nb:
            return s
        c = rng.pick(nb)
        c = c.upper() if s[i].isupper() else c
        return s[:i] + c + s[i + 1 :]
    if r < 0.6:
        return s[:i] + s[i + 1 :]
    if r < 0.8:
        return s[:i] + s[i] + s[i:]
    j = i + 1
    if j >= len(s) or not s[j].isalpha():
        return s[:i] + s[i + 1 :]
    return s[:i] + s[j] + s[i] + s[j + 1 :]


def digit_typo(s: str, rng: Rng) -> str:
    """One keying slip inside a digit string (substitution, transposition or a dropped digit)."""
    idx = [i for i, ch in enumerate(s) if ch.isdigit()]
    if len(idx) < 4:
        return s
    i = rng.pick(idx[1:])
    r = rng.random()
    if r < 0.5:
        return s[:i] + str((int(s[i]) + rng.randint(1, 9)) % 10) + s[i + 1 :]
    if r < 0.8:
        k = idx.index(i)
        if k + 1 < len(idx) and idx[k + 1] == i + 1:
            return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        return s
    return s[:i] + s[i + 1 :]


def strip_accents(s: str) -> str:
    s = s.replace("ß", "ss").replace("ẞ", "SS").replace("ı", "i").replace("ł", "l")
    s = s.replace("Ł", "L").replace("ø", "o").replace("Ø", "O").replace("đ", "d").replace("æ", "ae")
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


DE_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)


def de_ascii(s: str, rng: Rng, p_translit: float = 0.7) -> str:
    """Umlauts either transliterated (Müller -> Mueller) or just stripped (Muller)."""
    if rng.p(p_translit):
        s = s.translate(DE_TRANSLIT)
    return strip_accents(s)


def mojibake(s: str) -> str:
    """UTF-8 bytes read back as Windows-1252, the classic CSV-export accident (MÃ¼ller)."""
    return s.encode("utf-8").decode("cp1252", errors="replace")


FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def fullwidth(s: str) -> str:
    return s.translate(FULLWIDTH)


def fw_digits(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in s)


def luhn_free_digits(rng: Rng, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def rand_date(rng: Rng, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def created_at(rng: Rng, t: float, fmt: str) -> str:
    base = dt.datetime(2017, 1, 1) + dt.timedelta(days=t * 2550 + rng.random())
    return base.strftime(fmt)


def email_noise(e: str, rng: Rng, s: System) -> str:
    if rng.p(s.n("email_case")):
        local, _, dom = e.partition("@")
        e = rng.pick([local.capitalize() + "@" + dom, e.upper(), local + "@" + dom.capitalize()])
    if rng.p(s.n("email_ocr")):
        e = rng.pick(
            [
                e.replace("l", "1", 1),
                e.replace("o", "0", 1),
                e.replace("m", "rn", 1),
                e.replace(".", ",", 1),
                e.replace("@", "(at)"),
            ]
        )
    if rng.p(s.n("email_typo")):
        local, _, dom = e.partition("@")
        dom = rng.pick(
            [
                dom.replace(".com", ".con"),
                dom.replace(".com", ".cm"),
                dom.replace("qq", "qqq"),
                dom.replace(".com.cn", ".com"),
                dom.replace(".cn", ""),
                dom + ".",
            ]
        )
        local = typo(local, rng) if rng.p(0.4) else local
        e = f"{local}@{dom}"
    if rng.p(s.n("email_mailto")):
        e = rng.pick([f"mailto:{e}", f" {e} ", f"<{e}>", f"E-mail: {e}", f"邮箱：{e}"])
    return e


# =============================================================================================
# flavour base
# =============================================================================================


IDENT_TYPES = ("person_name", "phone", "email", "identifier")


class Flavour:
    """Base class: subclasses build entities group by group and render their records."""

    name = ""
    region = ""
    id_col = ""
    #: semantic key -> output column header
    cols: dict[str, str] = {}
    #: semantic key -> spec type (what an ordinary user would declare for that column)
    spec: dict[str, str] = {}
    systems: list[System] = []
    #: optional per-kind-of-entity system mix (system name -> weight) overriding System.weight
    mixes: dict[str, dict[str, float]] = {}
    counts: Weighted

    def __init__(self, seed: int) -> None:
        self.rng = Rng(seed)
        self.np_rng = np.random.default_rng(seed)
        self.n_entities = 0
        self.taken: set[str] = set()
        self.sys_w = Weighted(self.systems, [s.weight for s in self.systems])
        by_name = {s.name: s for s in self.systems}
        self.sys_mix = {
            kind: Weighted([by_name[n] for n in mix], list(mix.values()))
            for kind, mix in self.mixes.items()
        }

    def new_eid(self) -> str:
        self.n_entities += 1
        return f"{self.name}-{self.n_entities:07d}"

    def claim(self, value: str, alternative: Callable[[int], str]) -> str:
        """Reserve a value that exists once in the real world (a mailbox, a company's domain, a
        fixed line); on a clash try `alternative(2)`, `alternative(3)`, ...  Deliberate sharing
        (household mailboxes, info@, switchboards, recycled mobiles) reuses a claimed value."""
        v, k = value, 1
        while v in self.taken:
            k += 1
            v = alternative(k)
        self.taken.add(v)
        return v

    def claim_mailbox(self, email: str) -> str:
        """Claim a mailbox under its canonical form (gmail ignores dots and +tags)."""
        local, _, dom = email.partition("@")
        rng = self.rng

        def canon(loc: str) -> str:
            if dom in ("gmail.com", "googlemail.com"):
                return loc.split("+")[0].replace(".", "") + "@gmail.com"
            return f"{loc}@{dom}"

        picked = [local]

        def alternative(k: int) -> str:
            picked[0] = f"{local}{rng.randint(2, 99) if k < 12 else k}"
            return canon(picked[0])

        self.claim(canon(local), alternative)
        return f"{picked[0]}@{dom}"

    def record_times(self) -> list[float]:
        k = self.counts.draw(self.rng)
        return sorted(self.rng.random() for _ in range(k))

    def make_group(self) -> list[dict[str, str]]:
        raise NotImplementedError

    def render(self, p: Any, t: float, s: System) -> dict[str, str]:
        raise NotImplementedError

    def emit(self, p: Any, t: float, s: System) -> dict[str, str]:
        """Render a record; a stub with no name, phone, email or identifier at all is re-drawn."""
        ident = [k for k, typ in self.spec.items() if typ in IDENT_TYPES]
        row = self.render(p, t, s)
        for _ in range(20):
            if any(row[k] for k in ident):
                break
            row = self.render(p, t, s)
        return row

    def make_id(self, i: int) -> str:
        raise NotImplementedError

    def fill(self, s: System, key: str) -> bool:
        return self.rng.p(s.has.get(key, 0.0))

    def rows(self, n_rows: int) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        while len(out) < n_rows:
            out.extend(self.make_group())
        out = out[:n_rows]
        self.rng.shuffle(out)
        ids = self.np_rng.choice(np.arange(10**6, 10**6 + 20 * n_rows), n_rows, replace=False)
        for r, i in zip(out, ids, strict=True):
            r["id"] = self.make_id(int(i))
        return out

    def header(self) -> list[str]:
        return [self.cols[k] for k in self.cols] + ["entity"]
