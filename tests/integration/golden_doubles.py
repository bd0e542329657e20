"""A source double for the golden / publish tests: customers, orders with currency and
state, and calls, mapped the way real connectors map them."""

from __future__ import annotations

from typing import Any

from connectors.contract import Activity, Mapped, RawRecord, StreamKind
from tests.integration.doubles import ListSource


class ShopSource(ListSource):
    """Streams: ``customers`` (canonical fields), ``orders`` (customer, amount, at,
    currency, state), ``calls`` (phone, at)."""

    def __init__(self, streams: dict[str, list[RawRecord]], *, page_size: int = 100) -> None:
        kinds: dict[str, StreamKind] = {
            name: ("order" if name == "orders" else "touch" if name == "calls" else "customer")
            for name in streams
        }
        super().__init__(streams, page_size=page_size, kinds=kinds)

    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        if stream == "orders":
            return Mapped(
                activity=Activity(
                    kind="order",
                    at=payload["at"],
                    channel="erp",
                    customer_key=payload["customer"],
                    customer_stream="customers",
                    amount=float(payload["amount"]),
                    currency=payload.get("currency"),
                    detail={"order_status": payload.get("state", "done")},
                )
            )
        if stream == "calls":
            return Mapped(
                activity=Activity(
                    kind="call", at=payload["at"], channel="phone", phone=payload["phone"]
                )
            )
        return Mapped(customer=dict(payload))  # type: ignore[arg-type]
