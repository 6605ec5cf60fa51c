"""The fleet view: an org's customers with their posture, from one single-partition read."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from core.answers import until_next_change
from core.customers import ConnectionState, Customer, list_customers
from core.paging import BadPageToken, decode_page_token, encode_page_token, query_scope
from core.posture import effective
from core.scan.scoring import SCORE_BANDS, UNSCORED, ScoreBand, band_of
from core.store import OrgRepository

SortKey = Literal["name", "score", "lastScan", "openPriority", "failing", "state"]
SORT_KEYS: tuple[str, ...] = ("name", "score", "lastScan", "openPriority", "failing", "state")
BandFilter = Literal["good", "fair", "poor", "unscored"]

# A customer whose last scan is older than this (or a connected one never scanned) is stale:
# its posture may no longer be the tenant's (issue 18: "scans older than 7 days"). Weekly is the
# slowest cadence, so a healthy weekly customer is stale at most until the hourly timer's scan of
# it lands; one stale for longer is not being scanned (lost connection, failing scans).
STALE_AFTER = timedelta(days=7)
# The fleet's score distribution: how many customers score 0-9.9, 10-19.9, ... 90-100.
DISTRIBUTION_BUCKETS = 10


@dataclass(frozen=True)
class FleetFilter:
    state: ConnectionState | None = None
    min_score: float | None = None
    max_score: float | None = None
    name: str | None = None  # case-insensitive substring of the display name or primary domain
    sort: SortKey = "name"
    descending: bool = False
    tag: str | None = None  # one of the customer's tags, ignoring case
    band: BandFilter | None = None  # a score band, or "unscored" for customers without a score
    stale: bool | None = None  # True: only stale customers; False: only fresh ones
    open_priorities: bool = False  # only customers with open P1 findings


def is_stale(customer: Customer, now: datetime) -> bool:
    """Last scanned more than STALE_AFTER ago, or connected and never scanned. A customer
    cancelled before today is not scanned any more, so it is not stale either."""
    if not customer.active_on(now.date()):
        return False
    last = customer.summary.last_scan_at
    if last is None:
        return customer.connection.state is ConnectionState.CONNECTED
    return now - last > STALE_AFTER


@dataclass(frozen=True)
class FleetRow:
    customer: Customer
    score: float | None
    open_priority_count: int
    accepted_count: int
    stale: bool = False

    @property
    def trend(self) -> list[float | None]:
        return [p.score for p in self.customer.summary.trend]

    @property
    def band(self) -> ScoreBand | None:
        return band_of(self.score)


@dataclass(frozen=True)
class FleetSummary:
    """The fleet at a glance, over every customer of the org whatever the table shows."""

    customers: int
    scored: int  # customers with a score
    average_score: float | None  # of the scored customers, one decimal
    bands: dict[str, int]  # customers per score band, and "unscored"
    open_priorities: int  # open P1 findings across the fleet
    customers_with_open_priorities: int
    stale: int  # see is_stale
    connection_problems: int  # connection_lost
    distribution: list[int]  # customers per 10-point score bucket, 0-9.9 first, 90-100 last


def bucket_of(score: float) -> int:
    return min(int(score // (100 / DISTRIBUTION_BUCKETS)), DISTRIBUTION_BUCKETS - 1)


def summarise_fleet(rows: Sequence[FleetRow]) -> FleetSummary:
    """The tile figures and the score distribution, computed once for the API and the portal."""
    bands = {band: 0 for band, _, _ in SCORE_BANDS} | {UNSCORED: 0}
    distribution = [0] * DISTRIBUTION_BUCKETS
    total = 0.0
    open_priorities = with_open = stale = lost = 0
    # One pass: the fleet view computes this over every customer on every request.
    for r in rows:
        bands[r.band or UNSCORED] += 1
        if r.score is not None:
            total += r.score
            distribution[bucket_of(r.score)] += 1
        open_priorities += r.open_priority_count
        with_open += r.open_priority_count > 0
        stale += r.stale
        lost += r.customer.connection.state is ConnectionState.CONNECTION_LOST
    scored = sum(distribution)
    return FleetSummary(
        customers=len(rows),
        scored=scored,
        average_score=round(total / scored, 1) if scored else None,
        bands=bands,
        open_priorities=open_priorities,
        customers_with_open_priorities=with_open,
        stale=stale,
        connection_problems=lost,
        distribution=distribution,
    )


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
    if wanted.max_score is not None and (row.score is None or row.score > wanted.max_score):
        return False
    if wanted.band is not None and (row.band or UNSCORED) != wanted.band:
        return False
    if wanted.stale is not None and row.stale is not wanted.stale:
        return False
    return not (wanted.open_priorities and row.open_priority_count == 0)


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


@dataclass(frozen=True)
class FleetView:
    rows: list[FleetRow]  # those the filter keeps, sorted
    summary: FleetSummary  # of the whole fleet
    tags: list[str]  # every tag in use in the org, for the filter
    until: datetime  # when the time alone may change this view (core.answers.until_next_change)


async def fleet_overview(org: OrgRepository, wanted: FleetFilter, now: datetime) -> FleetView:
    """The filtered, sorted table and the summary of the whole fleet, from one read."""
    fleet = _fleet_rows(org, await list_customers(org), now)
    rows = [r for r in fleet.every if _matches(r, wanted)]
    present = [r for r in rows if _sort_value(r, wanted.sort)[0] == 0]
    absent = [r for r in rows if _sort_value(r, wanted.sort)[0] == 1]
    present.sort(key=lambda r: _sort_value(r, wanted.sort)[1], reverse=wanted.descending)  # type: ignore[arg-type,return-value]
    return FleetView(present + absent, fleet.summary, fleet.tags, fleet.until)


@dataclass(frozen=True)
class _FleetRows:
    """Every customer's row, the summary and the tags, whatever the filter: what a fleet view
    derives from the customer list and the time, the same for any `now` in [at, until)."""

    customers: list[Customer]  # the list they were derived from (list_customers hands out one a version)
    at: datetime
    every: list[FleetRow]
    summary: FleetSummary
    tags: list[str]
    until: datetime


_DERIVED: OrderedDict[tuple[int, str], _FleetRows] = OrderedDict()
_DERIVED_KEPT = 64


def _fleet_rows(org: OrgRepository, customers: list[Customer], now: datetime) -> _FleetRows:
    """The rows of the org's fleet at `now`, derived again only when the customer list (the fleet
    version) changed or the time passed a boundary (core.answers.until_next_change): every filter,
    sort and page of the fleet view shares them. Only for the app's own view of the org."""
    key = (id(org.container), org.org_id)
    kept = _DERIVED.get(key) if type(org) is OrgRepository else None
    if kept is not None and kept.customers is customers and kept.at <= now < kept.until:
        _DERIVED.move_to_end(key)
        return kept
    every = []
    for customer in customers:
        posture = effective(customer.summary, now)
        every.append(
            FleetRow(
                customer,
                posture.score,
                posture.open_priority_count,
                len(posture.accepted_check_ids),
                is_stale(customer, now),
            )
        )
    until = until_next_change(customers, now, STALE_AFTER)
    derived = _FleetRows(customers, now, every, summarise_fleet(every), tags_in_use(customers), until)
    if type(org) is OrgRepository:
        _DERIVED[key] = derived
        while len(_DERIVED) > _DERIVED_KEPT:
            _DERIVED.popitem(last=False)
    return derived


