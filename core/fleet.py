"""The fleet view: an org's customers with their posture, from one single-partition read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from core.customers import ConnectionState, Customer, list_customers
from core.posture import effective
from core.store import OrgRepository

SortKey = Literal["name", "score", "lastScan", "openPriority", "failing", "state"]
SORT_KEYS: tuple[str, ...] = ("name", "score", "lastScan", "openPriority", "failing", "state")


@dataclass(frozen=True)
class FleetFilter:
    state: ConnectionState | None = None
    min_score: float | None = None
    max_score: float | None = None
    name: str | None = None  # case-insensitive substring of the display name or primary domain
    sort: SortKey = "name"
    descending: bool = False
    tag: str | None = None  # one of the customer's tags, ignoring case


@dataclass(frozen=True)
class FleetRow:
    customer: Customer
    score: float | None
    open_priority_count: int
    accepted_count: int

    @property
    def trend(self) -> list[float | None]:
        return [p.score for p in self.customer.summary.trend]


def _matches(row: FleetRow, wanted: FleetFilter) -> bool:
    c = row.customer
    if wanted.state is not None and c.connection.state is not wanted.state:
        return False
    if wanted.name and wanted.name.lower() not in f"{c.display_name} {c.primary_domain}".lower():
        return False
    if wanted.tag and wanted.tag.lower() not in {t.lower() for t in c.tags}:
        return False
    if wanted.min_score is not None and (row.score is None or row.score < wanted.min_score):
        return False
    return not (wanted.max_score is not None and (row.score is None or row.score > wanted.max_score))


def _sort_value(row: FleetRow, key: SortKey) -> tuple[int, object]:
    """Rows without a value (never scanned) sort last in either direction."""
    c = row.customer
    value: object = {
        "name": c.display_name.lower(),
        "score": row.score,
        "lastScan": c.summary.last_scan_at,
        "openPriority": row.open_priority_count,
        "failing": c.summary.failing_count,
        "state": c.connection.state.value,
    }[key]
    return (0, value) if value is not None else (1, 0)


async def fleet_view(org: OrgRepository, wanted: FleetFilter, now: datetime) -> list[FleetRow]:
    rows = []
    for customer in await list_customers(org):
        posture = effective(customer.summary, now)
        rows.append(
            FleetRow(customer, posture.score, posture.open_priority_count, len(posture.accepted_check_ids))
        )
    rows = [r for r in rows if _matches(r, wanted)]
    present = [r for r in rows if _sort_value(r, wanted.sort)[0] == 0]
    absent = [r for r in rows if _sort_value(r, wanted.sort)[0] == 1]
    present.sort(key=lambda r: _sort_value(r, wanted.sort)[1], reverse=wanted.descending)  # type: ignore[arg-type,return-value]
    return present + absent


async def fleet_tags(org: OrgRepository) -> list[str]:
    """Every tag in use in the org, once each (ignoring case), sorted: what the fleet filters by."""
    seen: dict[str, str] = {}
    for customer in await list_customers(org):
        for tag in customer.tags:
            seen.setdefault(tag.lower(), tag)
    return sorted(seen.values(), key=str.lower)


def fleet_table(customers: list[Customer]) -> str:
    """A plain-text table for the terminal (demo, CLI)."""
    rows = [f"{'customer':<34} {'score':>6} {'open P1':>8} {'failing':>8}  state"]
    for c in customers:
        score = "-" if c.summary.score is None else f"{c.summary.score:.1f}"
        rows.append(
            f"{c.display_name[:34]:<34} {score:>6} {c.summary.open_priority_count:>8} "
            f"{c.summary.failing_count:>8}  {c.connection.state.value}"
        )
    return "\n".join(rows)
