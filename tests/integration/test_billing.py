"""Billing through the API: metering from scans, the price plan, cancelling, invoice previews in
JSON, CSV and PDF, carry-over of usage, and bad input."""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from pypdf import PdfReader

from core.billing.metering import UserCounts, record_usage
from core.billing.service import meter_day
from core.bootstrap import Services
from core.customers import Customer, get_customer_by_id, register_customer, update_customer_by_id
from core.orgs import create_org
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from core.store.documents import usage_id
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from tests.world import World

PLAN = {
    "currency": "USD",
    "bandRates": ["3.00", "2.50", "2.00", "1.50"],
    "brandedOutputsAddon": "10.00",
    "weeklyCadenceAddon": "5.00",
}


def _admin(tokens: dict[str, str]) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens['billing_admin']}"}


async def _customer(
    services: Services, org_id: str, name: str, added: date, *, connected: bool = True, **kwargs: object
) -> Customer:
    customer = await register_customer(
        services.store.org(org_id),
        tenant_id=str(uuid.uuid4()) if connected else None,
        display_name=name,
        primary_domain=f"{name.split()[0].lower()}.example",
        connected=connected,
        **kwargs,
    )  # type: ignore[arg-type]

    def backdate(c: Customer) -> None:
        c.created_at = datetime.combine(added, datetime.min.time(), tzinfo=UTC)

    return await update_customer_by_id(services.store.org(org_id), customer.customer_id, backdate)


async def _meter(
    services: Services, org_id: str, customer: Customer, start: date, end: date, users: int
) -> None:
    day = start
    while day <= end:
        await record_usage(
            services.store.org(org_id), customer, day, UserCounts(users, 3), source="test", scan_id=None
        )
        day += timedelta(days=1)


async def test_a_scan_meters_enabled_members_and_counts_guests_apart(
    world: World, api_services: Services, graphsim: GraphSimulator
) -> None:
    fixture = synthetic_tenant(30, seed=random.randint(1, 10**6))
    members = sum(1 for u in fixture["users"] if u.get("accountEnabled") and u.get("userType") != "Guest")
    guests = sum(1 for u in fixture["users"] if u.get("accountEnabled") and u.get("userType") == "Guest")
    tenant_id = graphsim.load_tenant(fixture)
    org = api_services.store.org(world.org_e)
    customer = await register_customer(
        org, tenant_id=tenant_id, display_name="Metered Ltd", primary_domain="metered.example", connected=True
    )
    request = ScanRequest(org_id=world.org_e, tenant_id=tenant_id, request_id="meter-1", reason="manual")
    await handle_scan_request(api_services, json.dumps(request.to_message()))
    usage = (await org.get(usage_id(customer.customer_id, datetime.now(UTC).date()))).body
    assert (usage["managedUsers"], usage["guestUsers"], usage["source"]) == (members, guests, "scan")

    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert await meter_day(api_services, tomorrow) >= 1  # no scan that day: carried over
    carried = (await org.get(usage_id(customer.customer_id, tomorrow))).body
    assert carried["managedUsers"] == members and carried["source"].startswith("carried over")
    assert await meter_day(api_services, tomorrow) == 0  # idempotent


