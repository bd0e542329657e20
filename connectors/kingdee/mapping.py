"""Pure functions: K3Cloud query rows -> payloads -> canonical customers and order activities.

ExecuteBillQuery answers rows as arrays in ``FieldKeys`` order and repeats the header for
every entry line (one row per contact of a customer, per line of a sales order), so rows
are first folded into one payload per document: the header fields plus a list of lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

from connectors.contract import Activity, CustomerFields

__all__ = [
    "StreamSpec",
    "customer_spec",
    "filter_literal",
    "fold_rows",
    "local_to_iso",
    "map_customer",
    "map_order",
    "order_spec",
]


@dataclass(frozen=True)
class StreamSpec:
    """What to ask ExecuteBillQuery for one stream, and how to fold its rows."""

    form_id: str
    id_key: str  # internal id of the document (FCUSTID, FId)
    date_key: str  # the incremental watermark (FModifyDate)
    header_keys: tuple[str, ...]
    line_keys: tuple[str, ...] = ()  # entry fields: one row per entry line
    lines_name: str = "lines"
    line_prefix: str = ""  # entity prefix of entry keys, dropped in the payload

    @property
    def field_keys(self) -> list[str]:
        return [*self.header_keys, *self.line_keys]

    @property
    def order_string(self) -> str:
        # stable order: watermark, document id, then entry columns so lines stay together
        keys = [self.date_key, self.id_key, *self.line_keys[:1]]
        return ",".join(f"{k} ASC" for k in keys)


def customer_spec(form_id: str = "BD_Customer", contact_entity: str | None = None) -> StreamSpec:
    header = (
        "FCUSTID",
        "FNumber",
        "FName",
        "FShortName",
        "FTEL",
        "FADDRESS",
        "FPROVINCIAL.FDataValue",
        "FSOCIALCRECODE",
        "FSELLER.FNumber",
        "FCreateDate",
        "FModifyDate",
        "FDocumentStatus",
        "FForbidStatus",
    )
    lines: tuple[str, ...] = ()
    if contact_entity:
        lines = (
            f"{contact_entity}_FCONTACT",
            f"{contact_entity}_FMOBILE",
            f"{contact_entity}_FEMAIL",
        )
    return StreamSpec(
        form_id,
        "FCUSTID",
        "FModifyDate",
        header,
        lines,
        "contacts",
        f"{contact_entity}_" if contact_entity else "",
    )


def order_spec(form_id: str = "SAL_SaleOrder") -> StreamSpec:
    header = (
        "FId",
        "FBillNo",
        "FDate",
        "FCustId",
        "FCustId.FNumber",
        "FSalerId.FNumber",
        "FDocumentStatus",
        "FCancelStatus",
        "FCreateDate",
        "FModifyDate",
    )
    lines = ("FSaleOrderEntry_FEntryID", "FMaterialId.FNumber", "FQty", "FAllAmount")
    return StreamSpec(form_id, "FId", "FModifyDate", header, lines, "lines", "FSaleOrderEntry_")


def filter_literal(value: Any) -> str:
    """Quote a value for FilterString (SQL-like; dates are server-local strings)."""
    return "'" + str(value).replace("T", " ").replace("'", "''") + "'"


def _short(key: str, spec: StreamSpec) -> str:
    """Line keys lose their entity prefix in the payload (FSaleOrderEntry_FEntryID -> FEntryID)."""
    if spec.line_prefix and key.startswith(spec.line_prefix):
        return key[len(spec.line_prefix) :]
    return key


def fold_rows(spec: StreamSpec, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Fold consecutive rows of one document into one payload; keeps the query order."""
    nh = len(spec.header_keys)
    payloads: list[dict[str, Any]] = []
    for row in rows:
        if len(row) != len(spec.field_keys):
            raise ValueError(f"row has {len(row)} values, expected {len(spec.field_keys)}")
        header = dict(zip(spec.header_keys, row[:nh], strict=True))
        if not payloads or payloads[-1][spec.id_key] != header[spec.id_key]:
            payloads.append({**header, spec.lines_name: []} if spec.line_keys else header)
        if spec.line_keys:
            line = {_short(k, spec): v for k, v in zip(spec.line_keys, row[nh:], strict=True)}
            # a document without entries comes back as one row with empty entry columns
            if any(v not in (None, "", 0) for v in line.values()):
                payloads[-1][spec.lines_name].append(line)
    return payloads


def local_to_iso(value: Any, tz: str) -> str | None:
    """A server-local K3Cloud time ('2026-10-01T10:00:00.123') as ISO-8601 with offset."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace(" ", "T"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.isoformat()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def map_customer(
    payload: dict[str, Any],
    *,
    tz: str = "Asia/Shanghai",
    customer_type: Literal["company", "person"] = "company",
) -> CustomerFields:
    name = _text(payload.get("FName"))
    if not name:
        raise ValueError("Kingdee customer without FName")
    out: CustomerFields = {"name": name, "customer_type": customer_type}
    # K3Cloud customers are mostly companies: the one name field is the company's name
    if customer_type == "company":
        out["company_name"] = name
    phones: list[str] = []
    mobile: str | None = None
    email: str | None = None
    for contact in payload.get("contacts") or []:
        m = _text(contact.get("FMOBILE"))
        if m and mobile is None:
            mobile = m
        elif m:
            phones.append(m)
        email = email or _text(contact.get("FEMAIL"))
    tel = _text(payload.get("FTEL"))
    if tel:
        phones.insert(0, tel)
    if mobile:
        out["mobile"] = mobile
    if phones:
        out["phones"] = list(dict.fromkeys(phones))
    if email:
        out["email"] = email
    simple = {
        "uscc": "FSOCIALCRECODE",
        "province": "FPROVINCIAL.FDataValue",
        "address": "FADDRESS",
        "owner": "FSELLER.FNumber",
    }
    for field, key in simple.items():
        value = _text(payload.get(key))
        if value:
            out[field] = value  # type: ignore[literal-required]
    updated = local_to_iso(payload.get("FModifyDate"), tz)
    if updated:
        out["source_updated_at"] = updated
    return out


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation as exc:
        raise ValueError(f"order line amount {value!r} is not a number") from exc


def map_order(
    payload: dict[str, Any], *, tz: str = "Asia/Shanghai", currency: str | None = "CNY"
) -> Activity:
    customer = payload.get("FCustId")
    if customer in (None, "", 0):
        raise ValueError(f"sales order {payload.get('FBillNo')!r} has no customer (FCustId)")
    at = local_to_iso(payload.get("FDate"), tz) or local_to_iso(payload.get("FCreateDate"), tz)
    if not at:
        raise ValueError(f"sales order {payload.get('FBillNo')!r} has no usable FDate")
    lines = payload.get("lines") or []
    total = sum((_amount(line.get("FAllAmount")) for line in lines), Decimal(0))
    return Activity(
        kind="order",
        at=at,
        channel="kingdee",
        customer_key=str(customer),
        customer_stream="customers",
        amount=float(total),
        currency=currency,
        agent=_text(payload.get("FSalerId.FNumber")),
        detail={
            "bill_no": payload.get("FBillNo"),
            "status": payload.get("FDocumentStatus"),
            # FCancelStatus B is 作废 (voided); an audited (C) order is done, others open
            "order_status": (
                "cancelled"
                if payload.get("FCancelStatus") == "B"
                else "done"
                if payload.get("FDocumentStatus") == "C"
                else "open"
            ),
            "customer_number": payload.get("FCustId.FNumber"),
            "lines": len(lines),
        },
    )
