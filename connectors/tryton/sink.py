"""Write the golden id back onto Tryton parties as a party identifier (``party.identifier``).

An identifier (type left empty, code ``chub:<golden id>``) is a real, searchable field made
for external ids; it leaves the party's own ``code`` (its sequence number, often printed
on documents) alone. Tryton has no upsert, so each push reads the party's identifiers
first, rewrites a stale ``chub:`` code in place, and sends a create at most once per
attempt: after a lost answer the next attempt's read finds what the server made.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from connectors.contract import (
    ConnectorConfigError,
    OutboundRecord,
    PushResult,
    RemoteError,
    TransientError,
)
from connectors.tryton.client import TrytonClient

__all__ = ["TrytonSink"]

log = logging.getLogger("connectors.tryton")


class TrytonSink:
    batch_size = 100

    def __init__(
        self,
        client: TrytonClient,
        *,
        golden_id_prefix: str = "chub:",
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.prefix = golden_id_prefix
        self.max_attempts = max_attempts
        self._sleep = sleep

    def wire(self, record: OutboundRecord) -> dict[str, Any]:
        """What reaches Tryton: only the ``chub:`` identifier on the member parties (the
        parties themselves, the record's own-source keys, are hashed by the publisher)."""
        if not record.source_keys:
            return {}
        return {"code": self.prefix + record.golden_id}

    def push(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        return [self._push_one(record) for record in records]

    def close(self) -> None:
        self.client.close()

    def _push_one(self, record: OutboundRecord) -> PushResult:
        if not record.source_keys:
            # not a Tryton party: we only mark parties that exist, we do not create them
            return PushResult(record.golden_id, ok=True)
        try:
            ids = [int(k) for k in record.source_keys]
        except ValueError:
            return PushResult(
                record.golden_id,
                ok=False,
                error=f"tryton keys must be party ids: {record.source_keys}",
            )
        try:
            missing = self._mark(ids, self.prefix + record.golden_id)
        except TransientError as exc:
            return PushResult(record.golden_id, ok=False, error=str(exc), retryable=True)
        except ConnectorConfigError:
            raise  # a refused login / unknown database fails every record alike
        except RemoteError as exc:
            return PushResult(record.golden_id, ok=False, error=str(exc))
        if missing:
            return PushResult(
                record.golden_id,
                ok=False,
                target_id=str(ids[0]),
                error=f"tryton parties not found (deleted?): {missing}",
            )
        return PushResult(record.golden_id, ok=True, target_id=str(ids[0]))

    def _mark(self, ids: list[int], code: str) -> list[int]:
        """Give each party exactly one ``chub:`` identifier, ``code``; return the missing ids."""
        for attempt in range(self.max_attempts):
            parties = self.client.call(
                "party.party",
                "search_read",
                [["id", "in", ids]],
                0,
                None,
                None,
                ["identifiers.code"],
                context={"active_test": False},
            )
            found = {int(p["id"]): p.get("identifiers.") or [] for p in parties}
            try:
                for party_id, identifiers in found.items():
                    self._mark_one(party_id, identifiers, code)
                return [i for i in ids if i not in found]
            except TransientError as exc:
                if attempt + 1 >= self.max_attempts:
                    raise
                log.info("tryton: identifier create unanswered (%s); reading again", exc)
                self._sleep(min(8.0, 0.5 * 2**attempt))
        raise AssertionError("unreachable")

    def _mark_one(self, party_id: int, identifiers: list[dict[str, object]], code: str) -> None:
        ours = [i for i in identifiers if str(i.get("code") or "").startswith(self.prefix)]
        if any(i.get("code") == code for i in ours):
            stale = [int(str(i["id"])) for i in ours if i.get("code") != code]
        elif ours:  # golden id changed (merge/split): rewrite in place
            self.client.call("party.identifier", "write", [int(str(ours[0]["id"]))], {"code": code})
            stale = [int(str(i["id"])) for i in ours[1:]]
        else:
            self.client.call(
                "party.identifier", "create", [{"party": party_id, "code": code}], once=True
            )
            stale = []
        if stale:
            self.client.call("party.identifier", "delete", stale)
