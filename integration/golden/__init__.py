"""The golden record: survivorship with lineage (``survivorship``), the 360° facts
(``facts``), the build with its version history and events (``build``), and the
steward's view of one record (``view``)."""

from integration.golden.build import GoldenReport, build_golden, content_hash
from integration.golden.facts import Event, compute_facts
from integration.golden.survivorship import Member, Survived, survive

__all__ = [
    "Event",
    "GoldenReport",
    "Member",
    "Survived",
    "build_golden",
    "compute_facts",
    "content_hash",
    "survive",
]
