"""The HubSpot ``Sink``: golden records upserted as contacts by a unique property.

``POST /crm/v3/objects/contacts/batch/upsert`` with ``idProperty`` (a property with unique
values; by default our own ``chub_golden_id``, since not every golden record has an
email) and ``objectWriteTraceId`` = golden id, at most 100 inputs. HubSpot answers 200 when
all went well and 207 Multi-Status with ``errors`` when some inputs failed; results are
matched back to inputs by the id property, errors by ``objectWriteTraceId``.

A golden id merged into another is flagged (``chub_status`` = merged, ``chub_merged_into``
= the survivor's golden id) in the same upsert, or archived (``batch/archive``) when
``sink_on_merge: archive``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from connectors.contract import OutboundRecord, PushResult, RemoteError, TransientError
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.mapping import to_properties

if TYPE_CHECKING:
    from connectors.hubspot import Settings

__all__ = ["HubSpotSink"]

_RETRYABLE_CATEGORIES = frozenset({"RATE_LIMITS", "INTERNAL_ERROR", "TIMEOUT"})


class HubSpotSink:
    batch_size = 100

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.batch_size = settings.sink_batch_size
        self.client = HubSpotClient(
            settings.base_url,
            token=settings.token,
            timeout=settings.timeout,
            max_attempts=settings.max_attempts,
            transport=transport,
            sleep=sleep,
        )

    def close(self) -> None:
        self.client.close()

    def _archives(self, record: OutboundRecord) -> bool:
        """A merged or retired golden id whose contact is archived instead of flagged."""
        return (
            self.settings.sink_on_merge == "archive"
            and record.fields.get("status") in ("merged", "retired")
            and bool(record.target_id)
        )

    def wire(self, record: OutboundRecord) -> dict[str, Any]:
        """What this sink sends for ``record`` (the hub hashes it to push only changes)."""
        if self._archives(record):
            return {"archive": record.target_id}
        return to_properties(record.fields, self.settings.sink_property_map)

    def push(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        if len(records) > self.batch_size:
            raise ValueError(f"hubspot takes at most {self.batch_size} records per push")
        archives = [r for r in records if self._archives(r)]
        upserts = [r for r in records if not self._archives(r)]
        results = {r.golden_id: r for r in self._upsert(upserts)}
        results.update({r.golden_id: r for r in self._archive(archives)})
        return [results[r.golden_id] for r in records]

    def _archive(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        if not records:
            return []
        inputs = [{"id": str(r.target_id)} for r in records]
        try:
            self.client.call_ok(
                "POST", "/crm/v3/objects/contacts/batch/archive", json={"inputs": inputs}
            )
        except TransientError as exc:
            return [
                PushResult(r.golden_id, ok=False, error=str(exc), retryable=True) for r in records
            ]
        except RemoteError as exc:
            if exc.code in ("INVALID_AUTHENTICATION", "MISSING_SCOPES"):
                raise
            return [PushResult(r.golden_id, ok=False, error=str(exc)) for r in records]
        return [PushResult(r.golden_id, ok=True, target_id=r.target_id) for r in records]

    def _upsert(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        if not records:
            return []
        id_prop = self.settings.sink_id_property
        inputs = [
            {
                "idProperty": id_prop,
                "id": r.golden_id,
                "properties": to_properties(r.fields, self.settings.sink_property_map),
                "objectWriteTraceId": r.golden_id,
            }
            for r in records
        ]
        try:
            data = self.client.call_json(
                "POST", "/crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs}
            )
        except TransientError as exc:  # includes throttling past the retry budget
            return [
                PushResult(r.golden_id, ok=False, error=str(exc), retryable=True) for r in records
            ]
        except RemoteError as exc:
            if exc.code in ("INVALID_AUTHENTICATION", "MISSING_SCOPES"):
                raise
            return [PushResult(r.golden_id, ok=False, error=str(exc)) for r in records]
        done: dict[str, dict[str, Any]] = {}
        for item in data.get("results") or []:
            key = (item.get("properties") or {}).get(id_prop)
            if key is not None:
                done[str(key)] = item
        failed: dict[str, dict[str, Any]] = {}
        for error in data.get("errors") or []:
            for key in _error_keys(error):
                failed[key] = error
        results = []
        for record in records:
            if record.golden_id in done:
                item = done[record.golden_id]
                results.append(
                    PushResult(
                        record.golden_id,
                        ok=True,
                        target_id=str(item["id"]),
                        created=bool(item.get("new")),
                    )
                )
            elif record.golden_id in failed:
                error = failed[record.golden_id]
                results.append(
                    PushResult(
                        record.golden_id,
                        ok=False,
                        error=f"{error.get('category', 'ERROR')}: {error.get('message', '')}",
                        retryable=error.get("category") in _RETRYABLE_CATEGORIES,
                    )
                )
            else:
                results.append(
                    PushResult(
                        record.golden_id,
                        ok=False,
                        retryable=True,
                        error="hubspot reported no result for this record",
                    )
                )
        return results


def _error_keys(error: dict[str, Any]) -> list[str]:
    keys = []
    if error.get("objectWriteTraceId"):
        keys.append(str(error["objectWriteTraceId"]))
    context = error.get("context") or {}
    for values in context.values() if isinstance(context, dict) else []:
        if isinstance(values, list):
            keys.extend(str(v) for v in values)
    return keys
