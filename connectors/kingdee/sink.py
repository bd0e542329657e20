"""Write the unified customer code back into K3Cloud customers, a batch at a time.

Per batch of golden records: **one** ExecuteBillQuery looks up every member customer (by
internal id) and every customer we created ourselves (by ``FNumber``); **one** BatchSave
updates the golden id field of those that do not carry it yet (an update by internal
id is idempotent, so the retrying client may resend it); and, with ``create_missing``,
**one** BatchSave creates the customers that do not exist — sent once only: if its
answer is lost, the next lookup finds what the server did make instead of making a
second one.

A golden id merged into another leaves its members to the survivor (whose own push
writes the survivor's id onto them); a customer we created for it gets the survivor's id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
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

#: conditions per ExecuteBillQuery (a FilterString of OR-ed equalities)
LOOKUP_CHUNK = 200


class KingdeeSink:
    batch_size = 500

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
        batch_size: int = 500,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.form_id = form_id
        self.golden_field = golden_field
        self.create_missing = create_missing
        self.number_prefix = number_prefix
        self.org_number = org_number
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self._sleep = sleep

    def close(self) -> None:
        self.client.close()

    def wire(self, record: OutboundRecord) -> dict[str, Any]:
        """What reaches K3Cloud: the golden id (or the survivor's) on the member records,
        and for a customer we create, its name, phone, address and credit code.

        Once we made the customer (publish hands back its FCUSTID as ``target_id``) a push
        finds it by number and writes only the golden id, never the name or phone again,
        so only the golden id is hashed: a new mobile then pushes nothing. A merged or
        retired record is never created, only marked if it exists."""
        target = self._golden_value(record)
        if record.source_keys:
            return {"golden": target}
        if not self.create_missing:
            return {}
        if record.target_id or record.fields.get("status") in ("merged", "retired"):
            return {"golden": target}
        return {"golden": target, "create": self._create_model("", record, check=False)}

    def _number(self, golden_id: str) -> str:
        return f"{self.number_prefix}{golden_id}"

    @staticmethod
    def _golden_value(record: OutboundRecord) -> str:
        merged = record.fields.get("merged_into")
        return (
            str(merged) if record.fields.get("status") == "merged" and merged else record.golden_id
        )

    # ------------------------------------------------------------------ a batch
    def push(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        results: dict[str, PushResult] = {}
        try:
            members = [r for r in records if r.source_keys]
            results.update(self._update_members(members))
            own = [r for r in records if not r.source_keys]
            if self.create_missing:
                results.update(self._create_or_update(own))
            else:
                # not a Kingdee customer and we are told not to create one: nothing to do
                results.update({r.golden_id: PushResult(r.golden_id, ok=True) for r in own})
        except ConnectorConfigError:
            raise  # a refused login fails every record alike: stop the push, not each record
        except TransientError as exc:
            failed = PushResult("", ok=False, error=str(exc), retryable=True)
            return [results.get(r.golden_id) or _as(failed, r) for r in records]
        except RemoteError as exc:
            failed = PushResult("", ok=False, error=str(exc))
            return [results.get(r.golden_id) or _as(failed, r) for r in records]
        return [results[r.golden_id] for r in records]

    def _update_members(self, records: Sequence[OutboundRecord]) -> dict[str, PushResult]:
        out: dict[str, PushResult] = {}
        wanted: dict[int, str] = {}  # FCUSTID -> golden id to write
        ids_of: dict[str, list[int]] = {}
        for record in records:
            try:
                ids = [int(key) for key in record.source_keys]
            except ValueError:
                out[record.golden_id] = PushResult(
                    record.golden_id,
                    ok=False,
                    error=f"kingdee keys must be FCUSTID numbers: {record.source_keys}",
                )
                continue
            ids_of[record.golden_id] = ids
            for cust_id in ids:
                wanted[cust_id] = self._golden_value(record)
        found = self._lookup("FCUSTID", [str(i) for i in wanted])
        current = {int(k): golden for k, (_, golden) in found.items()}
        changes = {i: g for i, g in wanted.items() if i in current and current[i] != g}
        errors = self._save_golden(changes)
        for record in records:
            if record.golden_id not in ids_of:
                continue
            ids = ids_of[record.golden_id]
            missing = [i for i in ids if i not in current]
            failed = [f"{i}: {errors[i]}" for i in ids if i in errors]
            if failed:
                out[record.golden_id] = PushResult(
                    record.golden_id, ok=False, target_id=str(ids[0]), error="; ".join(failed)
                )
            elif missing:
                out[record.golden_id] = PushResult(
                    record.golden_id,
                    ok=False,
                    target_id=str(ids[0]),
                    error=f"kingdee customers not found (deleted?): {missing}",
                )
            else:
                out[record.golden_id] = PushResult(record.golden_id, ok=True, target_id=str(ids[0]))
        return out

    def _create_or_update(self, records: Sequence[OutboundRecord]) -> dict[str, PushResult]:
        out: dict[str, PushResult] = {}
        todo = {self._number(r.golden_id): r for r in records}
        unanswered: set[str] = set()  # numbers whose create was sent but not answered
        for attempt in range(self.max_attempts):
            found = self._lookup("FNumber", list(todo))
            changes: dict[int, str] = {}
            for number, (cust_id, golden) in found.items():
                record = todo[number]
                value = self._golden_value(record)
                if golden != value:
                    changes[int(cust_id)] = value
            errors = self._save_golden(changes)
            for number, (cust_id, _) in found.items():
                record = todo.pop(number)
                if int(cust_id) in errors:
                    out[record.golden_id] = PushResult(
                        record.golden_id, ok=False, target_id=cust_id, error=errors[int(cust_id)]
                    )
                else:
                    out[record.golden_id] = PushResult(
                        record.golden_id,
                        ok=True,
                        target_id=cust_id,
                        created=number in unanswered,
                    )
            creatable: list[tuple[str, OutboundRecord, dict[str, Any]]] = []
            for number, record in list(todo.items()):
                if record.fields.get("status") in ("merged", "retired"):
                    # nothing of ours exists for it: nothing to mark
                    out[record.golden_id] = PushResult(record.golden_id, ok=True)
                    del todo[number]
                    continue
                try:
                    creatable.append((number, record, self._create_model(number, record)))
                except RemoteError as exc:
                    out[record.golden_id] = PushResult(record.golden_id, ok=False, error=str(exc))
                    del todo[number]
            if not creatable:
                return out
            try:
                saved, errors_at = self.client.batch_save(
                    self.form_id, self._create_body([m for _, _, m in creatable]), creates=True
                )
            except TransientError as exc:
                # the server may have made some anyway: the next lookup tells
                unanswered.update(number for number, _, _ in creatable)
                log.info("kingdee: BatchSave of %d creates unanswered (%s)", len(creatable), exc)
                self._sleep(min(8.0, 0.5 * 2**attempt))
                continue
            for index, (number, record, _) in enumerate(creatable):
                if index in saved:
                    out[record.golden_id] = PushResult(
                        record.golden_id,
                        ok=True,
                        target_id=str(saved[index].get("Id")),
                        created=True,
                    )
                else:
                    out[record.golden_id] = PushResult(
                        record.golden_id, ok=False, error=errors_at.get(index, "not saved")
                    )
                del todo[number]
            return out
        raise TransientError(f"kingdee: could not create {len(todo)} customers")

    # ------------------------------------------------------------------ wire shapes
    def _lookup(self, key: str, values: Iterable[str]) -> dict[str, tuple[str, str]]:
        """``key`` value -> (FCUSTID, golden id stored) of the customers that have one."""
        values = sorted(set(values))
        out: dict[str, tuple[str, str]] = {}
        for i in range(0, len(values), LOOKUP_CHUNK):
            chunk = values[i : i + LOOKUP_CHUNK]
            literal = (lambda v: v) if key == "FCUSTID" else filter_literal
            condition = " OR ".join(f"{key} = {literal(v)}" for v in chunk)
            rows = self.client.bill_query(
                {
                    "FormId": self.form_id,
                    "FieldKeys": f"FCUSTID,FNumber,{self.golden_field}",
                    "FilterString": condition,
                    "OrderString": "FCUSTID ASC",
                    "TopRowCount": 0,
                    "StartRow": 0,
                    "Limit": 0,
                    "SubSystemId": "",
                }
            )
            for row in rows:
                found = str(row[0]) if key == "FCUSTID" else str(row[1])
                out[found] = (str(row[0]), str(row[2] or ""))
        return out

    def _save_golden(self, changes: dict[int, str]) -> dict[int, str]:
        """Write golden ids by internal id in BatchSaves; FCUSTID -> error of those refused."""
        errors: dict[int, str] = {}
        items = sorted(changes.items())
        for i in range(0, len(items), self.batch_size):
            chunk = items[i : i + self.batch_size]
            _, refused = self.client.batch_save(
                self.form_id,
                {
                    "NeedUpDateFields": [self.golden_field],
                    "NeedReturnFields": ["FNumber"],
                    "IsDeleteEntry": "false",
                    "IsVerifyBaseDataField": "false",
                    "Model": [{"FCUSTID": c, self.golden_field: g} for c, g in chunk],
                },
                creates=False,
            )
            for index, message in refused.items():
                if 0 <= index < len(chunk):
                    errors[chunk[index][0]] = message
        return errors

    def _create_model(
        self, number: str, record: OutboundRecord, *, check: bool = True
    ) -> dict[str, Any]:
        fields = record.fields
        name = fields.get("company_name") or fields.get("name")
        if not name and check:
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
        return model

    @staticmethod
    def _create_body(models: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "NeedUpDateFields": [],
            "NeedReturnFields": ["FNumber", "FName"],
            "IsDeleteEntry": "true",
            "IsVerifyBaseDataField": "false",
            "NumberSearch": "true",
            "IsAutoSubmitAndAudit": "false",
            "Model": models,
        }


def _as(result: PushResult, record: OutboundRecord) -> PushResult:
    return PushResult(
        record.golden_id,
        ok=result.ok,
        target_id=record.target_id,
        error=result.error,
        retryable=result.retryable,
    )
