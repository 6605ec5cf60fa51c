"""Customers of an org, as stored in the org's partition, with the denormalised posture summary
that the fleet view and cross-tenant search read in one single-partition query.

A customer record is a *relationship*: one org managing one Microsoft 365 tenant. Its id
(`customer_id`) is the partition of everything the org learns about the tenant, so two orgs that
manage the same tenant never share a finding, a scan or an audit entry, and a relationship added
again after removal starts empty. Only a relationship whose tenant's admin proved consent for this
org grants access to tenant data (`grants_access`)."""

from __future__ import annotations

import re
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Literal

from pydantic import Field

from core import errors
from core.store import Conflict, NotFound, OrgRepository, StoredItem
from core.store.documents import customer_document_id
from core.store.model import StoredModel

TREND_POINTS = 12
# Tags group customers for filtering the fleet: a few short labels, not free text.
MAX_TAGS = 10
MAX_TAG_LENGTH = 32
_TAG = re.compile(r"^[\w][\w .&+-]*$")
Cadence = Literal["daily", "weekly"]
CADENCE_INTERVAL: dict[str, timedelta] = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


class ConnectionState(StrEnum):
    PENDING_CONSENT = "pending_consent"
    CONNECTED = "connected"
    CONNECTION_LOST = "connection_lost"


class Connection(StoredModel):
    state: ConnectionState = ConnectionState.PENDING_CONSENT
    since: datetime | None = None
    error_code: str | None = None
    message: str | None = None


class TrendPoint(StoredModel):
    scan_id: str
    at: datetime
    score: float | None


class FailingCheck(StoredModel):
    severity: str
    evidence_count: int = 0
    first_seen_at: str | None = None
    last_seen_at: str | None = None


class PostureSummary(StoredModel):
    """The latest scan of a customer, denormalised into the org's partition so the fleet view and
    cross-tenant search are single-partition reads. `score` and `open_priority_count` are as of
    the last write; readers apply acceptances that expired since with `core.posture.effective`."""

    score: float | None = None
    score_change: float | None = None
    last_scan_id: str | None = None
    last_scan_at: datetime | None = None
    open_priority_count: int = 0
    failing_count: int = 0
    failing_check_ids: list[str] = Field(default_factory=list)
    unassessed_check_ids: list[str] = Field(default_factory=list)
    not_applicable_check_ids: list[str] = Field(default_factory=list)
    trend: list[TrendPoint] = Field(default_factory=list)
    scoring_method: str | None = None
    # Severity weights of the checks that passed, and of those that passed or failed.
    earned_weight: int = 0
    possible_weight: int = 0
    failing: dict[str, FailingCheck] = Field(default_factory=dict)
    # Risk acceptances in force: check id -> when it expires.
    acceptances: dict[str, datetime] = Field(default_factory=dict)
    # When an acceptance was last made, revoked or expired: "no change since last scan" must not
    # be said after one (summaries written before this field read None: no change known).
    acceptances_changed_at: datetime | None = None
    # Per scorecard profile, each framework section's met and assessed controls as of the last
    # scan, packed ("1.1=2/2 5.2=3/4", core.frameworks.scorecard.shares_of): the fleet compliance
    # matrix reads these, so it is one read of the org, never one per customer. Summaries written
    # before issue 22 have none.
    compliance: dict[str, str] = Field(default_factory=dict)


class Customer(StoredModel):
    id: str
    type: Literal["customer"] = "customer"
    customer_id: str
    org_id: str
    # Unknown until admin consent names it when the MSP did not know it up front.
    tenant_id: str | None
    display_name: str
    primary_domain: str
    cadence: Cadence = "weekly"
    report_recipients: list[str] = Field(default_factory=list)
    report_cadence: Literal["weekly", "monthly"] = "monthly"
    connection: Connection = Field(default_factory=Connection)
    summary: PostureSummary = Field(default_factory=PostureSummary)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # Set when the MSP cancels the customer: scans stop after it, billing ends with that day.
    cancelled_on: date | None = None
    # The MSP's own labels ("dental", "gold plan"); documents written before tags have none.
    tags: list[str] = Field(default_factory=list)

    @property
    def relationship_id(self) -> str:
        """The partition of this relationship's tenant-level data (DESIGN.md, data model)."""
        return self.customer_id

    def active_on(self, day: date) -> bool:
        """The one rule for a cancelled customer: managed (scanned, billed, readable) up to and
        including its cancellation day, and not after."""
        return self.cancelled_on is None or day <= self.cancelled_on

    def grants_access(self, day: date) -> bool:
        """Whether people may reach this relationship's tenant data on `day`. Pending consent
        means nobody at the tenant proved anything yet; a lost connection keeps its history
        readable; a cancelled relationship shows only its customer record."""
        proven = self.connection.state in (ConnectionState.CONNECTED, ConnectionState.CONNECTION_LOST)
        return proven and self.tenant_id is not None and self.active_on(day)

    def is_due(self, now: datetime) -> bool:
        if self.connection.state is not ConnectionState.CONNECTED or not self.active_on(now.date()):
            return False
        last = self.summary.last_scan_at
        return last is None or now - last >= CADENCE_INTERVAL[self.cadence]


