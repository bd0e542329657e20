"""The response models of the golden-record API: what /openapi.json promises."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "ChangeEvent",
    "ChangePage",
    "FeedHead",
    "GoldenAnswer",
    "GoldenRecord",
    "GoldenSummary",
    "Health",
    "HistoryPage",
    "HistoryVersion",
    "LookupAnswer",
    "MemberId",
    "Problem",
    "ProblemItem",
    "SearchPage",
    "Status",
]


class ProblemItem(BaseModel):
    where: str = Field(description="the parameter or part of the request, e.g. query.limit")
    problem: str = Field(description="what is wrong with it, in words")


class Problem(BaseModel):
    """Every refusal (401, 404, 413, 414, 422, 503) has this body."""

    detail: str = Field(description="what went wrong, in one sentence")
    errors: list[ProblemItem] = Field(default_factory=list)


class MemberId(BaseModel):
    """A source record of a golden record: its source, stream and id in that source."""

    source: str
    stream: str
    id: str


class GoldenRecord(BaseModel):
    golden_id: str
    status: str = Field(description="active, or retired (merged into another, or left empty)")
    merged_into: str | None = Field(description="the survivor, once this id was merged")
    version: int = Field(description="moves up by one whenever the content changes")
    verdict: str = Field(description="ok, or quarantined by the golden quality suite")
    fields: dict[str, Any] = Field(
        description="the surviving values; mobiles and e-mails masked without the pii scope"
    )
    lineage: dict[str, Any] = Field(description="per field: which member and rule it came from")
    facts: dict[str, Any] = Field(description="the 360° facts: orders, revenue, last touch...")
    members: list[MemberId]
    created_at: datetime
    updated_at: datetime


class GoldenAnswer(BaseModel):
    requested_id: str = Field(description="the golden id that was asked for")
    golden_id: str = Field(description="the id it lives on as: itself, or its survivor")
    merged_into: str | None = Field(
        description="set when requested_id was merged: the surviving golden id (followed"
        " to the end of the chain); `record` is then the survivor's"
    )
    record: GoldenRecord


class LookupAnswer(BaseModel):
    source: str
    stream: str
    id: str
    golden_id: str = Field(description="the surviving golden record the source record is in")
    record: GoldenRecord


class HistoryVersion(BaseModel):
    version: int
    status: str
    fields: dict[str, Any]
    lineage: dict[str, Any]
    facts: dict[str, Any]
    run_id: str | None
    valid_from: datetime
    valid_to: datetime


class HistoryPage(BaseModel):
    golden_id: str
    versions: list[HistoryVersion] = Field(description="earlier versions, newest first")


class GoldenSummary(BaseModel):
    golden_id: str
    status: str
    version: int
    name: str | None
    company_name: str | None
    mobile: str | None
    email: str | None
    matched: str = Field(description="the normalized key the record was found by")


class SearchPage(BaseModel):
    by: str = Field(description="name, mobile, email or company")
    key: str = Field(description="the searched value, normalized as the matcher does")
    results: list[GoldenSummary]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: none")


class ChangeEvent(BaseModel):
    id: int = Field(description="the event's id (unique; the feed order is by cursor)")
    cursor: str = Field(description="the feed position just after this event")
    at: datetime
    kind: str = Field(description="created, changed, joined, left, merged, split, retired")
    golden_id: str
    other_id: str | None = Field(description="merged: the survivor; split: the new record")
    member_ref: str | None = Field(description="joined / left: source:stream:id of the member")
    cause: str = Field(description="engine, decision, deletion, source or refit")
    run_id: str | None
    decision_id: int | None
    detail: dict[str, Any]


class ChangePage(BaseModel):
    events: list[ChangeEvent]
    next_cursor: str = Field(description="pass as `cursor` to read on; unchanged when empty")
    more: bool = Field(description="true when more events are ready now")


class FeedHead(BaseModel):
    cursor: str = Field(description="the position after the newest final event")


class Health(BaseModel):
    status: str = Field(description="ok, or unavailable")
    database: str = Field(description="reachable, or why not")
    schema_current: bool


class Status(BaseModel):
    golden_active: int
    golden_retired: int
    members: int
    review_pending: int
    rows_quarantined: int
    events: int = Field(description="identity events recorded")
    last_event_at: datetime | None
    feed_head: str
    search_index_cursor: str | None = Field(description="null: the search keys are not built")
    search_index_current: bool
    outbound: dict[str, dict[str, int]] = Field(description="per sink: records per push status")
