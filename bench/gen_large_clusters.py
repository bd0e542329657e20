"""Customers whose true clusters are large, each record linked to only a few others.

    .venv/bin/python bench/gen_large_clusters.py --rows 20000 --seed 3 --out /tmp/large
    .venv/bin/python bench/bench_csv.py --csv /tmp/large/large_20000.csv --truth entity \\
        --engines ours reference --repeat 1

The shape other generators lack: an entity holds up to several hundred records (sizes
from a Zipf law: most people once or twice, a few loyal customers or sales contacts
hundreds of times), written down over the years by several systems. A person's phone and
e-mail change over time, the e-mail half a period after the phone, so each record shares
a contact point only with the records of its own period and the next: strong evidence
links every record to a few others and the periods chain into the whole entity, while two
records years apart share no more than the name (and maybe the city). Namesakes are planted:
names come from small pools, so other people share a big entity's name, some in the same
city. Noise per record: name case and a typo now and then, a missing phone or e-mail,
phone formats.

Columns: `id`, `name` (person_name), `phone` (phone), `email` (email), `city`
(category), `entity` (the truth, not matched). The spec is written beside the CSV.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

import yaml

_GIVEN = [
    "James", "Mary", "John", "Linda", "Robert", "Susan", "Michael", "Karen", "David", "Lisa",
    "Daniel", "Nancy", "Paul", "Betty", "Mark", "Sandra", "Steven", "Ashley", "Kevin", "Emily",
]  # fmt: skip
_SURNAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Lopez",
    "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Martin", "Lee", "Walker", "Young",
]  # fmt: skip
_CITIES = ["Austin", "Boston", "Chicago", "Denver", "Miami", "Omaha", "Portland", "Seattle"]
_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "aol.com"]
SPEC = {
    "id": "id",
    "region": "US",
    "fields": {"name": "person_name", "phone": "phone", "email": "email", "city": "category"},
}


def _size(rng: random.Random, largest: int) -> int:
    """Records per entity: Zipf-like, 1 most often, up to `largest`."""
    return min(largest, int(rng.paretovariate(1.1)))


def _phone(rng: random.Random) -> str:
    return f"{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(1000, 9999)}"


def _typo(rng: random.Random, s: str) -> str:
    i = rng.randrange(len(s))
    return s[:i] + rng.choice("aeiourstn") + s[i + 1 :]


def _formatted(rng: random.Random, digits: str) -> str:
    shape = rng.randrange(3)
    if shape == 0:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    if shape == 1:
        return f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits


def generate(rows: int, seed: int = 3, largest: int = 400) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out: list[dict[str, str]] = []
    entity = 0
    while len(out) < rows:
        size = min(_size(rng, largest), rows - len(out))
        given, surname = rng.choice(_GIVEN), rng.choice(_SURNAMES)
        city = rng.choice(_CITIES)
        # a phone per ~8 records, and an e-mail per ~8 records that changes half a period
        # after the phone: each record shares a contact point with the records of its own
        # period only, yet the periods chain (the evidence supports the whole entity)
        periods = max(1, size // 8)
        phones, emails, cities = [], [], []
        for _ in range(periods + 1):
            local = f"{given}.{surname}{rng.randint(1, 999)}".lower()
            phones.append(_phone(rng))
            emails.append(f"{local}@{rng.choice(_DOMAINS)}")
            if rng.random() < 0.1:  # moved
                city = rng.choice(_CITIES)
            cities.append(city)
        for k in range(size):
            at = min(k * periods // size, periods - 1)
            phone, city = phones[at], cities[at]
            email = emails[min((2 * k * periods + size) // (2 * size), periods)]
            name = f"{given} {surname}"
            if rng.random() < 0.05:
                name = _typo(rng, name)
            if rng.random() < 0.2:
                name = name.upper()
            out.append(
                {
                    "name": name,
                    "phone": _formatted(rng, phone) if rng.random() > 0.2 else "",
                    "email": email if rng.random() > 0.3 else "",
                    "city": city if rng.random() > 0.1 else "",
                    "entity": f"L{entity}",
                }
            )
        entity += 1
    rng.shuffle(out)
    for i, rec in enumerate(out):
        rec["id"] = f"L{i:07d}"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--largest", type=int, default=400, help="records of the largest entity")
    ap.add_argument("--out", required=True, help="output directory")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = generate(args.rows, args.seed, args.largest)
    path = out / f"large_{args.rows}.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "name", "phone", "email", "city", "entity"])
        w.writeheader()
        w.writerows(rows)
    with open(path.with_suffix(".spec.yaml"), "w", encoding="utf-8") as fh:
        fh.write(f"# bench/gen_large_clusters.py --rows {args.rows} --seed {args.seed}\n")
        yaml.safe_dump(SPEC, fh, sort_keys=False)
    sizes: dict[str, int] = {}
    for r in rows:
        sizes[r["entity"]] = sizes.get(r["entity"], 0) + 1
    big = sorted(sizes.values())[-3:]
    print(f"{path}: {len(rows)} rows, {len(sizes)} entities, largest {big}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
