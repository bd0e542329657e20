"""`chub demo` end to end: the whole graph against the stand-ins, twice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from integration.demo.run import run_demo


def _number(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in summary:\n{text}"
    return int(match.group(1))


@pytest.mark.slow
def test_demo_runs_end_to_end_and_a_second_run_pushes_nothing(tmp_path: Path) -> None:
    lines: list[str] = []
    first = run_demo(workdir=tmp_path, people=300, say=lines.append)
    assert "the run did not finish cleanly" not in first, "\n".join(lines)
    for source in ("wecom", "erp", "marketing", "callcenter"):
        assert _number(rf"{source}\s+(\d+)", first) > 0
    assert _number(r"(\d+) quarantined", first) > 0
    golden = _number(r"golden customers: (\d+)", first)
    assert 250 <= golden <= 320  # 300 real customers, a few unmatched leftovers at most
    assert _number(r"auto-merged pairs: (\d+)", first) > 0
    assert _number(r"records pushed this run: crm (\d+)", first) == golden
    # write-back into the silos: every golden record with a WeCom / ERP member
    assert 0 < _number(r"wecom_writeback (\d+)", first) < golden
    assert 0 < _number(r"erp_writeback (\d+)", first) < golden
    assert any("running the asset graph" in line for line in lines)  # progress was shown

    second = run_demo(workdir=tmp_path, people=300, say=lines.append)
    assert "records pushed this run: 0" in second
    assert _number(r"golden customers: (\d+)", second) == golden
