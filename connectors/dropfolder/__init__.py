"""Drop folder: CSV/XLSX exports (form leads, event sign-ups) with a configurable mapping."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.dropfolder.mapping import ALLOWED_COLUMNS
from connectors.dropfolder.source import DropFolderSource

__all__ = ["DropFolderSource", "Settings", "build_source"]


class Settings(BaseModel):
    """The ``type: dropfolder`` section of chub.yaml."""

    model_config = ConfigDict(extra="forbid")

    path: str
    #: glob(s) relative to ``path``
    pattern: str | list[str] = Field(default_factory=lambda: ["*.csv", "*.xlsx"])
    #: canonical field (or submitted_at/channel/campaign) -> header in the file;
    #: empty: the headers are the canonical names
    columns: dict[str, str] = Field(default_factory=dict)
    #: header whose value identifies a row across re-exports; default ``<file>#<row>``
    key_column: str | None = None
    #: "auto" (UTF-8, UTF-8 BOM, UTF-16 BOM, then GB18030) or a Python codec name
    encoding: str = "auto"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    #: XLSX sheet name; default the first sheet
    sheet: str | None = None
    #: customer_type for rows that do not say
    customer_type: Literal["person", "company"] | None = None
    page_size: int = Field(default=500, ge=1)
    #: skip files modified less than this many seconds ago (still being copied in)
    settle_seconds: float = Field(default=0.0, ge=0)

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - ALLOWED_COLUMNS)
        if unknown:
            raise ValueError(
                f"unknown canonical field(s) {unknown}; known: {sorted(ALLOWED_COLUMNS)}"
            )
        return columns


def build_source(settings: Settings) -> DropFolderSource:
    return DropFolderSource(settings)
