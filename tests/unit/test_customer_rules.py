"""The customer's own rules, each in one place: when a cancelled customer is still managed, and when
a relationship opens its tenant's data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.customers import Connection, ConnectionState, Customer
from core.store.documents import customer_document_id


def _customer(
    state: ConnectionState, cancelled_on: date | None = None, tenant: str | None = "t-1"
) -> Customer:
    return Customer(
        id=customer_document_id("c1"),
        customer_id="c1",
        org_id="org-1",
        tenant_id=tenant,
        display_name="Rules Ltd",
        primary_domain="rules.example",
        connection=Connection(state=state),
        cancelled_on=cancelled_on,
    )


@pytest.mark.parametrize(
    ("day", "active"), [(date(2026, 3, 30), True), (date(2026, 3, 31), True), (date(2026, 4, 1), False)]
)
def test_a_cancelled_customer_is_managed_up_to_and_including_its_cancellation_day(
    day: date, active: bool
) -> None:
    customer = _customer(ConnectionState.CONNECTED, date(2026, 3, 31))
    assert customer.active_on(day) is active
    assert customer.grants_access(day) is active
    assert customer.is_due(datetime.combine(day, datetime.min.time(), UTC)) is active


@pytest.mark.parametrize(
    ("state", "tenant", "opens"),
    [
        (ConnectionState.PENDING_CONSENT, "t-1", False),  # nobody at the tenant proved anything yet
        (ConnectionState.PENDING_CONSENT, None, False),
        (ConnectionState.CONNECTED, "t-1", True),
        (ConnectionState.CONNECTION_LOST, "t-1", True),  # its history stays readable
    ],
)
def test_only_a_proven_relationship_opens_its_tenant_data(
    state: ConnectionState, tenant: str | None, opens: bool
) -> None:
    assert _customer(state, tenant=tenant).grants_access(date(2026, 3, 1)) is opens
