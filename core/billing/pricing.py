"""The MSP's price plan: a per-user monthly rate for each band of total managed users across the
fleet (steps at 1,000, 5,000 and 25,000), volume or tiered, plus add-ons, in one currency.

Money is `Decimal` throughout; nothing here ever touches a float.

- Volume pricing: the band the total reaches sets the rate for every user.
- Tiered pricing: each user is charged at the rate of the band they fall in (users 1-999 at the
  first rate, 1,000-4,999 at the second, and so on), like income tax brackets.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from core import errors

# The first user of each band after the first (the order form's steps).
BAND_STARTS = (1_000, 5_000, 25_000)
# ISO 4217 currencies an MSP may invoice in, with their minor-unit digits.
CURRENCIES: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "AUD": 2,
    "CAD": 2,
    "NZD": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "ZAR": 2,
    "SGD": 2,
    "INR": 2,
    "BRL": 2,
    "MXN": 2,
    "JPY": 0,
}
PricingModel = Literal["volume", "tiered"]


class InvalidPlan(errors.Refused, ValueError):
    """A price plan that cannot be used; the message names the field."""


@dataclass(frozen=True)
class PricePlan:
    currency: str
    band_rates: tuple[Decimal, Decimal, Decimal, Decimal]  # per user per month, bands 1-4
    model: PricingModel = "volume"
    branded_outputs_addon: Decimal = Decimal("0")  # per customer per month with branding on
    weekly_cadence_addon: Decimal = Decimal("0")  # per customer per month with weekly summaries
    band_basis: Literal["average", "peak"] = "average"

    def __post_init__(self) -> None:
        if self.currency not in CURRENCIES:
            raise InvalidPlan(f"currency: {self.currency!r} is not a supported ISO 4217 code")
        if len(self.band_rates) != len(BAND_STARTS) + 1:
            raise InvalidPlan(f"bandRates: give {len(BAND_STARTS) + 1} rates, one per band")
        for i, rate in enumerate(self.band_rates):
            if not rate.is_finite() or rate < 0:
                raise InvalidPlan(f"bandRates[{i}]: a rate is a non-negative amount")
        # Volume discounts: a larger band never costs more per user than a smaller one.
        for i in range(1, len(self.band_rates)):
            if self.band_rates[i] > self.band_rates[i - 1]:
                raise InvalidPlan(
                    f"bandRates[{i}]: must not exceed bandRates[{i - 1}] (rates fall as bands grow)"
                )
        for name, value in (
            ("brandedOutputsAddon", self.branded_outputs_addon),
            ("weeklyCadenceAddon", self.weekly_cadence_addon),
        ):
            if not value.is_finite() or value < 0:
                raise InvalidPlan(f"{name}: a non-negative amount")

    @property
    def minor_unit(self) -> Decimal:
        return Decimal(1).scaleb(-CURRENCIES[self.currency])


def band_index(total_users: int) -> int:
    """0 for fewer than 1,000 users, 1 from 1,000, 2 from 5,000, 3 from 25,000."""
    return sum(1 for start in BAND_STARTS if total_users >= start)


def monthly_user_charge(plan: PricePlan, total_users: int) -> Decimal:
    """The fleet's charge for `total_users` for one whole month, unrounded."""
    if total_users < 0:
        raise ValueError("total_users must not be negative")
    if plan.model == "volume":
        return plan.band_rates[band_index(total_users)] * total_users
    # Band k holds users numbered BAND_STARTS[k-1] .. BAND_STARTS[k]-1; the first holds 1 .. 999.
    charge, lower = Decimal(0), 0
    for rate, start in zip(plan.band_rates, (*BAND_STARTS, None), strict=True):
        upper = total_users if start is None else min(total_users, start - 1)
        if upper <= lower:
            break
        charge += rate * (upper - lower)
        lower = upper
    return charge


def effective_rate(plan: PricePlan, total_users: int) -> Decimal:
    """The average per-user monthly rate at this total (the volume rate, or tiered's blend)."""
    if total_users == 0:
        return plan.band_rates[0]
    return monthly_user_charge(plan, total_users) / total_users
