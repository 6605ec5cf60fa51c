"""Direct customers and removing a customer."""

from __future__ import annotations

import uuid

import httpx

from core.auth.principals import Membership, grant_membership
from core.auth.roles import Role
from core.bootstrap import Services
from core.customers import ConnectionState, find_customer, update_customer
from core.orgs import create_direct_customer, get_org
from tests.world import World


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_a_direct_customer_is_served_by_the_same_drill_down(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, api_services: Services
) -> None:
    person = world.people["direct_admin"]
    tenant_id = str(uuid.uuid4())
    org_id = f"direct-{uuid.uuid4().hex[:8]}"
    await create_direct_customer(
        api_services.store,
        org_id=org_id,
        name="Solo Bakery",
        tenant_id=tenant_id,
        primary_domain="solo-bakery.example",
        admin_tenant_id=person.tid,
        admin_object_id=person.oid,
        admin_name=person.name,
        admin_email=person.email,
    )
    assert (await get_org(api_services.store, org_id) or {})["kind"] == "direct"

    def connected(customer: object) -> None:
        customer.connection.state = ConnectionState.CONNECTED  # type: ignore[attr-defined]

    await update_customer(api_services.store.org(org_id), tenant_id, connected)
    response = await client.get(f"/api/tenants/{tenant_id}", headers=_bearer(tokens["direct_admin"]))
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Solo Bakery"
    # A customer admin, not an MSP: no fleet-wide powers.
    assert (await client.get("/api/audit", headers=_bearer(tokens["direct_admin"]))).status_code == 403
    assert (
        await client.get(f"/api/tenants/{world.tenant_x}", headers=_bearer(tokens["direct_admin"]))
    ).status_code == 403


async def test_removing_a_customer_revokes_its_people_and_is_audited(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, api_services: Services
) -> None:
    org = api_services.store.org(world.org_a)
    added = await client.post(
        "/api/customers",
        headers=_bearer(tokens["msp_admin_a"]),
        json={
            "displayName": "Short Lived Ltd",
            "primaryDomain": "short-lived.example",
            "tenantId": str(uuid.uuid4()),
        },
    )
    customer = added.json()["customer"]
    person = world.people["stranger"]
    await grant_membership(
        api_services.store,
        home_tenant_id=person.tid,
        object_id=person.oid,
        membership=Membership(world.org_a, Role.CUSTOMER_VIEWER, customer["tenantId"]),
        name=person.name,
        email=person.email,
    )
    assert (await client.get("/api/me", headers=_bearer(tokens["stranger"]))).status_code == 200

    removed = await client.delete(
        f"/api/customers/{customer['customerId']}", headers=_bearer(tokens["msp_admin_a"])
    )
    assert removed.status_code == 204
    assert await find_customer(org, customer["tenantId"]) is None
    assert (await client.get("/api/me", headers=_bearer(tokens["stranger"]))).status_code == 403
    log = (await client.get("/api/audit", headers=_bearer(tokens["msp_admin_a"]))).json()
    entry = next(
        e
        for e in log
        if e["action"] == "customer.removed" and e["target"]["customerId"] == customer["customerId"]
    )
    assert entry["actor"]["email"] == world.people["msp_admin_a"].email
    again = await client.delete(
        f"/api/customers/{customer['customerId']}", headers=_bearer(tokens["msp_admin_a"])
    )
    assert again.status_code == 404
