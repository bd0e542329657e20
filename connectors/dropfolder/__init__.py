"""Drop folder: CSV/XLSX exports (form leads, event sign-ups) with a configurable mapping."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from connectors.dropfolder.mapping import ALLOWED_COLUMNS
from connectors.dropfolder.source import DropFolderSource

__all__ = ["DropFolderSource", "Settings", "build_source"]


class Settings(BaseModel):
    """The ``type: dropfolder`` section of chub.yaml."""

    model_config = ConfigDict(extra="forbid")

    #: the folder; a relative path is relative to chub.yaml's folder. It must exist when
    #: chub.yaml is loaded, so a typo is a configuration error, not a failed sync later
    path: str
    #: glob(s) relative to ``path``
    pattern: str | list[str] = Field(default_factory=lambda: ["*.csv", "*.xlsx"])
    #: canonical field (or submitted_at/channel/campaign) -> header in the file;
    #: empty: the headers are the canonical names
    columns: dict[str, str] = Field(default_factory=dict)
    #: header whose value identifies a row across re-exports; default: the row's content
    key_column: str | None = None
    #: "auto" (per line: UTF-8, then GB18030; a UTF-8 or UTF-16 BOM decides for the whole
    #: file) or a Python codec name
    encoding: str = "auto"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    #: XLSX sheet name; default the first sheet
    sheet: str | None = None
    #: customer_type for rows that do not say
    customer_type: Literal["person", "company"] | None = None
    page_size: int = Field(default=500, ge=1)
    #: skip files modified less than this many seconds ago (still being copied in)
    settle_seconds: float = Field(default=0.0, ge=0)

    @field_validator("path")
    @classmethod
    def _existing_folder(cls, value: str, info: ValidationInfo) -> str:
        folder = Path(value).expanduser()
        base_dir = (info.context or {}).get("base_dir")
        if not folder.is_absolute() and base_dir:
            folder = Path(base_dir) / folder
        if not folder.exists():
            raise ValueError(f"folder {str(folder)!r} does not exist")
        if not folder.is_dir():
            raise ValueError(f"{str(folder)!r} is not a folder")
        return str(folder)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(
                    f"unknown encoding {value!r} (use auto or a codec name such as gbk)"
                ) from None
        return value

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