class TenantAlreadyACustomer(errors.Conflict):
    field = "tenantId"

    def __init__(self, tenant_id: str, existing: str | None = None) -> None:
        # One relationship per org and tenant: no confirmation can add a second one.
        who = f" as {existing}" if existing else ""
        super().__init__(f"Tenant {tenant_id} is already a customer of this organisation{who}.")


class DomainAlreadyACustomer(errors.Conflict):
    """Another customer of the org has this primary domain: likely the same customer added twice,
    but a person may confirm it is a different tenant (a domain moved, a test tenant)."""

    field = "primaryDomain"
    confirm = "confirmDuplicate"

    def __init__(self, domain: str, existing: str) -> None:
        super().__init__(
            f"{existing} already has the primary domain {domain}. "
            "Add this customer anyway only if it is a different tenant."
        )


class InvalidTags(errors.Refused):
    field = "tags"


def clean_tags(tags: list[str]) -> list[str]:
    """The tags as stored: trimmed, duplicates (ignoring case) dropped, each checked; the first
    rule a tag breaks is the sentence the caller sees."""
    cleaned: list[str] = []
    for raw in tags:
        tag = " ".join(raw.split())
        if not tag:
            raise InvalidTags("A tag cannot be empty.")
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidTags(
                f"Each tag must be at most {MAX_TAG_LENGTH} characters; “{tag[:40]}” is longer."
            )
        if not _TAG.match(tag):
            raise InvalidTags(
                f"Tag “{tag}” may contain only letters, digits, spaces and the characters . & + - _."
            )
        if tag.lower() not in {t.lower() for t in cleaned}:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise InvalidTags(f"A customer can have at most {MAX_TAGS} tags; {len(cleaned)} were given.")
    return cleaned


async def find_customer(org: OrgRepository, tenant_id: str) -> tuple[Customer, str] | None:
    """The org's customer for a tenant (one single-partition query), with its etag."""
    rows = await org.customers_of_tenant(tenant_id)
    if not rows:
        return None
    return Customer.model_validate(rows[0].body), rows[0].etag


async def get_customer(org: OrgRepository, tenant_id: str) -> tuple[Customer, str]:
    found = await find_customer(org, tenant_id)
    if found is None:
        raise NotFound("customer", tenant_id)
    return found


async def get_customer_by_id(org: OrgRepository, customer_id: str) -> tuple[Customer, str]:
    stored = await org.get(customer_document_id(customer_id))
    return Customer.model_validate(stored.body), stored.etag


async def bump_fleet_version(org: OrgRepository) -> None:
    """Every change to an org's customers gets a new fleet version, written after the change;
    readers that cache the customer list (core.fleet) re-read when it moves."""
    await org.put_fleet_version(uuid.uuid4().hex)


async def save_new_customer(org: OrgRepository, customer: Customer) -> StoredItem:
    stored = await org.create(customer.to_document())
    await bump_fleet_version(org)
    return stored


async def update_customer(
    org: OrgRepository, tenant_id: str, change: Callable[[Customer], None], attempts: int = 8
) -> Customer:
    """Apply `change(customer) -> None` to the tenant's customer with optimistic concurrency."""
    customer, _ = await get_customer(org, tenant_id)
    return await update_customer_by_id(org, customer.customer_id, change, attempts)


