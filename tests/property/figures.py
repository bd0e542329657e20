"""Hypothesis settings of the property suite and the figures it reports.

Every property counts what it tried (examples, input records) and what went wrong
(crashes, records lost, records landed twice) in :data:`FIGURES`; the session prints
them in the terminal summary, and writes them as JSON to ``CHUB_PROPERTY_FIGURES`` when
that is set (``bench/property_figures.py`` reads them).

``CHUB_PROPERTY_EXAMPLES`` sets ``max_examples`` per property (default 10, sized so the
folder runs in about a minute per database); ``CHUB_PROPERTY_SEED`` runs a random
exploration with that seed instead of the derandomized default CI runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from hypothesis import HealthCheck, seed, settings

EXAMPLES = int(os.environ.get("CHUB_PROPERTY_EXAMPLES", "10"))
_SEED = os.environ.get("CHUB_PROPERTY_SEED")

#: the settings of every property here (a decorator, not a loaded profile: a profile would
#: change the other hypothesis users of the session, such as the API fuzz)
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # reproducible in CI: the same examples every run, nothing kept between runs
    derandomize=_SEED is None,
    database=None,
    # each example works in a source of its own in the test's one hub, so sharing the
    # function-scoped hub fixture between examples is what is wanted
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
    print_blob=True,
)


@dataclass
class Figures:
    examples: int = 0
    inputs: int = 0
    crashes: int = 0
    lost: int = 0
    duplicated: int = 0


#: property name -> its figures, for the whole session
FIGURES: dict[str, Figures] = {}


@contextmanager
def tally(prop: str, inputs: int) -> Iterator[Figures]:
    """Count one example of ``prop`` with ``inputs`` input records; an exception escaping
    the block is a crash (and still fails the test)."""
    figures = FIGURES.setdefault(prop, Figures())
    figures.examples += 1
    figures.inputs += inputs
    try:
        yield figures
    except AssertionError:
        raise
    except Exception:
        figures.crashes += 1
        raise


def explore(test):  # type: ignore[no-untyped-def]
    """The property settings, and the seed when ``CHUB_PROPERTY_SEED`` asks for one."""
    test = PROPERTY(test)
    return seed(int(_SEED))(test) if _SEED is not None else test


def backend() -> str:
    url = os.environ.get("CHUB_TEST_DATABASE_URL", "")
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def write_figures(target: str) -> None:
    body: dict[str, object] = {"backend": backend(), "examples_per_property": EXAMPLES}
    body["seed"] = _SEED
    body["properties"] = {name: asdict(f) for name, f in sorted(FIGURES.items())}
    with open(target, "w", encoding="utf-8") as out:
        json.dump(body, out, indent=2)
