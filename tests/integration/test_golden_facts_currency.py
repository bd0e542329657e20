"""RFM with several currencies (issue 15): a missing rate never scores a spender as idle.

Hand-made histories, as of 2026-12-01, default thresholds: recency 90 / 365 days, frequency
5 / 2 orders, monetary 50,000 / 5,000 in the base currency (CNY), tiers A >= 8, B >= 6.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integration.golden.facts import Event, compute_facts, monetary_score, value_tier
from integration.sections.golden import CurrencySettings, FactSettings

AS_OF = datetime(2026, 12, 1, tzinfo=UTC)
USD_RATE = CurrencySettings(rates={"USD": 7.0})


def order(at: str, amount: float, currency: str | None, status: str = "done") -> Event:
    return Event("order", "kingdee", at, amount, currency, status)


def monthly(amount: float, currency: str | None, months: range = range(6, 12)) -> list[Event]:
    """One order on the 15th of each month (six by default: r = 3, f = 3)."""
    return [order(f"2026-{mm:02d}-15", amount, currency) for mm in months]


def test_a_customer_paying_only_in_a_currency_without_a_rate_is_not_scored_as_idle() -> None:
    # six recent orders of 2,000 EUR and a cancelled one of 90,000 EUR; no EUR rate
    events = [*monthly(2_000.0, "EUR"), order("2026-11-20", 90_000.0, "EUR", "cancelled")]
    facts = compute_facts(events, [], AS_OF, FactSettings(), USD_RATE)
    assert facts["revenue_by_currency"] == {"EUR": 12_000.0}  # the cancelled one left out
    assert facts["revenue"] == 0.0 and facts["unconverted_currencies"] == ["EUR"]
    # before: m = 1 (as if they spent nothing) and tier B; m cannot be judged here, so the
    # tier is r + f (6) scaled to the three scores (9): A, like a CNY spender as steady
    assert facts["rfm"] == {"r": 3, "f": 3, "m": None}
    assert facts["value_tier"] == "A"


def test_every_currency_converts_so_m_scores_the_converted_total() -> None:
    # 6 x 150 USD = 900 USD = 6,300 CNY at 7.0, plus 100 CNY: 6,400 >= 5,000 -> m = 2
    events = [*monthly(150.0, "USD"), order("2026-06-01", 100.0, None)]
    facts = compute_facts(events, [], AS_OF, FactSettings(), USD_RATE)
    assert facts["revenue"] == 6_400.0 and facts["unconverted_currencies"] == []
    assert facts["rfm"] == {"r": 3, "f": 3, "m": 2} and facts["value_tier"] == "A"
    # without the USD rate the same history is judged on r and f, not scored m = 1
    unrated = compute_facts(events, [], AS_OF, FactSettings(), CurrencySettings())
    assert unrated["rfm"] == {"r": 3, "f": 3, "m": None}


def test_what_converts_reaching_the_top_threshold_is_m3_whatever_the_rest() -> None:
    events = [
        order("2025-01-10", 60_000.0, "CNY"),
        order("2025-02-10", 500.0, "EUR"),
    ]
    facts = compute_facts(events, [], AS_OF, FactSettings(), USD_RATE)
    assert facts["rfm"] == {"r": 1, "f": 2, "m": 3}  # 60,000 CNY alone is top
    assert facts["value_tier"] == "B"  # 1 + 2 + 3 = 6


def test_a_one_off_in_an_unrated_currency_long_ago_stays_a_low_tier() -> None:
    # m unknown does not inflate: r 1 + f 1, scaled, is 3 -> C, as a one-off long ago is
    facts = compute_facts([order("2025-01-10", 90_000.0, "JPY")], [], AS_OF)
    assert facts["rfm"] == {"r": 1, "f": 1, "m": None} and facts["value_tier"] == "C"


def test_an_unrated_currency_summing_to_zero_changes_nothing() -> None:
    events = [*monthly(200.0, "CNY"), order("2026-07-01", 0.0, "EUR")]
    facts = compute_facts(events, [], AS_OF)
    assert facts["unconverted_currencies"] == ["EUR"]
    assert facts["rfm"] == {"r": 3, "f": 3, "m": 1}  # 1,400 CNY: a small spender, known


def test_the_tier_is_never_below_what_the_converted_part_justifies() -> None:
    # 20,000 CNY (m 2 on its own) and 10 EUR, last order over a year ago, three orders
    events = [
        order("2025-01-10", 10_000.0, "CNY"),
        order("2025-02-10", 10_000.0, "CNY"),
        order("2025-03-10", 10.0, "EUR"),
    ]
    settings = FactSettings(tier_scores=(9, 5))
    assert monetary_score({"CNY": 20_000.0, "EUR": 10.0}, CurrencySettings(), settings) == (
        None,
        2,  # the EUR may only add to the 20,000: m is at least 2
    )
    facts = compute_facts(events, [], AS_OF, settings)
    assert facts["rfm"] == {"r": 1, "f": 2, "m": None}
    # r + f scaled is 4.5 (C); r + f + the least m is 5: B
    assert facts["value_tier"] == "B"
    assert value_tier(facts["rfm"], settings, m_at_least=1) == "C"


def test_a_negative_unrated_sum_leaves_m_unknown_with_no_lower_bound() -> None:
    m, at_least = monetary_score(
        {"CNY": 60_000.0, "EUR": -100.0}, CurrencySettings(), FactSettings()
    )
    assert (m, at_least) == (None, 1)


@pytest.mark.parametrize(
    ("rates", "expected_m"),
    [({"EUR": 7.8}, 3), ({}, None)],
)
def test_adding_the_missing_rate_turns_the_unknown_into_a_score(
    rates: dict[str, float], expected_m: int | None
) -> None:
    events = monthly(1_200.0, "EUR")  # 7,200 EUR = 56,160 CNY at 7.8
    facts = compute_facts(events, [], AS_OF, FactSettings(), CurrencySettings(rates=rates))
    assert facts["rfm"]["m"] == expected_m
