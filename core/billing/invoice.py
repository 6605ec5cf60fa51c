"""Invoice preview for a billing period, with exact decimal arithmetic.

Rules (documented here because the numbers must be reproducible by hand):

- A customer is active from the day it was added to the day it was cancelled, both included.
- Charges accrue per day: one day of a monthly amount is that amount divided by the number of
  days in *that day's* calendar month. So a whole month costs the monthly amount exactly, February
  of a leap year has 29 shares, and a period spanning two months is charged month by month.
- The band is chosen from the fleet's total managed users over the period: the average of the
  daily totals (or the peak, if the plan says so). Under volume pricing every user pays that band's
  rate; under tiered pricing the fleet's tiered charge at that total is spread evenly over its
  users (the blended rate), so each customer carries its fair share.
- Each line's amount is rounded half-up to the currency's minor unit; the total is the sum of the
  rounded lines, so the invoice adds up exactly as printed.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from core import errors
from core.billing.pricing import PricePlan, band_index, effective_rate


class InvalidPeriod(errors.Refused, ValueError):
    """The billing period is not valid; the message names the field."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidPeriod("end: the period ends before it starts")
        if (self.end - self.start).days > 366:
            raise InvalidPeriod("end: a billing period is at most a year")

    def days(self) -> Iterator[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)


@dataclass(frozen=True)
class CustomerUsage:
    customer_id: str
    name: str
    added_on: date
    cancelled_on: date | None
    managed_users: Mapping[date, int]  # metered per day; a day without a record counts 0
    branded: bool = False
    weekly_summaries: bool = False

    def active_on(self, day: date) -> bool:
        return self.added_on <= day and (self.cancelled_on is None or day <= self.cancelled_on)


@dataclass(frozen=True)
class InvoiceLine:
    customer_id: str
    name: str
    active_days: int
    average_users: Decimal  # over its active days
    user_amount: Decimal
    branded_amount: Decimal
    weekly_amount: Decimal

    @property
    def amount(self) -> Decimal:
        return self.user_amount + self.branded_amount + self.weekly_amount


@dataclass(frozen=True)
class Invoice:
    period: Period
    currency: str
    model: str
    band_basis: str
    basis_total_users: Decimal  # the average (or peak) of the daily fleet totals
    band: int  # 1-4
    rate: Decimal  # per user per month applied to every line
    lines: list[InvoiceLine]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def month_fraction(counts: Mapping[date, int], active: Sequence[date]) -> Decimal:
    """Sum over active days of count/days-in-that-month, added up month by month so that a whole
    month of a constant count divides exactly (31 x N / 31 = N, with no repeating decimals)."""
    per_month: dict[tuple[int, int], int] = {}
    for day in active:
        key = (day.year, day.month)
        per_month[key] = per_month.get(key, 0) + counts.get(day, 0)
    return sum(
        (Decimal(total) / calendar.monthrange(year, month)[1] for (year, month), total in per_month.items()),
        Decimal(0),
    )


def _round(value: Decimal, unit: Decimal) -> Decimal:
    return value.quantize(unit, rounding=ROUND_HALF_UP)


def preview_invoice(plan: PricePlan, period: Period, customers: Sequence[CustomerUsage]) -> Invoice:
    days = list(period.days())
    totals = [sum(c.managed_users.get(d, 0) for c in customers if c.active_on(d)) for d in days]
    basis = Decimal(max(totals)) if plan.band_basis == "peak" else Decimal(sum(totals)) / len(days)
    # Bands start at whole users: an average of 999.6 has not reached 1,000.
    whole = int(basis)
    rate = effective_rate(plan, whole)
    unit = plan.minor_unit
    lines = []
    for customer in customers:
        active = [d for d in days if customer.active_on(d)]
        if not active:
            continue
        user_months = month_fraction(customer.managed_users, active)
        months = month_fraction({d: 1 for d in active}, active)
        average = Decimal(sum(customer.managed_users.get(d, 0) for d in active)) / len(active)
        lines.append(
            InvoiceLine(
                customer_id=customer.customer_id,
                name=customer.name,
                active_days=len(active),
                average_users=_round(average, Decimal("0.01")),
                user_amount=_round(rate * user_months, unit),
                branded_amount=_round(plan.branded_outputs_addon * months, unit)
                if customer.branded
                else Decimal(0),
                weekly_amount=_round(plan.weekly_cadence_addon * months, unit)
                if customer.weekly_summaries
                else Decimal(0),
            )
        )
    return Invoice(
        period,
        plan.currency,
        plan.model,
        plan.band_basis,
        _round(basis, Decimal("0.01")),
        band_index(whole) + 1,
        rate,
        lines,
    )
