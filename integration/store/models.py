"""The hub store: typed SQLAlchemy 2 models of the tables in docs/architecture.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

__all__ = [
    "ActivityRow",
    "ApiToken",
    "AppSession",
    "AppUser",
    "AuditLog",
    "Base",
    "CallbackInbox",
    "CallbackNonce",
    "GoldenHistory",
    "GoldenSearchKey",
    "IdentityEvent",
    "SearchIndexState",
    "MatchingState",
    "CustomerRow",
    "Decision",
    "GoldenCustomer",
    "GoldenMember",
    "HubRun",
    "MatchPair",
    "Outbound",
    "QualityRun",
    "SourceRecord",
    "SyncState",
    "utcnow",
]


#: the writing transaction's id as a number (PostgreSQL 13+); see IdentityEvent.txid
PG_CURRENT_TXID = text("(pg_current_xact_id()::text::bigint)")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time in UTC: SQLite gives naive datetimes (stored as UTC), PostgreSQL
    aware ones in the session's zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class SourceRecord(Base):
    """A record seen in a source, raw, with the history of its payload hash."""

    __tablename__ = "source_record"
    __table_args__ = (UniqueConstraint("source", "stream", "source_key", name="uq_source_record"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    raw_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    payload_hash: Mapped[str] = mapped_column(String(64))
    hash_history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SyncState(Base):
    """The cursor of one source stream, written in the same transaction as its records."""

    __tablename__ = "sync_state"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text, nullable=True)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class CustomerRow(Base):
    """The standardized customer view of one source record."""

    __tablename__ = "customer_row"
    __table_args__ = (Index("ix_customer_row_source", "source", "verdict"),)

    id: Mapped[int] = mapped_column(ForeignKey("source_record.id"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(255))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: "ok" | "quarantined" | "overridden"
    verdict: Mapped[str] = mapped_column(String(16), default="ok")
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: payload hash this row was derived from: unchanged records are not re-standardized
    record_hash: Mapped[str] = mapped_column(String(64))
    #: admin corrections applied over the source's values
    corrections: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    verdict_history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ActivityRow(Base):
    """An order, call, ticket or campaign touch of a source record, for the 360° facts."""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_customer", "source", "customer_stream", "customer_key"),
        # the golden build finds the activities carrying a candidate's contacts (0009)
        Index("ix_activity_phone", "phone"),
        Index("ix_activity_email", "email"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("source_record.id"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))
    at: Mapped[str] = mapped_column(String(40))
    amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: ISO 4217 code of ``amount`` as the source says it (None: the hub's base currency)
    currency: Mapped[str | None] = mapped_column(String(8), nullable=True)
    #: an order's state in canonical words (open / done / cancelled / refunded), if known
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    customer_stream: Mapped[str | None] = mapped_column(String(64), nullable=True)
    customer_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    record_hash: Mapped[str] = mapped_column(String(64))


class MatchPair(Base):
    """A candidate pair worth remembering, with its score and per-field explanation."""

    __tablename__ = "match_pair"
    __table_args__ = (
        UniqueConstraint("left_id", "right_id", name="uq_match_pair"),
        Index("ix_match_pair_right", "right_id"),
        Index("ix_match_pair_status", "status", "score"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    left_id: Mapped[int] = mapped_column(ForeignKey("customer_row.id"))
    right_id: Mapped[int] = mapped_column(ForeignKey("customer_row.id"))
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: "auto" | "pending" | "merged" | "kept_apart"
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Decision(Base):
    """An admin action: append-only; becomes a must-link / cannot-link constraint."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    #: "merge" | "apart" | "split" | "override" | "correct"
    action: Mapped[str] = mapped_column(String(16))
    left_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    right_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    golden_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class GoldenCustomer(Base):
    """A real customer: the survivor of its cluster, with lineage and 360° facts."""

    __tablename__ = "golden_customer"

    golden_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: "active" | "retired" (merged into another, or left without members)
    status: Mapped[str] = mapped_column(String(16), default="active")
    #: the surviving golden id when this one was merged into another (followed to the end)
    merged_into: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    verdict: Mapped[str] = mapped_column(String(16), default="ok")
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GoldenMember(Base):
    """The crosswalk: which golden record a customer row belongs to."""

    __tablename__ = "golden_member"
    __table_args__ = (
        Index("ix_golden_member_golden", "golden_id"),
        Index("ix_golden_member_key", "source", "stream", "source_key"),
        # the API looks a source id up without its stream (migration 0006)
        Index("ix_golden_member_source_key", "source", "source_key"),
    )

    row_id: Mapped[int] = mapped_column(ForeignKey("customer_row.id"), primary_key=True)
    golden_id: Mapped[str] = mapped_column(ForeignKey("golden_customer.golden_id"))
    source: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(255))


