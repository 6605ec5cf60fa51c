"""Managed-user metering: what each customer counts for billing, day by day.

Each scan counts the tenant's managed users (enabled member accounts; guests counted apart) and
writes the day's usage record for that customer; a later scan the same day overwrites it (the
day's latest scan wins, and writing it twice changes nothing). The daily job carries the last
known count over to a day no scan ran. Usage lives in the org's partition, where invoices read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.customers import Customer
from core.store import OrgRepository
from core.store.documents import USAGE, usage_id


@dataclass(frozen=True)
class UserCounts:
    managed: int  # enabled member accounts
    guests: int  # enabled guests, reported apart and not billed


def count_users(users: Iterable[dict[str, Any]]) -> UserCounts:
    managed = guests = 0
    for user in users:
        if user.get("accountEnabled") is False:
            continue
        if str(user.get("userType") or "Member").lower() == "guest":
            guests += 1
        else:
            managed += 1
    return UserCounts(managed, guests)


async def record_usage(
    org: OrgRepository, customer: Customer, day: date, counts: UserCounts, *, source: str, scan_id: str | None
) -> None:
    await org.upsert(
        {
            "id": usage_id(customer.customer_id, day),
            "type": USAGE,
            "customerId": customer.customer_id,
            "day": day.isoformat(),
            "managedUsers": counts.managed,
            "guestUsers": counts.guests,
            "source": source,
            "scanId": scan_id,
        }
    )


async def usage_between(org: OrgRepository, start: date, end: date) -> list[dict[str, Any]]:
    """Usage records of every customer for days start..end (ISO dates compare as strings)."""
    return await org.usage_between(start, end)


async def carry_over(org: OrgRepository, customer: Customer, day: date, lookback_days: int = 62) -> bool:
    """Write `day`'s record from the last known one when no scan wrote it. Returns True if written."""
    if await org.find_usage(customer.customer_id, day) is not None:
        return False
    earlier = await org.usage_of_customer(
        customer.customer_id, since=day - timedelta(days=lookback_days), before=day
    )
    if not earlier:
        return False
    last = max(earlier, key=lambda u: u["day"])
    await record_usage(
        org,
        customer,
        day,
        UserCounts(last["managedUsers"], last["guestUsers"]),
        source=f"carried over from {last['day']}",
        scan_id=None,
    )
    return True
