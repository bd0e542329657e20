"""Fixtures for the matching-engine tests: small generated data sets with known truth."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from gen_data import EN_SPEC, ZH_SPEC, generate  # noqa: E402

from dedupe import MatchSpec  # noqa: E402


@pytest.fixture(scope="session")
def zh_rows() -> list[dict[str, str]]:
    return generate(1500, "zh", seed=11)


@pytest.fixture(scope="session")
def en_rows() -> list[dict[str, str]]:
    return generate(1500, "en", seed=11)


@pytest.fixture(scope="session")
def zh_spec() -> MatchSpec:
    return MatchSpec.from_dict(ZH_SPEC)


@pytest.fixture(scope="session")
def en_spec() -> MatchSpec:
    return MatchSpec.from_dict(EN_SPEC)
