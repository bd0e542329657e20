"""Benchmark: our engine vs Splink (DuckDB) on the same generated files, same run.

    .venv/bin/python bench/bench_dedupe.py --flavour zh --rows 10000 100000 --repeat 3

Each engine run is a separate process so peak memory (max RSS) is its own. Reported:
precision / recall / F1 of the record pairs implied by the clusters against the known
truth, wall time (records in memory -> cluster per record), peak memory, and for our
engine the blocking pairs completeness (share of true pairs that blocking proposed).
Medians over --repeat runs; the machine is shared and noisy.

Engines: ours; splink (stock model, raw columns); splink_clean (the same model after a
minimal pandas clean-up); splink_expert (Chinese-specific or Latin cleaning and a
hand-built expert model, cleaning included in the time).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from gen_data import EN_SPEC, ZH_SPEC, generate, write_csv  # noqa: E402

if TYPE_CHECKING:
    import pandas as pd
    from splink.internals.blocking_rule_creator import BlockingRuleCreator
    from splink.internals.comparison_creator import ComparisonCreator


def pair_metrics(truth: list[str], pred: list[str]) -> dict[str, float]:
    """Precision/recall/F1 over all record pairs implied by two clusterings."""

    def codes(labels: list[str]) -> np.ndarray:
        return np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)[1]

    t, p = codes(truth), codes(pred)

    def n_pairs(counts: np.ndarray) -> float:
        return float((counts * (counts - 1) // 2).sum())

    joint = np.unique(t.astype(np.int64) * (p.max() + 1) + p, return_counts=True)[1]
    tp = n_pairs(joint)
    pred_pairs, true_pairs = n_pairs(np.bincount(p)), n_pairs(np.bincount(t))
    prec = tp / pred_pairs if pred_pairs else 1.0
    rec = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {
        "precision": prec,
        "recall": rec,
        "f1": f1,
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
    }


def _read(path: str) -> list[dict[str, str]]:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        # an empty cell is a missing value: leave it out rather than hold a None for it
        return [{k: v for k, v in row.items() if v} for row in csv.DictReader(fh)]


def run_ours(path: str, flavour: str) -> dict[str, object]:
    import csv

    from dedupe import MatchSettings, MatchSpec, resolve
    from dedupe.cli import read_columns

    spec = MatchSpec.from_dict(ZH_SPEC if flavour == "zh" else EN_SPEC)
    # plain lists of cells, as a caller of `resolve` holds them: the coding work that
    # `chub dedupe`'s Arrow reader does is then inside the timed part (bench_csv.py
    # times the whole command)
    cols = {k: list(v) for k, v in read_columns(path, spec).items()}
    with open(path, encoding="utf-8", newline="") as fh:
        truth = [row["entity"] for row in csv.DictReader(fh)]
    ids = cols[spec.id]
    t0 = time.perf_counter()
    res = resolve(cols, spec, MatchSettings(keep_candidates=True, workers=2))
    seconds = time.perf_counter() - t0
    out = pair_metrics(truth, [res.clusters[str(i)] for i in ids])
    # pairs completeness: share of true pairs among the blocking candidates
    ent = {str(rid): e for rid, e in zip(ids, truth, strict=True)}
    cand = res.candidates
    hits = (
        sum(ent[res.ids[a]] == ent[res.ids[b]] for a, b in cand.tolist()) if cand is not None else 0
    )
    out.update(
        seconds=seconds,
        candidates=res.stats["candidate_pairs"],
        pairs_completeness=hits / out["true_pairs"] if out["true_pairs"] else 1.0,
    )
    return out


def basic_clean(df: object, flavour: str) -> object:
    """The minimal pandas prep a Splink user would write (not our normalizers): digits
    of phones (last 11 / 10), trimmed lower-case e-mails and names, no spaces in
    Chinese names."""
    df = df.copy()  # type: ignore[attr-defined]
    phone = "mobile" if flavour == "zh" else "phone"
    digits = df[phone].str.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    df[phone] = digits.str.replace(r"\D", "", regex=True).str[-11 if flavour == "zh" else -10 :]
    df["email"] = df["email"].str.strip().str.lower()
    df["name"] = df["name"].str.strip().str.lower()
    if flavour == "zh":
        df["name"] = df["name"].str.replace(" ", "", regex=False)
    return df.replace({"": None})


def run_splink(path: str, flavour: str, clean: bool = False) -> dict[str, object]:
    import logging

    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.disable(logging.WARNING)
    df = pd.read_csv(path, dtype=str, keep_default_na=False).replace({"": None})
    t0 = time.perf_counter()
    if clean:
        df = basic_clean(df, flavour)
    if flavour == "zh":
        comparisons = [
            cl.JaroWinklerAtThresholds("name", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.LevenshteinAtThresholds("mobile", [1, 2]),
            cl.EmailComparison("email"),
            cl.JaroWinklerAtThresholds("company_name", [0.9, 0.8]),
            cl.ExactMatch("province"),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("district"),
            cl.LevenshteinAtThresholds("address", [2, 5]),
        ]
        rules = [
            block_on("mobile"),
            block_on("email"),
            block_on("name", "city"),
            block_on("name", "district"),
            block_on("address"),
        ]
        em_rules = [block_on("mobile"), block_on("name")]
    else:
        comparisons = [
            cl.NameComparison("name").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("phone", [1, 2]),
            cl.EmailComparison("email"),
            cl.JaroWinklerAtThresholds("address", [0.92, 0.8]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode"),
            cl.LevenshteinAtThresholds("birth_date", [1, 2]),
        ]
        rules = [
            block_on("phone"),
            block_on("email"),
            block_on("name", "postcode"),
            block_on("name", "city"),
            block_on("address", "postcode"),
        ]
        em_rules = [block_on("phone"), block_on("name")]
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    linker = Linker(db.register(df.drop(columns=["entity"])), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("mobile" if flavour == "zh" else "phone", "name")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in em_rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except ValueError:  # Splink 5 rejects an m that underflows (seen at 1M rows)
            continue
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.95)
    cdf = clusters.as_pandas_dataframe()[["id", "cluster_id"]]
    seconds = time.perf_counter() - t0
    mapping = dict(zip(cdf["id"], cdf["cluster_id"].astype(str), strict=True))
    out = pair_metrics(df["entity"].tolist(), [mapping[i] for i in df["id"]])
    out.update(seconds=seconds)
    return out


# --- splink_expert: what a Splink expert would build for this data --------------------
# Cleaning with the libraries such an expert would reach for (opencc's character table,
# pypinyin, phonenumbers, cpca's administrative divisions, cleanco), here through the
# public normalizers in dedupe.normalize so that both sides see the same library work.
# The Splink model is hand-built (hierarchical levels, term frequencies, several EM
# sessions); nothing is fitted against the truth.

_US_STREET_TYPES = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "lane": "ln",
    "drive": "dr",
    "court": "ct",
    "place": "pl",
    "terrace": "ter",
    "circle": "cir",
    "highway": "hwy",
    "parkway": "pkwy",
    "square": "sq",
    "trail": "trl",
}
_STREET_TYPE = re.compile(r"\b(" + "|".join(_US_STREET_TYPES) + r")\b\.?")
_NOT_DIGIT = re.compile(r"\D")


def _map_unique(col: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """Apply fn once per distinct non-empty value (customer tables repeat values a lot)."""
    values = col.dropna().unique()
    return col.map(dict(zip(values, map(fn, values), strict=True)))


def _cn_phone(value: str) -> str | None:
    """E.164; an invalid number (a digit dropped) keeps its digits so that the
    Levenshtein level can still see it."""
    from dedupe.normalize import normalize_phone

    e164 = normalize_phone(value, "CN")
    if e164:
        return e164
    digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", value))
    digits = re.sub(r"^(?:0086|86)(?=1\d{9})", "", digits)
    return "+86" + digits if len(digits) >= 7 else None


def _en_name(value: str) -> str | None:
    """'Lee, Joseph' -> 'joseph lee'; lower-case, no accents or punctuation."""
    from dedupe.normalize import normalize_person_name

    if "," in value:
        last, _, first = value.partition(",")
        value = f"{first} {last}"
    return normalize_person_name(value)


def _en_address(value: str) -> str | None:
    text = " ".join(value.casefold().replace(",", " ").split())
    return _STREET_TYPE.sub(lambda m: _US_STREET_TYPES[m.group(1)], text) or None


def expert_clean(df: pd.DataFrame, flavour: str) -> pd.DataFrame:
    """Column preparation for splink_expert (zh: simplified names + pinyin, E.164 phones,
    company keys, addresses split into province / city / district / rest with canonical
    administrative names; en: the Latin equivalent)."""
    import pandas as pd

    from dedupe.normalize import (
        name_phonetic,
        normalize_company_name,
        normalize_date,
        normalize_email,
        normalize_person_name,
        normalize_phone,
        split_cn_address,
    )

    out = pd.DataFrame({"id": df["id"]})
    out["email"] = _map_unique(df["email"], normalize_email)
    if flavour == "zh":
        out["name"] = _map_unique(df["name"], normalize_person_name)
        out["name_pinyin"] = _map_unique(out["name"], name_phonetic)
        out["phone"] = _map_unique(df["mobile"], _cn_phone)
        out["company"] = _map_unique(df["company_name"], normalize_company_name)
        # the three region columns read together (北京 -> 北京市, 深圳 -> 广东省 深圳市),
        # then whatever they leave empty is taken from the parsed address
        region = df["province"].fillna("") + df["city"].fillna("") + df["district"].fillna("")
        given = _map_unique(region.replace({"": None}), split_cn_address)
        parsed = _map_unique(df["address"], split_cn_address)
        for i, col in enumerate(("province", "city", "district")):
            from_cols = given.map(lambda a, i=i: a[i], na_action="ignore")
            from_addr = parsed.map(lambda a, i=i: a[i], na_action="ignore")
            out[col] = from_cols.fillna(from_addr)
        out["address_rest"] = parsed.map(lambda a: a.rest or None, na_action="ignore")
        # 朝阳区 is in Beijing and in Changchun; one column so that the district level
        # can carry its own term frequencies
        out["locality"] = out["city"] + out["district"]
    else:
        out["name"] = _map_unique(df["name"], _en_name)
        parts = out["name"].str.split(" ")
        out["first_name"] = parts.str[0]
        out["surname"] = parts.str[-1].where(parts.str.len() > 1)
        out["phone"] = _map_unique(df["phone"], lambda v: normalize_phone(v, "US"))
        out["address"] = _map_unique(df["address"], _en_address)
        out["city"] = df["city"].str.strip().str.lower()
        out["postcode"] = df["postcode"].str.replace(r"\D", "", regex=True).str[:5]
        out["birth_date"] = _map_unique(df["birth_date"], normalize_date)
    out = out.replace({"": None})
    return out.astype(object).where(out.notna(), None)


class _ExpertModel(NamedTuple):
    comparisons: list[ComparisonCreator | dict[str, Any]]
    rules: list[BlockingRuleCreator | dict[str, Any]]  # blocking for predict()
    deterministic: list[str | BlockingRuleCreator]  # for the prior match probability
    em_rules: list[BlockingRuleCreator]  # one EM session each


def _expert_model(flavour: str) -> _ExpertModel:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import block_on

    if flavour == "zh":
        comparisons: list[ComparisonCreator | dict[str, Any]] = [
            # one hierarchical name comparison (name and pinyin are not independent):
            # exact (term frequency: 王伟 says less than 欧阳明轩), homophone (IME typo),
            # one character off, close pinyin
            cl.CustomComparison(
                [
                    cll.NullLevel("name"),
                    cll.ExactMatchLevel("name", term_frequency_adjustments=True),
                    cll.ExactMatchLevel("name_pinyin", term_frequency_adjustments=True),
                    cll.LevenshteinLevel("name", 1),
                    cll.JaroWinklerLevel("name_pinyin", 0.9),
                    cll.ElseLevel(),
                ],
                output_column_name="name",
            ),
            cl.LevenshteinAtThresholds("phone", [1]),
            cl.LevenshteinAtThresholds("email", [1, 2]),
            cl.JaroWinklerAtThresholds("company", [0.9]).configure(term_frequency_adjustments=True),
            cl.CustomComparison(
                [
                    cll.NullLevel("address_rest"),
                    cll.ExactMatchLevel("address_rest"),
                    cll.LevenshteinLevel("address_rest", 2),
                    cll.JaroWinklerLevel("address_rest", 0.88),
                    cll.ElseLevel(),
                ],
                output_column_name="address_rest",
            ),
            # one hierarchical region comparison, not three (district implies city)
            cl.CustomComparison(
                [
                    cll.NullLevel("city"),
                    cll.ExactMatchLevel("locality", term_frequency_adjustments=True),
                    cll.ExactMatchLevel("city", term_frequency_adjustments=True),
                    cll.ExactMatchLevel("province"),
                    cll.ElseLevel(),
                ],
                output_column_name="region",
            ),
        ]
        rules: list[BlockingRuleCreator | dict[str, Any]] = [
            block_on("phone"),
            block_on("email"),
            block_on("name_pinyin", "city"),
            block_on("name", "district"),
            block_on("company"),
            block_on("address_rest"),
        ]
        deterministic: list[str | BlockingRuleCreator] = [
            block_on("phone", "name_pinyin"),
            block_on("email"),
        ]
        em_rules: list[BlockingRuleCreator] = [
            block_on("phone"),
            block_on("name_pinyin", "city"),
            block_on("email"),
        ]
    else:
        comparisons = [
            cl.ForenameSurnameComparison(
                "first_name", "surname", forename_surname_concat_col_name="name"
            ),
            cl.LevenshteinAtThresholds("phone", [1]),
            cl.LevenshteinAtThresholds("email", [1, 2]),
            cl.CustomComparison(
                [
                    cll.NullLevel("address"),
                    cll.ExactMatchLevel("address"),
                    cll.LevenshteinLevel("address", 2),
                    cll.JaroWinklerLevel("address", 0.88),
                    cll.ElseLevel(),
                ],
                output_column_name="address",
            ),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
        ]
        rules = [
            block_on("phone"),
            block_on("email"),
            block_on("name", "city"),
            block_on("surname", "postcode"),
            block_on("surname", "birth_date"),
            block_on("first_name", "birth_date"),
            block_on("address"),
        ]
        deterministic = [block_on("phone", "surname"), block_on("email")]
        em_rules = [block_on("phone"), block_on("name"), block_on("email")]
    return _ExpertModel(comparisons, rules, deterministic, em_rules)


def run_splink_expert(path: str, flavour: str) -> dict[str, object]:
    import logging

    import pandas as pd
    from splink import DuckDBAPI, Linker, SettingsCreator

    logging.disable(logging.WARNING)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False).replace({"": None})
    truth = raw["entity"].tolist()
    raw = raw.drop(columns=["entity"])
    t0 = time.perf_counter()
    df = expert_clean(raw, flavour)
    model = _expert_model(flavour)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="id",
        comparisons=model.comparisons,
        blocking_rules_to_generate_predictions=model.rules,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(DuckDBAPI().register(df), settings, log_level=None)
    # recall 0.7: the usual guess for "same phone and name, or same e-mail" on CRM data
    # where a phone is missing or outdated in a good share of the records
    linker.training.estimate_probability_two_random_records_match(model.deterministic, recall=0.7)
    # 1e6 pairs as for the other Splink engines: same training budget, so only the
    # cleaning and the model differ (5e6 gave the same clusters on the 10k files, 2-3x slower)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in model.em_rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except ValueError:  # Splink 5 rejects an m that underflows
            continue
    pred = linker.inference.predict(threshold_match_probability=0.5)
    # 0.95, chosen once and not tuned: the cut the other Splink engines and our
    # auto-merge use, so only the cleaning and the model differ between them
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.95)
    cdf = clusters.as_pandas_dataframe()[["id", "cluster_id"]]
    seconds = time.perf_counter() - t0
    mapping = dict(zip(cdf["id"], cdf["cluster_id"].astype(str), strict=True))
    out: dict[str, object] = {**pair_metrics(truth, [mapping[i] for i in raw["id"]])}
    out.update(seconds=seconds)
    return out


def worker(engine: str, path: str, flavour: str) -> None:
    if engine == "ours":
        result = run_ours(path, flavour)
    elif engine == "splink_expert":
        result = run_splink_expert(path, flavour)
    else:
        result = run_splink(path, flavour, clean=engine == "splink_clean")
    print(json.dumps(result))


def measure(engine: str, path: str, flavour: str) -> dict[str, object]:
    """Run one engine in a fresh process; add its peak RSS in MB."""
    cmd = [sys.executable, __file__, "--worker", engine, "--file", path, "--flavour", flavour]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{engine} failed on {path}:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux: KiB
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flavour", choices=["zh", "en"], default="zh")
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", nargs="+", default=["ours", "splink", "splink_clean"])
    ap.add_argument("--data-dir", default="/tmp/chub-bench")
    ap.add_argument("--worker")
    ap.add_argument("--file")
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.file, args.flavour)
        return
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    for rows in args.rows:
        path = f"{args.data_dir}/{args.flavour}_{rows}.csv"
        if not Path(path).exists():
            write_csv(generate(rows, args.flavour), path, args.flavour)
        summary: dict[str, dict[str, float]] = {}
        for engine in args.engines:
            runs = [measure(engine, path, args.flavour) for _ in range(args.repeat)]
            med = {
                k: statistics.median(float(r[k]) for r in runs)
                for k in runs[0]
                if isinstance(runs[0][k], int | float)
            }
            summary[engine] = med
            print(
                f"{args.flavour} {rows:>8} {engine:13} "
                + " ".join(f"{k}={v:.4f}" if v < 100 else f"{k}={v:.0f}" for k, v in med.items()),
                flush=True,
            )
        for other in ("splink", "splink_clean", "splink_expert"):
            if "ours" in summary and other in summary:
                o, s = summary["ours"], summary[other]
                print(
                    f"{args.flavour} {rows:>8} ours/{other}: "
                    f"time={o['seconds'] / s['seconds']:.3f} "
                    f"mem={o['peak_mb'] / s['peak_mb']:.3f} dF1={o['f1'] - s['f1']:+.4f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