async def update_customer_by_id(
    org: OrgRepository, customer_id: str, change: Callable[[Customer], None], attempts: int = 8
) -> Customer:
    """Re-read and re-apply on conflict, so concurrent writers (a scan finishing, an admin
    editing, a consent callback) never overwrite each other."""
    for _ in range(attempts):
        customer, etag = await get_customer_by_id(org, customer_id)
        change(customer)
        try:
            await org.replace(customer.to_document(), etag)
        except Conflict:
            continue
        await bump_fleet_version(org)
        return customer
    raise Conflict(customer_document_id(customer_id))


async def mark_connection_lost(
    org: OrgRepository, tenant_id: str, error_code: str | None, message: str
) -> Customer:
    """The tenant removed the app (or never had it): keep every record, stop scanning it."""

    def lose(customer: Customer) -> None:
        customer.connection = Connection(
            state=ConnectionState.CONNECTION_LOST,
            since=datetime.now(UTC),
            error_code=error_code,
            message=message[:300],
        )

    return await update_customer(org, tenant_id, lose)


async def register_customer(
    org: OrgRepository,
    *,
    tenant_id: str | None,
    display_name: str,
    primary_domain: str,
    cadence: Cadence = "weekly",
    report_recipients: list[str] | None = None,
    report_cadence: Literal["weekly", "monthly"] = "monthly",
    connected: bool = False,
    tags: list[str] | None = None,
) -> Customer:
    """Add a customer to an org. It starts pending consent; `connected=True` is for tenants
    whose consent is already known (tests and benchmarks that skip the consent flow)."""
    if tenant_id is not None and (existing := await find_customer(org, tenant_id)) is not None:
        raise TenantAlreadyACustomer(tenant_id, existing[0].display_name)
    now = datetime.now(UTC)
    new_id = uuid.uuid4().hex
    customer = Customer(
        id=customer_document_id(new_id),
        customer_id=new_id,
        org_id=org.org_id,
        tenant_id=tenant_id,
        display_name=display_name,
        primary_domain=primary_domain,
        cadence=cadence,
        report_recipients=report_recipients or [],
        report_cadence=report_cadence,
        tags=clean_tags(tags or []),
        connection=Connection(state=ConnectionState.CONNECTED, since=now) if connected else Connection(),
        created_at=now,
    )
    await save_new_customer(org, customer)
    return customer


# The org's customer list, cached per process while the org's fleet version is unchanged.


class CustomerList(list[Customer]):
    """The org's customers, sorted by name, with what is looked up in them worked out once for the
    list (which the cache hands out for as long as the fleet version holds)."""

    @cached_property
    def by_tenant(self) -> dict[str, Customer]:
        index: dict[str, Customer] = {}
        for c in self:
            if c.tenant_id is not None:
                index.setdefault(c.tenant_id, c)
        return index


class _FleetCache:
    """The customer list of recently read orgs, as parsed models, valid while the org's fleet
    version is unchanged. Reading 1,000 full customer documents and validating them costs about
    200 ms; checking the version is one point read. Per process, bounded, never shared state."""

    def __init__(self, capacity: int = 64) -> None:
        self._entries: OrderedDict[tuple[int, str], tuple[str, CustomerList]] = OrderedDict()
        self._capacity = capacity

    def get(self, key: tuple[int, str], version: str) -> CustomerList | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: tuple[int, str], version: str, customers: CustomerList) -> None:
        self._entries[key] = (version, customers)
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)


_cache = _FleetCache()


async def list_customers(org: OrgRepository) -> CustomerList:
    """The org's customers, sorted by name. Callers must not mutate them (they may be shared)."""
    version = await org.find_fleet_version()
    key = (id(org.container), org.org_id)
    if version is not None and (cached := _cache.get(key, version)) is not None:
        return cached
    customers = CustomerList(sorted(await org.customers(), key=lambda c: c.display_name.lower()))
    if version is not None:
        _cache.put(key, version, customers)
    return customers


async def customer_of_tenant(org: OrgRepository, tenant_id: str) -> Customer | None:
    """The org's customer for a tenant, on the request path (authorising a tenant route, a
    tenant's dashboard): through the app's own view of the org, from the customer list checked
    against the fleet version (one point read, where find_customer is a query), so as fresh as the
    fleet view: a change is seen once its writer moved the version, a moment after it is stored.
    Through any other view (a customer principal's narrow one) the one record is read as before:
    the list is the whole fleet's."""
    if type(org) is not OrgRepository:
        found = await find_customer(org, tenant_id)
        return None if found is None else found[0]
    return (await list_customers(org)).by_tenant.get(tenant_id)
