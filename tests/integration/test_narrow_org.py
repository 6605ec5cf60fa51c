"""The narrow read of the org partition a customer principal gets (core/store/narrow_org.py),
attacked through a route that forgets to authorise: a customer's people may read their own
customer record, their tenant's members and the branding they are shown, and nothing else of
their provider's partition — not the fleet, not another customer's record, not API keys, webhooks
or billing, and they may write nothing there outside their own tenant's documents.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from core.bootstrap import LazyServices, Services
from core.customers import find_customer
from core.settings import Settings
from core.store import AccessDenied, NotFound, StoredItem
from core.store.narrow_org import NarrowOrgRepository, OrgView
from core.store.resource_tokens import Mode
from core.store.scope import enter_scope, leave_scope
from functions.api import API_PREFIX, create_api
from functions.api.auth import PrincipalDep
from functions.api.deps import ServicesDep
from tests.world import World

forgetful = APIRouter()


@forgetful.get("/test-only/org-customers")
async def list_fleet(org: str, principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    """Forgets authorisation and lists an org's whole fleet."""
    return {"names": [c.display_name for c in await services.store.org(org).customers()]}


@forgetful.get("/test-only/org-customer")
async def one_customer(
    org: str, tenant: str, principal: PrincipalDep, services: ServicesDep
) -> dict[str, Any]:
    """Forgets authorisation and reads the customer record of any tenant of any org."""
    found = await find_customer(services.store.org(org), tenant)
    return {"name": found[0].display_name if found else None}


@forgetful.get("/test-only/org-keys")
async def api_keys(org: str, principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    return {"keys": await services.store.org(org).api_keys()}


@pytest.fixture
async def attack(api_settings: Settings, api_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    services = LazyServices(api_settings)
    app = create_api(services)
    app.include_router(forgetful, prefix=API_PREFIX)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await services.close()


def _as(tokens: dict[str, str], person: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[person]}"}


async def test_a_customer_cannot_list_the_providers_fleet(
    attack: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    answer = await attack.get(
        "/api/test-only/org-customers", params={"org": world.org_a}, headers=_as(tokens, "customer_viewer_x")
    )
    assert answer.status_code == 403 and "Yew Tree" not in answer.text
    msp = await attack.get(
        "/api/test-only/org-customers", params={"org": world.org_a}, headers=_as(tokens, "msp_analyst_a")
    )
    assert msp.status_code == 200 and "Yew Tree Legal" in msp.json()["names"]  # the route does forget


async def test_a_customer_reads_its_own_record_and_no_other(
    attack: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    viewer = _as(tokens, "customer_viewer_x")
    own = await attack.get(
        "/api/test-only/org-customer", params={"org": world.org_a, "tenant": world.tenant_x}, headers=viewer
    )
    assert own.status_code == 200 and own.json()["name"] == "Xylophone Dental"
    other = await attack.get(
        "/api/test-only/org-customer", params={"org": world.org_a, "tenant": world.tenant_y}, headers=viewer
    )
    assert other.status_code == 403 and "Yew" not in other.text
    elsewhere = await attack.get(
        "/api/test-only/org-customer", params={"org": world.org_b, "tenant": world.tenant_z}, headers=viewer
    )
    assert elsewhere.status_code == 403 and "Zephyr" not in elsewhere.text


async def test_a_customer_admin_cannot_read_the_providers_api_keys(
    attack: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    answer = await attack.get(
        "/api/test-only/org-keys", params={"org": world.org_a}, headers=_as(tokens, "customer_admin_x")
    )
    assert answer.status_code == 403


@pytest.fixture
def narrow(api_services: Services, world: World) -> NarrowOrgRepository:
    """The org partition as customer X's people see it, outside any request."""
    x = world.customers[world.tenant_x]
    view = OrgView(frozenset({world.tenant_x}), frozenset({x.customer_id}))
    token = enter_scope(None)
    try:
        base = api_services.store.org(world.org_a)
    finally:
        leave_scope(token)
    return NarrowOrgRepository(base.container, world.org_a, view)


async def test_point_reads_outside_the_view_look_missing(narrow: NarrowOrgRepository, world: World) -> None:
    y = world.customers[world.tenant_y]
    with pytest.raises(NotFound):
        await narrow.get(y.id)  # exists, but not for X's people: no hint that it does
    assert await narrow.find("billing:plan") is None
    assert (await narrow.get(world.customers[world.tenant_x].id)).body["tenantId"] == world.tenant_x


async def test_writes_outside_the_view_are_refused(
    narrow: NarrowOrgRepository, api_services: Services, world: World
) -> None:
    y = world.customers[world.tenant_y]
    stored = await api_services.store.org(world.org_a).get(y.id)
    with pytest.raises(AccessDenied):
        await narrow.upsert({**stored.body, "displayName": "Taken over"})
    with pytest.raises(AccessDenied):  # disguised as X's own: the document it overwrites is Y's
        await narrow.upsert({**stored.body, "tenantId": world.tenant_x})
    with pytest.raises(AccessDenied):
        await narrow.delete(y.id)
    with pytest.raises(AccessDenied):
        await narrow.create({"id": "apikey:planted", "type": "api_key"})
    assert (await api_services.store.org(world.org_a).get(y.id)).body["displayName"] == "Yew Tree Legal"


async def test_the_scope_for_a_pending_relationship_shows_its_record_but_opens_no_partition(
    api_services: Services, world: World
) -> None:
    scope = await api_services.store.scope_for(
        {}, {world.org_a: OrgView(frozenset({world.tenant_x}), frozenset())}
    )
    assert scope is not None
    token = enter_scope(scope)
    try:
        with pytest.raises(AccessDenied):
            await api_services.store.relationship(world.customers[world.tenant_x].relationship_id).findings()
        with pytest.raises(AccessDenied):
            api_services.store.org(world.org_b)
        assert await find_customer(api_services.store.org(world.org_a), world.tenant_x) is not None
    finally:
        leave_scope(token)
    assert Mode.READ  # the modes are the broker's; nothing here minted a token


async def test_the_records_read_for_the_scope_are_reused_until_the_request_writes(
    api_services: Services, world: World
) -> None:
    """authorize and the routes read the customer's record again; the scope's read answers them,
    and a write through the view makes the next read go to the store."""
    x = world.customers[world.tenant_x]
    base = api_services.store.org(world.org_a)
    rows = {(world.org_a, world.tenant_x): await base.customers_of_tenant(world.tenant_x)}
    stale = {**rows[(world.org_a, world.tenant_x)][0].body, "displayName": "Stale"}
    rows[(world.org_a, world.tenant_x)] = [StoredItem(stale, "etag")]
    narrow = NarrowOrgRepository(
        base.container, world.org_a, OrgView(frozenset({world.tenant_x}), frozenset({x.customer_id})), rows
    )
    assert (await narrow.customers_of_tenant(world.tenant_x))[0].body["displayName"] == "Stale"
    with pytest.raises(NotFound):  # a write that changes nothing still makes the view forget
        await narrow.delete(f"member:nobody:nobody:{world.tenant_x}")
    assert (await narrow.customers_of_tenant(world.tenant_x))[0].body["displayName"] == "Xylophone Dental"
