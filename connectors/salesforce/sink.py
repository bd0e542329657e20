"""The Salesforce ``Sink``: upsert golden records as Accounts by an external id field.

A golden id merged into another is flagged (``Chub_Status__c`` = merged,
``Chub_Merged_Into__c`` = the survivor's golden id) in the same upsert, or deleted by its
Account Id (sObject Collections delete) when ``on_merge: delete``.

One sObject Collections request per batch (``PATCH .../composite/sobjects/Account/<ExtId>``,
``allOrNone: false``, at most 200 records). Upsert by external id is idempotent, so any
batch may be sent again (after a timeout, a lost answer, a throttle) without creating a
second Account. Results come back in input order and become one ``PushResult`` each.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from connectors.contract import (
    AuthError,
    ConnectorConfigError,
    OutboundRecord,
    PushResult,
    TransientError,
)
from connectors.salesforce.client import SalesforceClient, error_text
from connectors.salesforce.mapping import to_account

if TYPE_CHECKING:
    from connectors.salesforce import Settings

__all__ = ["SalesforceSink"]

log = logging.getLogger("connectors.salesforce")

#: per-item codes worth trying again later; everything else needs a data fix
RETRYABLE_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",
        "REQUEST_LIMIT_EXCEEDED",
        "SERVER_UNAVAILABLE",
        "REQUEST_RUNNING_TOO_LONG",
        "QUERY_TIMEOUT",
    }
)
MALFORMED_RETRIES = 3


class SalesforceSink:
    batch_size = 200

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.batch_size = settings.batch_size
        self._sleep = sleep
        self.client = SalesforceClient(
            settings.instance_url,
            access_token=settings.access_token,
            token_url=settings.token_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            timeout=settings.timeout,
            max_attempts=settings.max_attempts,
            throttle_wait=settings.throttle_wait,
            transport=transport,
            sleep=sleep,
        )
        s = settings
        self._path = (
            f"/services/data/{s.api_version}/composite/sobjects/{s.sobject}/{s.external_id_field}"
        )

    def close(self) -> None:
        self.client.close()

    def _deletes(self, record: OutboundRecord) -> bool:
        """A merged or retired golden id whose Account is deleted instead of flagged."""
        return (
            self.settings.on_merge == "delete"
            and record.fields.get("status") in ("merged", "retired")
            and bool(record.target_id)
        )

    def wire(self, record: OutboundRecord) -> dict[str, Any]:
        """What this sink sends for ``record`` (the hub hashes it to push only changes)."""
        if self._deletes(record):
            return {"delete": record.target_id}
        return to_account(record.fields, self.settings.field_map)

    def body(self, records: Sequence[OutboundRecord]) -> dict[str, Any]:
        s = self.settings
        return {
            "allOrNone": False,
            "records": [
                {
                    "attributes": {"type": s.sobject},
                    **to_account(r.fields, s.field_map),
                    s.external_id_field: r.golden_id,
                }
                for r in records
            ],
        }

    def push(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        if len(records) > self.batch_size:
            raise ValueError(f"salesforce takes at most {self.batch_size} records per push")
        deletes = [r for r in records if self._deletes(r)]
        upserts = [r for r in records if not self._deletes(r)]
        results = {r.golden_id: r for r in self._upsert(upserts)}
        results.update({r.golden_id: r for r in self._delete(deletes)})
        return [results[r.golden_id] for r in records]

    def _delete(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        """sObject Collections delete by Account Id; an Id already gone counts as deleted
        (a retry after a lost answer must not turn into a failure)."""
        if not records:
            return []
        ids = ",".join(str(r.target_id) for r in records)
        path = f"/services/data/{self.settings.api_version}/composite/sobjects"
        try:
            response = self.client.request(
                "DELETE", path, params={"ids": ids, "allOrNone": "false"}
            )
        except TransientError as exc:
            return _all_failed(records, str(exc), retryable=True)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code >= 400 or not isinstance(answer, list):
            return _all_failed(
                records,
                f"delete: HTTP {response.status_code}: {error_text(answer, response.text)}",
                retryable=response.status_code >= 500 or answer is None,
            )
        by_id = {str(item.get("id")): item for item in answer if isinstance(item, dict)}
        out = []
        for record in records:
            item = by_id.get(str(record.target_id)) or {}
            errors = item.get("errors") or []
            codes = {e.get("statusCode") for e in errors if isinstance(e, dict)}
            if item.get("success") or "ENTITY_IS_DELETED" in codes:
                out.append(PushResult(record.golden_id, ok=True, target_id=record.target_id))
            else:
                out.append(
                    PushResult(
                        record.golden_id,
                        ok=False,
                        target_id=record.target_id,
                        error=error_text(errors, "delete failed without an error message"),
                        retryable=bool(codes) and codes <= RETRYABLE_CODES,
                    )
                )
        return out

    def _upsert(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        if not records:
            return []
        body = self.body(records)
        for attempt in range(MALFORMED_RETRIES):
            try:
                response = self.client.request("PATCH", self._path, json=body)
            except TransientError as exc:
                # retries are spent (throttle, 5xx, timeouts): the hub tries the batch later;
                # AuthError is a configuration problem and stops the push instead
                return _all_failed(records, str(exc), retryable=True)
            status = response.status_code
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if status == 200 and answer is None and attempt + 1 < MALFORMED_RETRIES:
                # an unreadable answer to an idempotent upsert: sending it again is safe
                log.info("salesforce: upsert answer was not JSON; sending the batch again")
                self._sleep(0.5 * 2**attempt)
                continue
            return self._results(records, status, answer, response.text)
        raise AssertionError("unreachable")

    def _results(
        self, records: Sequence[OutboundRecord], status: int, answer: Any, text: str
    ) -> list[PushResult]:
        if status in (401, 403):
            raise AuthError(
                f"salesforce refused the upsert (HTTP {status}): {error_text(answer, text)}"
            )
        if status == 404:
            raise ConnectorConfigError(
                f"salesforce: {self.settings.sobject}.{self.settings.external_id_field} "
                f"is not an external id field we can use: {error_text(answer, text)}"
            )
        if status >= 400:
            # a malformed request fails every record; the same batch would fail again
            return _all_failed(
                records, f"HTTP {status}: {error_text(answer, text)}", retryable=False
            )
        if not isinstance(answer, list) or len(answer) != len(records):
            return _all_failed(
                records,
                f"salesforce answered {len(answer) if isinstance(answer, list) else 'no'} "
                f"results for {len(records)} records",
                retryable=True,
            )
        results = []
        for record, item in zip(records, answer, strict=True):
            if isinstance(item, dict) and item.get("success"):
                results.append(
                    PushResult(
                        record.golden_id,
                        ok=True,
                        target_id=item.get("id"),
                        created=bool(item.get("created")),
                    )
                )
                continue
            errors = item.get("errors") if isinstance(item, dict) else None
            codes = {e.get("statusCode") for e in errors or [] if isinstance(e, dict)}
            results.append(
                PushResult(
                    record.golden_id,
                    ok=False,
                    target_id=item.get("id") if isinstance(item, dict) else None,
                    error=error_text(errors, "failed without an error message"),
                    retryable=bool(codes) and codes <= RETRYABLE_CODES,
                )
            )
        return results


def _all_failed(
    records: Sequence[OutboundRecord], error: str, *, retryable: bool
) -> list[PushResult]:
    return [
        PushResult(r.golden_id, ok=False, target_id=r.target_id, error=error, retryable=retryable)
        for r in records
    ]