class Outbound(Base):
    """What was last pushed to a sink for a golden record: change detection and dead letters."""

    __tablename__ = "outbound"

    sink: Mapped[str] = mapped_column(String(64), primary_key=True)
    golden_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: "ok" | "failed" (retryable, tried again next run) | "dead" (needs a person)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class QualityRun(Base):
    """One validation of one suite on one batch, with its statistics (for scorecards)."""

    __tablename__ = "quality_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    suite: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)
    evaluated: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scorecard: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AppUser(Base):
    """A review-app user."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: "admin" | "steward" | "viewer"
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdentityEvent(Base):
    """A change of identity: the change feed reads this table in id order.

    kind: "created" | "changed" | "joined" | "left" | "merged" | "split" | "retired".
    cause: "engine" | "decision" | "deletion" | "source" | "refit".
    """

    __tablename__ = "identity_event"
    __table_args__ = (
        Index("ix_identity_event_golden", "golden_id"),
        Index("ix_identity_event_txid", "txid", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    golden_id: Mapped[str] = mapped_column(String(32))
    #: merged: the surviving id; split: the id the split-off part got
    other_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: joined / left: the member (customer_row id and its source:stream:key)
    row_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    member_ref: Mapped[str | None] = mapped_column(String(400), nullable=True)
    cause: Mapped[str] = mapped_column(String(16), default="engine")
    decision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: PostgreSQL: the writing transaction's id (set by the database, migration 0005), so
    #: the change feed hands out only events of finished transactions (integration/event_feed.py);
    #: None on SQLite, whose one writer at a time commits ids in order
    txid: Mapped[int | None] = mapped_column(
        BigInteger, nullable=True, server_default=PG_CURRENT_TXID
    )


class GoldenSearchKey(Base):
    """What the API's search finds a golden record by: one row per normalized key (a name
    and its pinyin, a phone, an e-mail, a company), kept by integration/web/api/index.py."""

    __tablename__ = "golden_search_key"
    __table_args__ = (
        Index("ix_golden_search_key", "kind", "key", "golden_id"),
        Index("ix_golden_search_key_golden", "golden_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    golden_id: Mapped[str] = mapped_column(String(32))
    #: "name" | "phone" | "email" | "company"
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(255))


class SearchIndexState(Base):
    """How far the search keys follow the change feed (one row, name "golden")."""

    __tablename__ = "search_index_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: the change-feed cursor the keys are current up to
    cursor: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GoldenHistory(Base):
    """An earlier version of a golden record, as it was."""

    __tablename__ = "golden_history"
    __table_args__ = (UniqueConstraint("golden_id", "version", name="uq_golden_history"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    golden_id: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="active")
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    valid_to: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MatchingState(Base):
    """What the engine needs to place new records without re-learning: the fitted model,
    term-frequency tables, prepared records. One row per named part; `blob` is opaque
    to the hub (the engine serializes it), `meta` is for people (fitted when, on what)."""

    __tablename__ = "matching_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @classmethod
    def put(cls, session: Session, name: str, blob: bytes, meta: dict[str, Any]) -> None:
        """Write the part `name`: a new row at version 1, else its next version."""
        row = session.get(cls, name)
        if row is None:
            session.add(cls(name=name, version=1, blob=blob, meta=meta))
        else:
            row.blob, row.meta, row.updated_at = blob, meta, utcnow()
            row.version = (row.version or 0) + 1


class ApiToken(Base):
    """A golden-record API client: only a hash of the token is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AppSession(Base):
    """A review-app login session (the cookie carries only `token`'s random value)."""

    __tablename__ = "app_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    csrf_token: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditLog(Base):
    """Append-only: every decision, every reveal of personal data, every token use with it."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: "user" | "token" | "cli" | "system"
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(400), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CallbackNonce(Base):
    """Nonces of accepted callbacks, kept for the freshness window: a replay is refused."""

    __tablename__ = "callback_nonce"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CallbackInbox(Base):
    """A callback event acknowledged and queued durably; a worker lands it."""

    __tablename__ = "callback_inbox"
    __table_args__ = (
        UniqueConstraint("source", "event_key", name="uq_callback_inbox"),
        Index("ix_callback_inbox_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    #: what makes a re-delivery the same event (e.g. change type + ids + CreateTime)
    event_key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: "queued" | "done" | "failed"
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class HubRun(Base):
    """One sync of a source or one run of a job, for ``chub status`` and the alerts."""

    __tablename__ = "hub_run"
    __table_args__ = (Index("ix_hub_run_kind_name", "kind", "name", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: "sync" (one source) | "job" (a run of the asset graph or part of it)
    kind: Mapped[str] = mapped_column(String(16))
    #: the source name, or the job name
    name: Mapped[str] = mapped_column(String(128))
    #: the Dagster run id, when Dagster ran it
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: "running" | "success" | "failure"
    status: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the counts of the run (records landed, flagged, ...)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
