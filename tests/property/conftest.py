"""Reports the property suite's figures (see :mod:`tests.property.figures`)."""

from __future__ import annotations

import os

import pytest

from tests.property.figures import EXAMPLES, FIGURES, Figures, backend, write_figures


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("CHUB_PROPERTY_FIGURES")
    if target and FIGURES:
        write_figures(target)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if not FIGURES:
        return
    terminalreporter.section(f"property figures ({backend()}, max_examples {EXAMPLES})")
    total = Figures()
    for name, f in sorted(FIGURES.items()):
        terminalreporter.write_line(
            f"{name:<34} examples {f.examples:>5}  inputs {f.inputs:>7}  crashes {f.crashes}"
            f"  lost {f.lost}  duplicated {f.duplicated}"
        )
        for key in ("examples", "inputs", "crashes", "lost", "duplicated"):
            setattr(total, key, getattr(total, key) + getattr(f, key))
    terminalreporter.write_line(
        f"{'total':<34} examples {total.examples:>5}  inputs {total.inputs:>7}  crashes "
        f"{total.crashes}  lost {total.lost}  duplicated {total.duplicated}"
    )
