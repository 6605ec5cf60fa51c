"""Pricing bands, pro-ration and invoices: exact figures, boundaries, leap years and month ends."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing.invoice import CustomerUsage, InvalidPeriod, Period, preview_invoice
from core.billing.pricing import InvalidPlan, PricePlan, band_index, monthly_user_charge

D = Decimal
RATES = (D("3.00"), D("2.50"), D("2.00"), D("1.50"))
VOLUME = PricePlan("USD", RATES, branded_outputs_addon=D("10.00"), weekly_cadence_addon=D("5.00"))
TIERED = PricePlan("USD", RATES, model="tiered")


def _daily(start: date, end: date, users: int) -> dict[date, int]:
    return {start + timedelta(days=i): users for i in range((end - start).days + 1)}


@pytest.mark.parametrize(
    ("users", "band"),
    [(0, 0), (999, 0), (1_000, 1), (1_001, 1), (4_999, 1), (5_000, 2), (24_999, 2), (25_000, 3), (10**6, 3)],
)
def test_band_boundaries(users: int, band: int) -> None:
    assert band_index(users) == band
    assert monthly_user_charge(VOLUME, users) == RATES[band] * users


def test_tiered_charges_each_user_at_the_band_they_fall_in() -> None:
    assert monthly_user_charge(TIERED, 999) == 999 * D("3.00")
    assert monthly_user_charge(TIERED, 1_000) == 999 * D("3.00") + 1 * D("2.50")
    assert monthly_user_charge(TIERED, 5_000) == 999 * D("3.00") + 4_000 * D("2.50") + 1 * D("2.00")
    assert monthly_user_charge(TIERED, 25_001) == (
        999 * D("3.00") + 4_000 * D("2.50") + 20_000 * D("2.00") + 2 * D("1.50")
    )


@given(st.integers(min_value=0, max_value=60_000))
def test_tiered_never_undercuts_volume_and_grows_with_each_user(users: int) -> None:
    # Rates fall as bands grow, so charging early users at higher rates can only cost more.
    assert monthly_user_charge(TIERED, users) >= monthly_user_charge(VOLUME, users)
    assert monthly_user_charge(TIERED, users + 1) > monthly_user_charge(TIERED, users)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"band_rates": (D("-1"), D("1"), D("1"), D("1"))}, "bandRates[0]"),
        ({"band_rates": (D("2"), D("3"), D("1"), D("1"))}, "bandRates[1]"),
        ({"band_rates": (D("2"), D("1"))}, "bandRates"),
        ({"currency": "XYZ"}, "currency"),
        ({"branded_outputs_addon": D("-5")}, "brandedOutputsAddon"),
        ({"band_rates": (D("NaN"), D("1"), D("1"), D("1"))}, "bandRates[0]"),
    ],
)
def test_bad_plans_name_the_field(kwargs: dict[str, object], field: str) -> None:
    values: dict[str, object] = {"currency": "USD", "band_rates": RATES, **kwargs}
    with pytest.raises(InvalidPlan, match=field.replace("[", r"\[").replace("]", r"\]")):
        PricePlan(**values)  # type: ignore[arg-type]


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidPeriod, match="end"):
        Period(date(2026, 3, 2), date(2026, 3, 1))


def test_a_month_with_customers_added_and_cancelled_matches_the_hand_computed_invoice() -> None:
    feb = Period(date(2026, 2, 1), date(2026, 2, 28))
    customers = [
        CustomerUsage("a", "Always", date(2025, 6, 1), None, _daily(feb.start, feb.end, 600), branded=True),
        CustomerUsage(
            "b",
            "Joined 15th",
            date(2026, 2, 15),
            None,
            _daily(date(2026, 2, 15), feb.end, 500),
            weekly_summaries=True,
        ),
        CustomerUsage("c", "Left 10th", date(2025, 1, 1), date(2026, 2, 10), _daily(feb.start, feb.end, 300)),
    ]
    invoice = preview_invoice(VOLUME, feb, customers)
    # Daily totals: 10 days x 900, 4 days x 600, 14 days x 1,100 -> average 26,800 / 28 = 957.14: band 1.
    assert invoice.basis_total_users == D("957.14")
    assert (invoice.band, invoice.rate) == (1, D("3.00"))
    by_id = {line.customer_id: line for line in invoice.lines}
    assert (by_id["a"].user_amount, by_id["a"].branded_amount, by_id["a"].amount) == (
        D("1800.00"),
        D("10.00"),
        D("1810.00"),
    )
    assert (by_id["b"].active_days, by_id["b"].user_amount, by_id["b"].weekly_amount) == (
        14,
        D("750.00"),
        D("2.50"),
    )
    assert (by_id["c"].active_days, by_id["c"].user_amount) == (10, D("321.43"))  # 300 x 10/28 x 3.00
    assert invoice.total == D("2883.93")

    peak = preview_invoice(
        PricePlan(
            "USD", RATES, band_basis="peak", branded_outputs_addon=D("10.00"), weekly_cadence_addon=D("5.00")
        ),
        feb,
        customers,
    )
    assert (peak.band, peak.rate, peak.total) == (2, D("2.50"), D("2405.36"))


@given(
    st.integers(min_value=2000, max_value=2100),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=100_000),
)
def test_a_whole_month_costs_the_monthly_price_exactly_in_any_month(
    year: int, month: int, users: int
) -> None:
    last = calendar.monthrange(year, month)[1]
    period = Period(date(year, month, 1), date(year, month, last))
    customer = CustomerUsage("x", "X", date(year, month, 1), None, _daily(period.start, period.end, users))
    invoice = preview_invoice(VOLUME, period, [customer])
    assert invoice.lines[0].user_amount == (invoice.rate * users).quantize(D("0.01"))


@given(st.integers(min_value=2000, max_value=2100), st.integers(min_value=1, max_value=12), st.data())
def test_pro_ration_is_by_the_days_active_in_that_month(year: int, month: int, data: st.DataObject) -> None:
    last = calendar.monthrange(year, month)[1]
    added = data.draw(st.integers(min_value=1, max_value=last))
    cancelled = data.draw(st.integers(min_value=added, max_value=last))
    period = Period(date(year, month, 1), date(year, month, last))
    users = data.draw(st.integers(min_value=1, max_value=900))  # below the first step: rate 3.00
    customer = CustomerUsage(
        "x",
        "X",
        date(year, month, added),
        date(year, month, cancelled),
        _daily(period.start, period.end, users),
    )
    (line,) = preview_invoice(VOLUME, period, [customer]).lines
    days = cancelled - added + 1
    assert line.active_days == days
    expected = (D("3.00") * users * days / last).quantize(D("0.01"))
    assert abs(line.user_amount - expected) <= D("0.01")


def test_leap_february_and_a_period_across_a_month_end() -> None:
    leap = Period(date(2028, 2, 1), date(2028, 2, 29))
    whole = CustomerUsage("x", "X", date(2027, 1, 1), None, _daily(leap.start, leap.end, 100))
    assert preview_invoice(VOLUME, leap, [whole]).lines[0].user_amount == D("300.00")
    half = CustomerUsage("y", "Y", date(2028, 2, 15), None, _daily(leap.start, leap.end, 100))
    assert preview_invoice(VOLUME, leap, [half]).lines[0].user_amount == (D("300") * 15 / 29).quantize(
        D("0.01")
    )

    span = Period(date(2026, 1, 15), date(2026, 2, 14))  # 17 days of January, 14 of February 2026
    customer = CustomerUsage("z", "Z", date(2025, 1, 1), None, _daily(span.start, span.end, 100))
    (line,) = preview_invoice(VOLUME, span, [customer]).lines
    assert line.user_amount == (D("300") * (D(17) / 31 + D(14) / 28)).quantize(D("0.01"))


def test_yen_has_no_minor_unit() -> None:
    plan = PricePlan("JPY", (D("450"), D("400"), D("350"), D("300")))
    period = Period(date(2026, 4, 1), date(2026, 4, 30))
    customer = CustomerUsage("x", "X", date(2026, 4, 11), None, _daily(period.start, period.end, 7))
    assert preview_invoice(plan, period, [customer]).lines[0].user_amount == D("2100")  # 450 x 7 x 20/30
