"""The 360° facts of a golden customer, each by a rule written down here.

All thresholds come from ``golden.facts`` / ``golden.currency`` in chub.yaml
(``integration/sections/golden.py``); facts are computed *as of* a moment the caller
chooses (the newest activity in the hub by default), so a re-run on unchanged data gives
the same facts.

- **orders**: every order activity except those whose state is in
  ``excluded_order_statuses`` (cancelled, refunded, ...) or whose source record was
  deleted. ``orders`` counts them; ``revenue_by_currency`` sums their amounts per
  currency (an order landed without a currency is in the base currency); ``revenue`` is
  the total in the base currency, converting by ``currency.rates`` — a currency without a
  rate is left out of it and named in ``unconverted_currencies``. ``first_order_at`` /
  ``last_order_at``; ``avg_interval_days`` is the mean gap between consecutive orders and
  ``usual_interval_days`` the median gap (the customer's own rhythm, robust to one
  long pause).
- **last touch per channel**: the newest call, ticket, WeCom and marketing activity
  (``last_touch``), a WeCom follow relation counting as a WeCom touch from its start;
  ``last_touch_at`` is the newest of them all, orders included.
- **WeCom follow status**: who follows the customer and since when (``wecom_follow``).
- **lifecycle**: ``lead`` (no order) -> ``first_purchase`` (one) -> ``repeat`` (several);
  ``dormant`` when the time since the last order exceeds ``dormant_factor`` times the
  usual interval, ``lost`` beyond ``lost_factor`` times; a customer without a usual
  interval yet (one order) uses ``dormant_after_days`` / ``lost_after_days``.
- **value tier** by RFM: recency, frequency and monetary value each score 1..3 against
  their thresholds; the sum makes tier A / B / C (``none`` without orders). The
  monetary thresholds are in the base currency, so ``m`` scores the converted
  ``revenue`` when every currency the customer paid in converts. A currency without a
  rate is not guessed, and not taken as 0 either (that would score a customer who pays
  only in it as one who spent nothing):

  - if what converts already reaches the top threshold, ``m`` is 3 whatever the rest is;
  - otherwise ``m`` is unknown (``None`` in ``rfm``, the currencies are named in
    ``unconverted_currencies``) and the tier is judged on recency and frequency, their
    sum scaled by 3/2 to the 3..9 range of the three scores; it is never below the
    tier of r + f + the score of what converts (a lower bound of the true sum, as the
    unconverted amounts only add to it).

  An unconverted currency whose orders sum to 0 changes nothing; one that sums below 0
  (credit notes landed as orders) leaves ``m`` unknown and the bound at m = 1.
- **churn risk**: raised when the time since the last order exceeds ``churn_factor``
  usual intervals (or ``dormant_after_days`` without one), or when
  ``complaints_for_risk`` tickets arrived within ``complaint_window_days``; the reasons
  are said in words.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from integration.sections.golden import CurrencySettings, FactSettings

__all__ = ["Event", "compute_facts", "parse_time"]

#: activity kind -> the channel its last touch is reported under
TOUCH_CHANNEL = {"call": "call", "ticket": "ticket", "campaign": "marketing"}


@dataclass(frozen=True)
class Event:
    """An activity of the customer, as the facts need it."""

    kind: str  # order / call / ticket / campaign
    channel: str
    at: str
    amount: float | None = None
    currency: str | None = None
    status: str | None = None
    deleted: bool = False


def parse_time(value: str) -> datetime:
    text = value.replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = datetime.fromisoformat(text[:10])
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def _counts(event: Event, settings: FactSettings) -> bool:
    if event.deleted:
        return False
    excluded = {s.lower() for s in settings.excluded_order_statuses}
    return (event.status or "").lower() not in excluded


def _touch_channel(event: Event) -> str | None:
    if "wecom" in event.channel.lower():
        return "wecom"
    return TOUCH_CHANNEL.get(event.kind)


def compute_facts(
    events: Iterable[Event],
    follows: Sequence[dict[str, Any]],
    as_of: datetime,
    settings: FactSettings | None = None,
    currency: CurrencySettings | None = None,
) -> dict[str, Any]:
    settings = settings or FactSettings()
    currency = currency or CurrencySettings()
    events = [e for e in events if not e.deleted]
    # times are compared as instants, not as text: sources write them in their own zones
    # and precisions (2026-11-02T10:00:00+08:00 is before 2026-11-01T23:00:00-05:00)
    orders = sorted(
        (e for e in events if e.kind == "order" and _counts(e, settings)),
        key=lambda e: parse_time(e.at),
    )
    facts: dict[str, Any] = _order_facts(orders, currency)
    touches: dict[str, str] = {}

    def touch(channel: str, at: str) -> None:
        if channel not in touches or parse_time(at) > parse_time(touches[channel]):
            touches[channel] = at

    for e in events:
        channel = _touch_channel(e)
        if channel:
            touch(channel, e.at)
    for f in follows:
        since = f.get("since")
        if since:
            touch("wecom", since)
    facts["last_touch"] = dict(sorted(touches.items()))
    every = [*touches.values(), *(o.at for o in orders)]
    facts["last_touch_at"] = max(every, key=parse_time) if every else None
    facts["wecom_follow"] = sorted(
        (dict(f) for f in follows), key=lambda f: (f.get("since") or "", f.get("userid") or "")
    )
    since_last = _days(as_of - parse_time(orders[-1].at)) if orders else None
    usual = facts["usual_interval_days"]
    facts["days_since_last_order"] = round(since_last, 1) if since_last is not None else None
    facts["lifecycle_stage"] = lifecycle_stage(len(orders), since_last, usual, settings)
    m, m_at_least = monetary_score(facts["revenue_by_currency"], currency, settings)
    facts["rfm"] = rfm(len(orders), since_last, m, settings)
    facts["value_tier"] = value_tier(facts["rfm"], settings, m_at_least=m_at_least)
    reasons = churn_reasons(events, since_last, usual, as_of, settings)
    facts["churn_risk"] = bool(reasons)
    facts["churn_reason"] = "; ".join(reasons) or None
    return facts


def _order_facts(orders: Sequence[Event], currency: CurrencySettings) -> dict[str, Any]:
    per_currency: dict[str, float] = {}
    for o in orders:
        code = (o.currency or currency.base).upper()
        per_currency[code] = per_currency.get(code, 0.0) + (o.amount or 0.0)
    rates = {**currency.rates, currency.base: 1.0}
    total = sum(v * rates[c] for c, v in per_currency.items() if c in rates)
    gaps = [
        _days(parse_time(b.at) - parse_time(a.at)) for a, b in zip(orders, orders[1:], strict=False)
    ]
    return {
        "orders": len(orders),
        "revenue_by_currency": {c: round(v, 2) for c, v in sorted(per_currency.items())},
        "revenue": round(total, 2),
        "revenue_currency": currency.base,
        "unconverted_currencies": sorted(c for c in per_currency if c not in rates),
        "first_order_at": orders[0].at if orders else None,
        "last_order_at": orders[-1].at if orders else None,
        "avg_interval_days": round(statistics.fmean(gaps), 1) if gaps else None,
        "usual_interval_days": round(statistics.median(gaps), 1) if gaps else None,
    }


def lifecycle_stage(
    orders: int, since_last: float | None, usual: float | None, settings: FactSettings
) -> str:
    if orders == 0 or since_last is None:
        return "lead"
    if usual:
        if since_last > settings.lost_factor * usual:
            return "lost"
        if since_last > settings.dormant_factor * usual:
            return "dormant"
    else:
        if since_last > settings.lost_after_days:
            return "lost"
        if since_last > settings.dormant_after_days:
            return "dormant"
    return "first_purchase" if orders == 1 else "repeat"


def _score(value: float, best: float, good: float, *, lower_is_better: bool = False) -> int:
    if lower_is_better:
        return 3 if value <= best else 2 if value <= good else 1
    return 3 if value >= best else 2 if value >= good else 1


def monetary_score(
    revenue_by_currency: dict[str, float], currency: CurrencySettings, settings: FactSettings
) -> tuple[int | None, int]:
    """The RFM ``m`` (``None`` when a currency without a rate keeps it from being judged)
    and the least ``m`` can be, by the rule in the module docstring."""
    rates = {**currency.rates, currency.base: 1.0}
    known = sum(v * rates[c] for c, v in revenue_by_currency.items() if c in rates)
    unconverted = [v for c, v in revenue_by_currency.items() if c not in rates and v != 0]
    score = _score(known, *settings.monetary) if known > 0 else 1
    if not unconverted:
        return score, score
    if any(v < 0 for v in unconverted):
        return None, 1  # what converts is no lower bound when the rest may subtract
    if score == 3:
        return 3, 3  # the top score whatever the unconverted rest adds
    return None, score


def rfm(
    orders: int, since_last: float | None, m: int | None, settings: FactSettings
) -> dict[str, int | None] | None:
    if orders == 0 or since_last is None:
        return None
    return {
        "r": _score(since_last, *settings.recency_days, lower_is_better=True),
        "f": _score(orders, *settings.frequency_orders),
        "m": m,
    }


def value_tier(
    scores: dict[str, int | None] | None, settings: FactSettings, *, m_at_least: int = 1
) -> str:
    if scores is None:
        return "none"
    m = scores["m"]
    rf = sum(v for k, v in scores.items() if k != "m" and v is not None)
    # an unknown m: r + f scaled to the three scores' range, floored by the known bound
    total = float(rf + m) if m is not None else max(rf * 1.5, float(rf + m_at_least))
    a, b = settings.tier_scores
    return "A" if total >= a else "B" if total >= b else "C"


def churn_reasons(
    events: Sequence[Event],
    since_last: float | None,
    usual: float | None,
    as_of: datetime,
    settings: FactSettings,
) -> list[str]:
    reasons: list[str] = []
    if since_last is not None:
        if usual:
            ratio = since_last / usual
            if ratio > settings.churn_factor:
                reasons.append(f"no order for {ratio:.1f}x the usual interval")
        elif since_last > settings.dormant_after_days:
            reasons.append(f"no order for {since_last:.0f} days")
    window = timedelta(days=settings.complaint_window_days)
    complaints = sum(
        1
        for e in events
        if e.kind == "ticket" and timedelta(0) <= as_of - parse_time(e.at) <= window
    )
    if complaints >= settings.complaints_for_risk:
        reasons.append(f"{complaints} complaints in {settings.complaint_window_days} days")
    return reasons
