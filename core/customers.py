"""Customers of an org, as stored in the org's partition, with the denormalised posture summary
that the fleet view and cross-tenant search read in one single-partition query."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from core.store import Conflict, OrgRepository, StoredItem

CUSTOMER_TYPE = "customer"
TREND_POINTS = 12
Cadence = Literal["daily", "weekly"]
CADENCE_INTERVAL: dict[str, timedelta] = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


class Document(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_document(self) -> dict[str, object]:
        return self.model_dump(by_alias=True, mode="json")


class ConnectionState(StrEnum):
    PENDING_CONSENT = "pending_consent"
    CONNECTED = "connected"
    CONNECTION_LOST = "connection_lost"


class Connection(Document):
    state: ConnectionState = ConnectionState.PENDING_CONSENT
    since: datetime | None = None
    error_code: str | None = None
    message: str | None = None


class TrendPoint(Document):
    scan_id: str
    at: datetime
    score: float | None


class PostureSummary(Document):
    score: float | None = None
    score_change: float | None = None
    last_scan_id: str | None = None
    last_scan_at: datetime | None = None
    open_priority_count: int = 0
    failing_count: int = 0
    failing_check_ids: list[str] = Field(default_factory=list)
    unassessed_check_ids: list[str] = Field(default_factory=list)
    trend: list[TrendPoint] = Field(default_factory=list)
    scoring_method: str | None = None


class Customer(Document):
    id: str
    type: Literal["customer"] = CUSTOMER_TYPE
    org_id: str
    tenant_id: str
    display_name: str
    primary_domain: str
    cadence: Cadence = "weekly"
    report_recipients: list[str] = Field(default_factory=list)
    connection: Connection = Field(default_factory=Connection)
    summary: PostureSummary = Field(default_factory=PostureSummary)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def is_due(self, now: datetime) -> bool:
        if self.connection.state is not ConnectionState.CONNECTED:
            return False
        last = self.summary.last_scan_at
        return last is None or now - last >= CADENCE_INTERVAL[self.cadence]


def customer_id(tenant_id: str) -> str:
    return f"customer:{tenant_id}"


async def get_customer(org: OrgRepository, tenant_id: str) -> tuple[Customer, str]:
    stored = await org.get(customer_id(tenant_id))
    return Customer.model_validate(stored.body), stored.etag


async def save_new_customer(org: OrgRepository, customer: Customer) -> StoredItem:
    return await org.create(customer.to_document())


async def update_customer(
    org: OrgRepository, tenant_id: str, change: Callable[[Customer], None], attempts: int = 8
) -> Customer:
    """Apply `change(customer) -> None` with optimistic concurrency, re-reading on conflict, so
    concurrent writers (a scan finishing, an admin editing) never overwrite each other."""
    for _ in range(attempts):
        customer, etag = await get_customer(org, tenant_id)
        change(customer)
        try:
            await org.replace(customer.to_document(), etag)
        except Conflict:
            continue
        return customer
    raise Conflict(customer_id(tenant_id))


async def mark_connection_lost(
    org: OrgRepository, tenant_id: str, error_code: str | None, message: str
) -> None:
    """The tenant removed the app (or never had it): keep every record, stop scanning it."""

    def lose(customer: Customer) -> None:
        customer.connection = Connection(
            state=ConnectionState.CONNECTION_LOST,
            since=datetime.now(UTC),
            error_code=error_code,
            message=message[:300],
        )

    await update_customer(org, tenant_id, lose)


async def register_customer(
    org: OrgRepository,
    *,
    tenant_id: str,
    display_name: str,
    primary_domain: str,
    cadence: Cadence = "weekly",
    connected: bool = False,
) -> Customer:
    """Add a customer to an org. It starts pending consent; `connected=True` is for tenants
    whose consent is already known (the demo, until onboarding runs the consent flow)."""
    now = datetime.now(UTC)
    customer = Customer(
        id=customer_id(tenant_id),
        org_id=org.org_id,
        tenant_id=tenant_id,
        display_name=display_name,
        primary_domain=primary_domain,
        cadence=cadence,
        connection=Connection(state=ConnectionState.CONNECTED, since=now) if connected else Connection(),
        created_at=now,
    )
    await save_new_customer(org, customer)
    return customer
