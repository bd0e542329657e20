"""The ``serve:`` section of chub.yaml (chub serve): where it listens and the API's limits.

```yaml
serve:
  host: 127.0.0.1        # chub serve --host overrides it
  port: 8780             # chub serve --port overrides it
  limits:
    feed_page: 1000      # most events one change-feed page may ask for
    search_page: 100     # most golden records one search page may ask for
    body_bytes: 65536    # larger request bodies are refused (413)
    url_chars: 4096      # longer request targets (path and query) are refused (414)
  search_refresh_seconds: 5   # how often the search keys catch up with the change feed
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ApiLimits", "ServeSettings"]


class ApiLimits(BaseModel):
    """Hard bounds of the golden-record API: a request beyond one is refused in words."""

    model_config = ConfigDict(extra="forbid")

    feed_page: int = Field(default=1000, ge=1, le=10_000)
    search_page: int = Field(default=100, ge=1, le=1000)
    body_bytes: int = Field(default=65_536, ge=1024, le=10 * 1024 * 1024)
    url_chars: int = Field(default=4096, ge=256, le=65_536)


class ServeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8780, ge=1, le=65_535)
    limits: ApiLimits = ApiLimits()
    search_refresh_seconds: float = Field(default=5.0, gt=0, le=3600)
