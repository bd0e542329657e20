"""The ``golden:`` section of chub.yaml: survivorship rules per field, 360° fact thresholds
and the currency rate table.

Every key has a default, so an empty (or missing) section is the documented default set::

    golden:
      survivorship:            # one entry per surviving field; unnamed fields keep defaults
        company_name: {rule: source_trust, trust: [kingdee, tryton, sql]}
        mobile: {rule: source_trust, trust: [wecom]}
        email: {rule: most_recent}
        name: {rule: most_frequent}
        address: {rule: most_complete}
      facts:
        dormant_factor: 2.0    # dormant: no order for 2x the customer's own usual interval
        dormant_after_days: 180
        lost_after_days: 540
      currency:
        base: CNY
        rates: {USD: 7.1}      # 1 USD = 7.1 CNY; an order in a currency without a rate
                               # is kept in revenue_by_currency and left out of the total

A ``trust`` list names sources of chub.yaml or connector types (``kingdee``, ``wecom``):
the first one with a value wins. Whatever the rule, a valid value beats an invalid one
(a checksum-valid 统一社会信用代码, a well-formed mobile or e-mail), see
``integration/golden/survivorship.py``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "CurrencySettings",
    "FactSettings",
    "FieldRule",
    "GoldenSettings",
    "RuleName",
    "SurvivorshipSettings",
]

RuleName = Literal["source_trust", "most_recent", "most_complete", "most_frequent"]

#: the ERPs a company's legal name and credit code are trusted from first
ERP_TYPES = ["kingdee", "tryton", "sql"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldRule(_Strict):
    """How one field survives: ``rule``, and for ``source_trust`` the order of sources."""

    rule: RuleName
    #: source names or connector types, most trusted first (only for ``source_trust``)
    trust: list[str] = Field(default_factory=list)

    @field_validator("trust")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        if any(not str(v).strip() for v in value):
            raise ValueError("a trust entry must be a source name or a connector type")
        return value


def _rule(rule: RuleName, *trust: str) -> FieldRule:
    return FieldRule(rule=rule, trust=list(trust))


class SurvivorshipSettings(_Strict):
    """One rule per surviving single-valued field (lists such as phones, e-mails and
    WeCom ids are always kept whole, with their sources)."""

    name: FieldRule = _rule("most_frequent")
    customer_type: FieldRule = _rule("most_frequent")
    mobile: FieldRule = _rule("source_trust", "wecom")
    email: FieldRule = _rule("most_recent")
    company_name: FieldRule = _rule("source_trust", *ERP_TYPES)
    uscc: FieldRule = _rule("source_trust", *ERP_TYPES)
    province: FieldRule = _rule("most_complete")
    city: FieldRule = _rule("most_complete")
    district: FieldRule = _rule("most_complete")
    address: FieldRule = _rule("most_complete")
    wecom_external_userid: FieldRule = _rule("source_trust", "wecom")
    wechat_unionid: FieldRule = _rule("source_trust", "wecom")
    owner: FieldRule = _rule("source_trust", "wecom", *ERP_TYPES)


class FactSettings(_Strict):
    """Thresholds of the 360° facts (``integration/golden/facts.py`` says how each is used)."""

    #: order states that do not count (the connectors land canonical words)
    excluded_order_statuses: list[str] = Field(
        default_factory=lambda: ["cancelled", "canceled", "refunded", "deleted", "void"]
    )
    #: dormant once the time since the last order exceeds this many usual intervals
    dormant_factor: float = Field(default=2.0, gt=1)
    #: lost once it exceeds this many usual intervals
    lost_factor: float = Field(default=4.0, gt=1)
    #: fallback when the customer has no usual interval yet (fewer than two orders)
    dormant_after_days: int = Field(default=180, ge=1)
    lost_after_days: int = Field(default=540, ge=1)
    #: RFM: recency in days for score 3 / 2 (older scores 1)
    recency_days: tuple[int, int] = (90, 365)
    #: RFM: order counts for score 3 / 2 (one order scores 1)
    frequency_orders: tuple[int, int] = (5, 2)
    #: RFM: revenue in the base currency for score 3 / 2 (any revenue scores 1; an
    #: unconverted currency leaves m unknown unless what converts reaches 3, see facts.py)
    monetary: tuple[float, float] = (50_000.0, 5_000.0)
    #: RFM score sums (3..9) for tiers A / B; any other customer with orders is C
    tier_scores: tuple[int, int] = (8, 6)
    #: churn risk: complaints (tickets) in the window that raise the flag
    complaint_window_days: int = Field(default=30, ge=1)
    complaints_for_risk: int = Field(default=2, ge=1)
    #: churn risk: time since the last order, in usual intervals, that raises the flag
    churn_factor: float = Field(default=1.5, gt=1)


class CurrencySettings(_Strict):
    #: the currency of the converted total, and of orders landed without a currency
    base: str = "CNY"
    #: 1 unit of the key currency = this many units of ``base``
    rates: dict[str, float] = Field(default_factory=dict)

    @field_validator("base")
    @classmethod
    def _code(cls, value: str) -> str:
        if len(value.strip()) != 3 or not value.strip().isalpha():
            raise ValueError("must be a 3-letter ISO 4217 code such as CNY")
        return value.strip().upper()

    @field_validator("rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for code, rate in value.items():
            if len(code.strip()) != 3 or not code.strip().isalpha():
                raise ValueError(f"{code!r} is not a 3-letter ISO 4217 code")
            if rate <= 0:
                raise ValueError(f"the rate of {code} must be above 0")
            out[code.strip().upper()] = float(rate)
        return out


class GoldenSettings(_Strict):
    survivorship: SurvivorshipSettings = Field(default_factory=SurvivorshipSettings)
    facts: FactSettings = Field(default_factory=FactSettings)
    currency: CurrencySettings = Field(default_factory=CurrencySettings)
