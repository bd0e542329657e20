"""The ``landing:`` section of chub.yaml: bounds on what lands, the mass-deletion guard.

```yaml
landing:
  max_delete_share: 0.05        # a complete scan may tombstone at most 5 % of the live records
  deletes_always_allowed: 1     # ... or this many, whichever is more (small sources)
  max_record_chars: 1000000     # longer payloads (as JSON) or raw texts land cut and flagged
  lock_wait_seconds: 0          # how long a sync waits for another sync of the same source
  sources:                      # per-source overrides of the deletion guard
    wecom: {max_delete_share: 0.2}
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DeletionLimits", "LandingSettings", "SourceLanding"]


class SourceLanding(BaseModel):
    """Overrides for one source; an absent key takes the section's value."""

    model_config = ConfigDict(extra="forbid")

    max_delete_share: float | None = Field(default=None, ge=0, le=1)
    deletes_always_allowed: int | None = Field(default=None, ge=0)


class DeletionLimits(BaseModel):
    """The guard as it applies to one source."""

    max_delete_share: float
    deletes_always_allowed: int

    def refuses(self, gone: int, live: int) -> bool:
        """Would tombstoning ``gone`` of ``live`` records be too many?"""
        if gone <= self.deletes_always_allowed:
            return False
        return gone > self.max_delete_share * live


class LandingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: a complete scan that would tombstone more than this share of a stream's live records
    #: refuses: nothing is marked deleted and the sync fails with a message naming the count
    max_delete_share: float = Field(default=0.05, ge=0, le=1)
    #: so many deletions are always allowed, whatever the share (a source of 10 records
    #: losing one is 10 %, and normal)
    deletes_always_allowed: int = Field(default=1, ge=0)
    #: the longest payload (as JSON text) or raw text a record may land with; longer ones
    #: land cut to this length, raw and flagged
    max_record_chars: int = Field(default=1_000_000, ge=1000)
    #: seconds a sync waits for another sync of the same source to end (0: fail at once)
    lock_wait_seconds: float = Field(default=0.0, ge=0)
    sources: dict[str, SourceLanding] = Field(default_factory=dict)

    def deletion_limits(self, source: str) -> DeletionLimits:
        own = self.sources.get(source) or SourceLanding()
        return DeletionLimits(
            max_delete_share=(
                self.max_delete_share if own.max_delete_share is None else own.max_delete_share
            ),
            deletes_always_allowed=(
                self.deletes_always_allowed
                if own.deletes_always_allowed is None
                else own.deletes_always_allowed
            ),
        )
