"""Billing use cases for MSP admins: the price plan, cancelling a customer, the invoice preview,
and the daily metering job. Every change is audited."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from core import errors
from core.audit import Actor, record
from core.billing.invoice import CustomerUsage, Invoice, Period, preview_invoice
from core.billing.metering import carry_over, usage_between
from core.billing.pricing import InvalidPlan, PricePlan
from core.branding import BrandingScope, read_branding
from core.customers import (
    ConnectionState,
    Customer,
    get_customer_by_id,
    list_customers,
    update_customer_by_id,
)
from core.ports import Services
from core.store.documents import BILLING_PLAN, PLAN_ID


class BillingRefused(errors.Refused, ValueError):
    """A billing request that cannot be done; the message names the field."""


def plan_from_document(doc: dict[str, Any]) -> PricePlan:
    return PricePlan(
        currency=doc["currency"],
        band_rates=tuple(Decimal(r) for r in doc["bandRates"]),  # type: ignore[arg-type]
        model=doc["model"],
        branded_outputs_addon=Decimal(doc["brandedOutputsAddon"]),
        weekly_cadence_addon=Decimal(doc["weeklyCadenceAddon"]),
        band_basis=doc["bandBasis"],
    )


def plan_to_document(plan: PricePlan) -> dict[str, Any]:
    # Amounts are stored as strings: JSON numbers would come back as floats.
    return {
        "currency": plan.currency,
        "bandRates": [str(r) for r in plan.band_rates],
        "model": plan.model,
        "brandedOutputsAddon": str(plan.branded_outputs_addon),
        "weeklyCadenceAddon": str(plan.weekly_cadence_addon),
        "bandBasis": plan.band_basis,
    }


async def get_plan(services: Services, org_id: str) -> PricePlan | None:
    stored = await services.store.org(org_id).find(PLAN_ID)
    return plan_from_document(stored.body) if stored else None


async def set_plan(services: Services, org_id: str, actor: Actor, plan: PricePlan) -> PricePlan:
    document = {
        "id": PLAN_ID,
        "type": BILLING_PLAN,
        **plan_to_document(plan),
        "updatedAt": datetime.now(UTC).isoformat(),
    }
    await services.store.org(org_id).upsert(document)
    await record(
        services.store,
        org_id=org_id,
        actor=actor,
        action="billing.plan_changed",
        target=plan_to_document(plan),
    )
    return plan


async def cancel_customer(
    services: Services, org_id: str, actor: Actor, customer_id: str, on: date
) -> Customer:
    """Record the cancellation date: after that day scans and billing stop, and the relationship
    opens only its customer record, no longer its tenant data (`Customer.active_on`)."""
    customer, _ = await get_customer_by_id(services.store.org(org_id), customer_id)
    if on < customer.created_at.date():
        raise BillingRefused("cancelledOn: before the customer was added")

    def cancel(c: Customer) -> None:
        c.cancelled_on = on

    cancelled = await update_customer_by_id(services.store.org(org_id), customer_id, cancel)
    await record(
        services.store,
        org_id=org_id,
        actor=actor,
        tenant_id=customer.tenant_id,
        action="billing.customer_cancelled",
        target={"customerId": customer_id, "cancelledOn": str(on)},
    )
    return cancelled


async def _branded(services: Services, org_id: str, customer: Customer, fleet: dict[str, Any] | None) -> bool:
    own = await read_branding(services, BrandingScope(org_id, customer.customer_id))
    if own is not None:
        return own.get("enabled") is not False
    return fleet is not None


async def invoice_preview(services: Services, org_id: str, period: Period) -> Invoice:
    plan = await get_plan(services, org_id)
    if plan is None:
        raise BillingRefused("plan: set a price plan first (PUT /api/billing/plan)")
    org = services.store.org(org_id)
    usage: dict[str, dict[date, int]] = {}
    for row in await usage_between(org, period.start, period.end):
        usage.setdefault(row["customerId"], {})[date.fromisoformat(row["day"])] = int(row["managedUsers"])
    fleet = await read_branding(services, BrandingScope(org_id))
    customers = [
        CustomerUsage(
            customer_id=c.customer_id,
            name=c.display_name,
            added_on=c.created_at.date(),
            cancelled_on=c.cancelled_on,
            managed_users=usage.get(c.customer_id, {}),
            branded=await _branded(services, org_id, c, fleet),
            weekly_summaries=c.report_cadence == "weekly",
        )
        for c in await list_customers(org)
        # A customer still waiting for consent is not managed yet: nothing is billed for it.
        if c.connection.state is not ConnectionState.PENDING_CONSENT
    ]
    try:
        return preview_invoice(plan, period, customers)
    except InvalidPlan as exc:
        raise BillingRefused(str(exc)) from exc


async def meter_day(services: Services, day: date) -> int:
    """The daily job: carry the last known count over for customers no scan metered `day`.
    Cross-partition (all orgs), as billing jobs may be."""
    written = 0
    async for customer in services.store.connected_customers():
        if not customer.active_on(day):
            continue
        written += await carry_over(services.store.org(customer.org_id), customer, day)
    return written
