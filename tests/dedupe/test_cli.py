"""The `chub dedupe` contract, through dedupe.cli.run_dedupe and `python -m dedupe`."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dedupe import DedupeInputError
from dedupe.cli import _read_header, _read_python, read_columns, run_dedupe
from dedupe.columns import CodedColumn
from dedupe.spec import MatchSpec

ROOT = Path(__file__).resolve().parents[2]
SPEC = "id: rid\nfields:\n  name: person_name\n  mobile: phone\n  email: email\n"
ROWS = [
    "rid,name,mobile,email,ignored",
    "r3,张伟,+86 138-0013-8000,zw@a.com,x",
    "r1,張偉,13800138000,,y",
    "r2,李娜,13900000000,ln@b.com,z",
    "r4,章伟,0086 13800138000,ZW@A.COM,",
]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "in.csv").write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    return {
        k: str(tmp_path / v)
        for k, v in (
            ("input", "in.csv"),
            ("spec", "spec.yaml"),
            ("out", "out.csv"),
            ("pairs", "pairs.csv"),
            ("dir", "."),
        )
    }


def test_outputs(files: dict[str, str]) -> None:
    messages: list[str] = []
    summary = run_dedupe(
        files["input"], files["spec"], files["out"], files["pairs"], progress=messages.append
    )
    assert "4 records -> 2 clusters" in summary and "\n" not in summary
    assert messages and "read 4 rows" in messages[0]
    with open(files["out"], encoding="utf-8") as fh:
        out = list(csv.reader(fh))
    assert out[0] == ["rid", "cluster_id"]
    assert [r[0] for r in out[1:]] == ["r3", "r1", "r2", "r4"]  # input order
    cid = {r[0]: r[1] for r in out[1:]}
    assert cid["r1"] == cid["r3"] == cid["r4"] != cid["r2"]
    with open(files["pairs"], encoding="utf-8") as fh:
        pairs = list(csv.DictReader(fh))
    assert list(pairs[0]) == ["id_l", "id_r", "probability", "decision", "explanation"]
    assert all(float(p["probability"]) >= 0.6 for p in pairs)
    expl = json.loads(pairs[0]["explanation"])
    assert set(expl["name"]) == {"level", "weight"}


def _write(path: str, text: str | bytes) -> None:
    Path(path).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


@pytest.mark.parametrize(
    ("input_text", "spec_text", "words"),
    [
        ("rid,name\nr1,a\n", SPEC, "no column 'mobile', 'email'"),
        (None, "id: rid\nfields:\n  name: nickname\n", "unknown type 'nickname'"),
        ("rid,name,mobile,email\nr1,a,,\nr1,b,,\n", SPEC, "Duplicate id 'r1'"),
        ("rid,name,mobile,email\n,a,,\n", SPEC, "empty id"),
        (b"", SPEC, "empty"),
        ("rid,name,mobile,email\nr1,\xff\xfe,,\n".encode("latin-1"), SPEC, "not UTF-8"),
    ],
)
def test_user_mistakes(files: dict[str, str], input_text, spec_text, words) -> None:  # type: ignore[no-untyped-def]
    if input_text is not None:
        _write(files["input"], input_text)
    _write(files["spec"], spec_text)
    with pytest.raises(DedupeInputError, match=words):
        run_dedupe(files["input"], files["spec"], files["out"], None)


def test_unreadable_files(files: dict[str, str]) -> None:
    with pytest.raises(DedupeInputError, match="does not exist"):
        run_dedupe(files["input"] + ".nope", files["spec"], files["out"], None)
    with pytest.raises(DedupeInputError, match="Cannot read"):
        run_dedupe(files["dir"], files["spec"], files["out"], None)
    with pytest.raises(DedupeInputError, match="Cannot read spec"):
        run_dedupe(files["input"], files["spec"] + ".nope", files["out"], None)


TRICKY = (
    "\ufeffrid, name ,mobile,email,note\n"  # a BOM and padded header cells
    'r2,"Smith,\n John", 138 0013 8000 ,,"x"\n'  # a quoted comma and line break
    "r1,  ,13800138000,a@b.com,y\n"  # a blank cell is missing
    "\n"  # a blank line is no row
    "r3,李娜,,A@B.com,\n"
    "r4,李娜,,,\n"
)


def test_arrow_reader_reads_what_the_python_reader_reads(files: dict[str, str]) -> None:
    _write(files["input"], TRICKY)
    spec = MatchSpec.from_dict(
        {"id": "rid", "fields": {"name": "person_name", "mobile": "phone", "email": "email"}}
    )
    cols = read_columns(files["input"], spec)
    assert isinstance(cols["name"], CodedColumn)  # Arrow took the file
    slow = _read_python(files["input"], _read_header(files["input"]), [spec.id, *spec.fields])
    assert {k: list(v) for k, v in cols.items()} == slow
    assert slow["rid"] == ["r2", "r1", "r3", "r4"]
    assert slow["name"] == ["Smith,\n John", None, "李娜", "李娜"]
    assert slow["mobile"][0] == "138 0013 8000"


def test_ragged_rows_fall_back_to_the_python_reader(files: dict[str, str]) -> None:
    # Arrow refuses rows with fewer cells than the header; a short row's missing
    # cells are empty, as before
    _write(files["input"], "rid,name,mobile,email\nr1,张伟\nr2,张伟,13800138000,a@b.com\n")
    out = run_dedupe(files["input"], files["spec"], files["out"], None)
    assert out.startswith("2 records -> ")


def _module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dedupe", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_python_m_dedupe_prints_one_line(files: dict[str, str]) -> None:
    done = _module(
        files["input"], "--spec", files["spec"], "--out", files["out"], "--pairs", files["pairs"]
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "clusters" in done.stdout


def test_python_m_dedupe_error_without_traceback(files: dict[str, str]) -> None:
    _write(files["spec"], "id: rid\nfields:\n  name: nickname\n")
    done = _module(files["input"], "--spec", files["spec"], "--out", files["out"])
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_ids_that_need_quotes_are_quoted(files: dict[str, str]) -> None:
    _write(
        files["input"], 'rid,name,mobile,email\n"a,1",张伟,13800138000,\n"b""2",张伟,13800138000,\n'
    )
    run_dedupe(files["input"], files["spec"], files["out"], None)
    with open(files["out"], encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows] == ["rid", "a,1", 'b"2'] and rows[1][1] == rows[2][1]


def test_previous_clusters_keep_their_ids(files: dict[str, str], tmp_path: Path) -> None:
    first = str(tmp_path / "first.csv")
    run_dedupe(files["input"], files["spec"], first, None)
    with open(first, encoding="utf-8") as fh:
        old = {r["rid"]: r["cluster_id"] for r in csv.DictReader(fh)}
    # a week later: r1 is gone and r0 (an id that sorts first) is the same person as
    # r3; a fresh run would name the cluster after r0, --previous keeps its id
    rows = [r for r in ROWS if not r.startswith("r1,")]
    rows.append("r0,张伟,13800138000,zw@a.com,")
    _write(files["input"], "\n".join(rows) + "\n")
    fresh = run_dedupe(files["input"], files["spec"], str(tmp_path / "fresh.csv"), None)
    summary = run_dedupe(files["input"], files["spec"], files["out"], None, previous_path=first)
    with open(files["out"], encoding="utf-8") as fh:
        new = {r["rid"]: r["cluster_id"] for r in csv.DictReader(fh)}
    assert new["r0"] == new["r3"] == new["r4"] == old["r3"] and new["r2"] == old["r2"]
    assert "ids kept from the previous run (joined 1, left 1)" in summary
    assert "ids kept" not in fresh
    with open(tmp_path / "fresh.csv", encoding="utf-8") as fh:
        assert {r["rid"]: r["cluster_id"] for r in csv.DictReader(fh)}["r0"] != old["r3"]


def test_previous_file_without_cluster_ids_is_a_clear_error(files: dict[str, str]) -> None:
    with pytest.raises(DedupeInputError, match="needs the columns 'rid' and 'cluster_id'"):
        run_dedupe(files["input"], files["spec"], files["out"], None, previous_path=files["input"])
    with pytest.raises(DedupeInputError, match="does not exist"):
        run_dedupe(files["input"], files["spec"], files["out"], None, previous_path="/nope.csv")
