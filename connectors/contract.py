"""The one small contract every connector speaks.

A *source* pulls pages of raw records from one stream with an opaque cursor; the hub
stores each page and the cursor that follows it in one transaction, so a crash between
pages never loses or double-lands a page. A *sink* pushes batches of golden records and
answers with one result per record. Each connector also maps its own raw payloads onto
the canonical customer (and, for activity streams, onto an activity), because only the
connector knows its system's field names.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

__all__ = [
    "CANONICAL_FIELDS",
    "Activity",
    "ConnectorError",
    "ConnectorConfigError",
    "AuthError",
    "TransientError",
    "ThrottledError",
    "RemoteError",
    "CustomerFields",
    "Mapped",
    "OutboundRecord",
    "Page",
    "PushResult",
    "RawRecord",
    "Sink",
    "Source",
    "StreamKind",
]


# ---------------------------------------------------------------- errors


class ConnectorError(Exception):
    """Base of every error a connector raises; the message is meant for a person."""


class ConnectorConfigError(ConnectorError):
    """The connector is configured wrongly (bad secret, corp id, URL): retrying cannot help."""


class AuthError(ConnectorConfigError):
    """The remote system refused our credentials."""


class TransientError(ConnectorError):
    """A timeout, connection error or 5xx that outlived the bounded retries."""


class ThrottledError(TransientError):
    """The remote system kept throttling us past the retry budget."""


class RemoteError(ConnectorError):
    """The remote system answered with an error we do not retry (validation, permission)."""

    def __init__(self, message: str, *, code: str | int | None = None) -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------- pulling

StreamKind = Literal["customer", "order", "touch"]


@dataclass(frozen=True)
class RawRecord:
    """One record as the source sent it.

    ``payload`` is None when the record could not be decoded; then ``raw_text`` keeps what
    arrived and ``problem`` says why, so the hub can land it flagged instead of dropping it.
    """

    key: str
    payload: dict[str, Any] | None
    deleted: bool = False
    problem: str | None = None
    raw_text: str | None = None


@dataclass(frozen=True)
class Page:
    """A page of records and the cursor to resume *after* it (None: stream exhausted/no cursor).

    ``scan_complete`` goes on the last page of a pull that listed, from the beginning,
    everything that exists in the stream (a full scan, as WeCom's API forces): the hub then
    tombstones the stream's records that this pull did not return, since the source
    deleted them.
    """

    records: Sequence[RawRecord]
    cursor: str | None
    scan_complete: bool = False


class CustomerFields(TypedDict, total=False):
    """Canonical customer fields as mapped from a source, *before* normalization.

    Every value is what the source says (a phone may be "+86 138-0013-8000"); the hub
    normalizes and checks afterwards. Missing means absent or empty in the source.
    """

    name: str
    customer_type: Literal["person", "company"]
    mobile: str
    phones: list[str]
    email: str
    company_name: str
    uscc: str  # 统一社会信用代码
    province: str
    city: str
    district: str
    address: str
    wecom_external_userid: str
    wechat_unionid: str
    owner: str
    tags: list[str]
    source_updated_at: str  # ISO-8601


CANONICAL_FIELDS: tuple[str, ...] = tuple(CustomerFields.__annotations__)


@dataclass(frozen=True)
class Activity:
    """Something a customer did: an order, a call, a ticket, a campaign touch.

    It is linked to a customer either by ``customer_key`` (the source key of a customer
    record in the *same source*, e.g. an ERP order's customer id) or by contact details
    (``phone`` / ``email``) that the hub matches against golden records.
    """

    kind: Literal["order", "call", "ticket", "campaign"]
    at: str  # ISO-8601
    channel: str
    customer_key: str | None = None
    customer_stream: str | None = None
    phone: str | None = None
    email: str | None = None
    amount: float | None = None
    currency: str | None = None
    agent: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapped:
    """What a raw payload means to the hub: a customer, an activity, or both."""

    customer: CustomerFields | None = None
    activity: Activity | None = None


@runtime_checkable
class Source(Protocol):
    """Pulls raw records from a system."""

    #: stream name -> what its records are about
    streams: dict[str, StreamKind]

    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        """Yield pages after ``cursor`` (None: from the beginning) until the stream is exhausted."""
        ...

    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        """Map one payload of ``stream`` onto the canonical customer and/or an activity.

        Raises ValueError with a readable reason when the payload cannot be understood.
        """
        ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- pushing


@dataclass(frozen=True)
class OutboundRecord:
    """A golden record to push; ``target_id`` is the id the target gave it last time, if any."""

    golden_id: str
    fields: dict[str, Any]
    target_id: str | None = None
    #: keys of the golden record's member records that came from this same system
    #: (write-back sinks update those records instead of creating new ones)
    source_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class PushResult:
    golden_id: str
    ok: bool
    target_id: str | None = None
    created: bool = False
    error: str | None = None
    retryable: bool = False


@runtime_checkable
class Sink(Protocol):
    """Pushes golden records to a system, idempotently (upsert by the golden id)."""

    #: the most records the target accepts in one request
    batch_size: int

    def push(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        """Push one batch (len <= batch_size); one result per record, in input order."""
        ...

    def close(self) -> None: ...
