"""Write the unified customer code back into K3Cloud customers (BD_Customer ``Save``).

Save is not an upsert: internal id 0 creates, a non-zero ``FCUSTID`` updates. So we
always look the record up first (by internal id for member records, by ``FNumber`` for
a record we create ourselves), skip records that already carry the golden id, and send a
*create* exactly once per attempt: if its answer is lost, the next attempt's lookup finds
the record the server did make instead of making a second one.
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
from connectors.kingdee.client import KingdeeClient
from connectors.kingdee.mapping import filter_literal

__all__ = ["KingdeeSink"]

log = logging.getLogger("connectors.kingdee")


class KingdeeSink:
    batch_size = 50

    def __init__(
        self,
        client: KingdeeClient,
        *,
        form_id: str = "BD_Customer",
        golden_field: str = "F_CHUB_GoldenId",
        create_missing: bool = False,
        number_prefix: str = "CHUB-",
        org_number: str = "100",
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.form_id = form_id
        self.golden_field = golden_field
        self.create_missing = create_missing
        self.number_prefix = number_prefix
        self.org_number = org_number
        self.max_attempts = max_attempts
        self._sleep = sleep

    def push(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        return [self._push_one(record) for record in records]

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ one record
    def _push_one(self, record: OutboundRecord) -> PushResult:
        try:
            if record.source_keys:
                return self._update_members(record)
            if self.create_missing:
                return self._create_or_update(record)
            # not a Kingdee customer and we are told not to create one: nothing to do
            return PushResult(record.golden_id, ok=True)
        except ConnectorConfigError:
            raise  # a refused login fails every record alike: stop the push, not each record
        except TransientError as exc:
            return PushResult(record.golden_id, ok=False, error=str(exc), retryable=True)
        except RemoteError as exc:
            return PushResult(record.golden_id, ok=False, error=str(exc))

    def _update_members(self, record: OutboundRecord) -> PushResult:
        try:
            ids = [int(key) for key in record.source_keys]
        except ValueError:
            return PushResult(
                record.golden_id,
                ok=False,
                error=f"kingdee keys must be FCUSTID numbers: {record.source_keys}",
            )
        condition = " OR ".join(f"FCUSTID = {i}" for i in ids)
        found = self._lookup(condition)
        missing = [i for i in ids if i not in found]
        for cust_id in ids:
            if cust_id in found and found[cust_id] != record.golden_id:
                self._save_golden(cust_id, record.golden_id)
        if missing:
            return PushResult(
                record.golden_id,
                ok=False,
                target_id=str(ids[0]),
                error=f"kingdee customers not found (deleted?): {missing}",
            )
        return PushResult(record.golden_id, ok=True, target_id=str(ids[0]))

    def _create_or_update(self, record: OutboundRecord) -> PushResult:
        number = f"{self.number_prefix}{record.golden_id}"
        created = False
        for attempt in range(self.max_attempts):
            found = self._lookup(f"FNumber = {filter_literal(number)}")
            if found:
                cust_id, golden = next(iter(found.items()))
                if golden != record.golden_id:
                    self._save_golden(cust_id, record.golden_id)
                return PushResult(
                    record.golden_id, ok=True, target_id=str(cust_id), created=created
                )
            try:
                result = self.client.save(
                    self.form_id, self._create_body(number, record), creates=True
                )
                return PushResult(
                    record.golden_id, ok=True, target_id=str(result.get("Id")), created=True
                )
            except TransientError as exc:
                # the server may have made it anyway: the next lookup tells
                created = True
                log.info("kingdee: create of %s unanswered (%s); looking up again", number, exc)
                self._sleep(min(8.0, 0.5 * 2**attempt))
        raise TransientError(f"kingdee: could not create customer {number}")

    # ------------------------------------------------------------------ wire shapes
    def _lookup(self, condition: str) -> dict[int, str]:
        """Internal id -> golden id currently stored, for customers matching ``condition``."""
        rows = self.client.bill_query(
            {
                "FormId": self.form_id,
                "FieldKeys": f"FCUSTID,FNumber,{self.golden_field}",
                "FilterString": condition,
                "OrderString": "FCUSTID ASC",
                "TopRowCount": 0,
                "StartRow": 0,
                "Limit": 2000,
                "SubSystemId": "",
            }
        )
        return {int(row[0]): str(row[2] or "") for row in rows}

    def _save_golden(self, cust_id: int, golden_id: str) -> None:
        # an update by internal id is idempotent, so the retrying client may resend it
        self.client.save(
            self.form_id,
            {
                "NeedUpDateFields": [self.golden_field],
                "NeedReturnFields": ["FNumber"],
                "IsDeleteEntry": "false",
                "IsVerifyBaseDataField": "false",
                "Model": {"FCUSTID": cust_id, self.golden_field: golden_id},
            },
            creates=False,
        )

    def _create_body(self, number: str, record: OutboundRecord) -> dict[str, Any]:
        fields = record.fields
        name = fields.get("company_name") or fields.get("name")
        if not name:
            raise RemoteError(f"golden record {record.golden_id} has no name to create it with")
        model: dict[str, Any] = {
            "FCUSTID": 0,
            "FNumber": number,
            "FName": name,
            "FCreateOrgId": {"FNumber": self.org_number},
            "FUseOrgId": {"FNumber": self.org_number},
            self.golden_field: record.golden_id,
        }
        phones = fields.get("phones") or []
        tel = fields.get("mobile") or (phones[0] if phones else None)
        for key, value in (
            ("FTEL", tel),
            ("FADDRESS", fields.get("address")),
            ("FSOCIALCRECODE", fields.get("uscc")),
        ):
            if value:
                model[key] = value
        return {
            "NeedUpDateFields": [],
            "NeedReturnFields": ["FNumber", "FName"],
            "IsDeleteEntry": "true",
            "IsVerifyBaseDataField": "false",
            "NumberSearch": "true",
            "IsAutoSubmitAndAudit": "false",
            "Model": model,
        }