async def test_invoice_preview_matches_the_hand_computed_month(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, api_services: Services
) -> None:
    org_id = world.org_e
    await create_org(api_services.store, org_id, "Billing MSP", "msp")
    feb_1, feb_28 = date(2026, 2, 1), date(2026, 2, 28)
    always = await _customer(api_services, org_id, "Always Accounting", date(2025, 6, 1))
    joined = await _customer(
        api_services, org_id, "Joined Joinery", date(2026, 2, 15), report_cadence="weekly"
    )
    leaving = await _customer(api_services, org_id, "Leaving Legal", date(2025, 1, 1))
    waiting = await _customer(api_services, org_id, "Waiting Winery", date(2026, 1, 5), connected=False)
    await _meter(api_services, org_id, always, feb_1, feb_28, 600)
    await _meter(api_services, org_id, joined, date(2026, 2, 15), feb_28, 500)
    await _meter(api_services, org_id, leaving, feb_1, feb_28, 300)
    refused = await client.post(
        f"/api/customers/{leaving.customer_id}/cancel",
        headers=_admin(tokens),
        json={"cancelledOn": "2024-01-01"},
    )
    assert refused.status_code == 400 and "cancelledOn" in refused.json()["detail"]
    cancelled = await client.post(
        f"/api/customers/{leaving.customer_id}/cancel",
        headers=_admin(tokens),
        json={"cancelledOn": "2026-02-10"},
    )
    assert cancelled.status_code == 200
    # Branding on for "Always" only: a customer branding of its own, and no fleet branding.
    for branded in (always, waiting):
        await api_services.store.org(org_id).upsert(
            {"id": f"branding:customer:{branded.customer_id}", "type": "branding", "enabled": True}
        )
    assert (await client.put("/api/billing/plan", headers=_admin(tokens), json=PLAN)).status_code == 200

    preview = await client.get("/api/billing/invoice?start=2026-02-01&end=2026-02-28", headers=_admin(tokens))
    assert preview.status_code == 200, preview.text
    body = preview.json()
    # Only this org's three metered customers count; the metered-by-scan one has no February usage.
    lines = {line["customer"]: line for line in body["lines"] if line["averageUsers"] != "0.00"}
    assert (
        lines["Always Accounting"]["amount"],
        lines["Joined Joinery"]["amount"],
        lines["Leaving Legal"]["amount"],
    ) == ("1810.00", "752.50", "321.43")
    assert (body["band"], body["basisTotalUsers"]) == (1, "957.14")
    # Waiting for consent: not managed yet, so not billed, branded or not.
    assert "Waiting Winery" not in {line["customer"] for line in body["lines"]}

    as_csv = await client.get(
        "/api/billing/invoice?start=2026-02-01&end=2026-02-28&format=csv", headers=_admin(tokens)
    )
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0][:3] == ["customerId", "customer", "activeDays"] and rows[-1][1] == "Total"
    as_pdf = await client.get(
        "/api/billing/invoice?start=2026-02-01&end=2026-02-28&format=pdf", headers=_admin(tokens)
    )
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(as_pdf.content)).pages)
    assert "Prepared by Billing MSP" in text and body["total"] in text

    # Cancelled: no scans after its cancellation day.
    still, _ = await get_customer_by_id(api_services.store.org(org_id), leaving.customer_id)
    assert still.cancelled_on == date(2026, 2, 10) and not still.is_due(datetime.now(UTC))
    log = [e["action"] for e in (await client.get("/api/audit", headers=_admin(tokens))).json()]
    assert {"billing.plan_changed", "billing.customer_cancelled"} <= set(log)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PLAN, "bandRates": ["3.00", "-1", "2.00", "1.50"]}, "bandRates"),
        ({**PLAN, "bandRates": ["2.00", "2.50", "2.00", "1.50"]}, "bandRates[1]"),
        ({**PLAN, "currency": "ABC"}, "currency"),
        ({**PLAN, "model": "freemium"}, "model"),
        ({**PLAN, "bandRates": ["3.00", "2.50"]}, "bandRates"),
    ],
)
async def test_bad_plans_name_the_field(
    client: httpx.AsyncClient, tokens: dict[str, str], body: dict[str, object], field: str
) -> None:
    response = await client.put("/api/billing/plan", headers=_admin(tokens), json=body)
    assert response.status_code == 400, response.text
    assert field in response.json()["detail"]


async def test_bad_periods_and_roles(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    backwards = await client.get(
        "/api/billing/invoice?start=2026-03-02&end=2026-03-01", headers=_admin(tokens)
    )
    assert backwards.status_code == 400 and "end" in backwards.json()["detail"]
    missing = await client.get("/api/billing/invoice?start=2026-03-01", headers=_admin(tokens))
    assert missing.status_code == 400 and "end" in missing.json()["detail"]
    analyst = await client.get(
        "/api/billing/plan", headers={"authorization": f"Bearer {tokens['billing_analyst']}"}
    )
    assert analyst.status_code == 403