def forget_fleet_rows() -> None:
    """Benchmarks that measure deriving the rows (a fleet version just moved) start afresh."""
    _DERIVED.clear()


# The fleet view answers every matching customer unless the caller asks for pages (pageSize):
# the portal draws the whole table, an API client with 10,000 customers may want it in parts.
MAX_FLEET_PAGE = 1000
DEFAULT_FLEET_PAGE = 100


def fleet_page(
    rows: list[FleetRow], wanted: FleetFilter, org_id: str, page_size: int, page_token: str | None
) -> tuple[list[FleetRow], str | None]:
    """One page of the filtered, sorted rows and the token of the next. The token is an offset
    bound to the org and the filter (core.paging): a customer added or removed between two pages
    shifts the rows after it, as any offset would; the total says how many there are now."""
    scope = query_scope("fleet", org_id, repr(wanted))
    continuation = decode_page_token(page_token, scope)
    offset = 0 if continuation is None else _offset(continuation)
    end = offset + page_size
    return rows[offset:end], encode_page_token(scope, str(end) if end < len(rows) else None)


def _offset(continuation: str) -> int:
    if not continuation.isdigit():
        raise BadPageToken("pageToken is not a token this API issued")
    return int(continuation)


async def fleet_view(org: OrgRepository, wanted: FleetFilter, now: datetime) -> list[FleetRow]:
    return (await fleet_overview(org, wanted, now)).rows


def tags_in_use(customers: Iterable[Customer]) -> list[str]:
    """Every tag of these customers, once each (ignoring case), sorted: what the fleet filters by."""
    seen: dict[str, str] = {}
    for customer in customers:
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
