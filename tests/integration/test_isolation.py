"""Every operation in the OpenAPI document, called by a person of every role, by people of another
customer of the same MSP and of another MSP, by a signed-in stranger and anonymously.

Each route's required action is read from its `require(...)` dependency; the expected answer comes
from the roles table (core.auth.roles.RIGHTS). A route that is neither public nor guarded by
`require` fails this test, so a new route cannot slip in without coverage.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from core.auth.roles import TENANT_ACTIONS, Action, may
from core.bootstrap import LazyServices
from functions.api import API_PREFIX, ROUTERS, create_api
from functions.api.gate import PUBLIC_PATHS
from tests.world import Person, World

# Routes that need a signed-in person but no membership (how a person gets one, and who am I).
SIGNED_IN_ONLY = {("POST", "/api/invitations/accept"), ("GET", "/api/me")}

EXAMPLE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/customers"): {"displayName": "Probe Ltd", "primaryDomain": "probe.example"},
    ("POST", "/api/team/invitations"): {"email": "new.analyst@probe.example", "role": "msp_analyst"},
    ("POST", "/api/tenants/{tenant_id}/invitations"): {
        "email": "new.viewer@probe.example",
        "role": "customer_viewer",
    },
    ("POST", "/api/invitations/accept"): {"code": "not-a-real-invitation-code"},
    ("PATCH", "/api/team/members/{member_id}"): {"role": "customer_viewer"},
    ("PATCH", "/api/tenants/{tenant_id}/members/{member_id}"): {"role": "customer_viewer"},
    ("PUT", "/api/branding"): {"primary": "#123456"},
    ("PUT", "/api/billing/plan"): {"currency": "EUR", "bandRates": ["3", "2", "1", "1"]},
    ("POST", "/api/customers/{customer_id}/consent-link/email"): {"to": ["admin@probe.example"]},
    ("PATCH", "/api/customers/{customer_id}"): {"tags": ["probe"]},
    ("PUT", "/api/tenants/{tenant_id}/branding"): {"enabled": True},
    ("PUT", "/api/tenants/{tenant_id}/findings/{check_id}/acceptance"): {
        "justification": "probe of the authorisation matrix",
        "expiresAt": "2099-01-01T00:00:00Z",
    },
}


def _action(route: APIRoute) -> Action | None:
    """The action of the route's `require` dependency, searching the dependency tree."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        action = getattr(dependant.call, "action", None)
        if action is not None:
            return action  # type: ignore[no-any-return]
        stack.extend(dependant.dependencies)
    return None


def _operations() -> list[tuple[str, str, Action | None]]:
    operations = []
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in sorted(route.methods):
                operations.append((method, API_PREFIX + route.path, _action(route)))
    return operations


OPERATIONS = _operations()


def test_the_walked_routes_are_every_operation_in_the_openapi_document() -> None:
    spec = create_api(LazyServices()).openapi()["paths"]
    documented = {(m.upper(), p) for p, ops in spec.items() for m in ops}
    assert documented == {(m, p) for m, p, _ in OPERATIONS}


# The reviewed decision of which action each route needs. A new route must be added here.
ROUTE_ACTIONS: dict[tuple[str, str], Action] = {
    ("POST", "/api/customers"): Action.MANAGE_CUSTOMERS,
    ("GET", "/api/customers/{customer_id}"): Action.MANAGE_CUSTOMERS,
    ("POST", "/api/customers/{customer_id}/consent-link"): Action.MANAGE_CUSTOMERS,
    ("DELETE", "/api/customers/{customer_id}"): Action.MANAGE_CUSTOMERS,
    ("PATCH", "/api/customers/{customer_id}"): Action.MANAGE_CUSTOMERS,
    ("POST", "/api/customers/{customer_id}/consent-link/email"): Action.MANAGE_CUSTOMERS,
    ("GET", "/api/tenants/{tenant_id}"): Action.VIEW_TENANT,
    ("POST", "/api/team/invitations"): Action.MANAGE_TEAM,
    ("GET", "/api/team/members"): Action.MANAGE_TEAM,
    ("PATCH", "/api/team/members/{member_id}"): Action.MANAGE_TEAM,
    ("DELETE", "/api/team/members/{member_id}"): Action.MANAGE_TEAM,
    ("GET", "/api/org/home-tenants"): Action.MANAGE_TEAM,
    ("PUT", "/api/org/home-tenants"): Action.MANAGE_TEAM,
    ("POST", "/api/tenants/{tenant_id}/invitations"): Action.MANAGE_TENANT_USERS,
    ("GET", "/api/tenants/{tenant_id}/members"): Action.MANAGE_TENANT_USERS,
    ("PATCH", "/api/tenants/{tenant_id}/members/{member_id}"): Action.MANAGE_TENANT_USERS,
    ("DELETE", "/api/tenants/{tenant_id}/members/{member_id}"): Action.MANAGE_TENANT_USERS,
    ("GET", "/api/audit"): Action.VIEW_ORG_AUDIT,
    ("GET", "/api/tenants/{tenant_id}/audit"): Action.VIEW_TENANT_AUDIT,
    ("GET", "/api/fleet"): Action.VIEW_FLEET,
    ("GET", "/api/fleet/findings/export"): Action.VIEW_FLEET,
    ("GET", "/api/search"): Action.SEARCH_FLEET,
    ("GET", "/api/tenants/{tenant_id}/dashboard"): Action.VIEW_TENANT,
    ("GET", "/api/tenants/{tenant_id}/findings"): Action.VIEW_TENANT,
    ("GET", "/api/tenants/{tenant_id}/findings/export"): Action.VIEW_TENANT,
    ("GET", "/api/tenants/{tenant_id}/findings/{check_id}"): Action.VIEW_TENANT,
    ("GET", "/api/tenants/{tenant_id}/scans"): Action.VIEW_TENANT,
    ("POST", "/api/tenants/{tenant_id}/scans"): Action.RUN_SCAN,
    ("GET", "/api/tenants/{tenant_id}/scans/{scan_id}"): Action.VIEW_TENANT,
    ("GET", "/api/tenants/{tenant_id}/frameworks/{framework}"): Action.VIEW_TENANT,
    ("GET", "/api/tenants/{tenant_id}/scorecards/{profile_key}"): Action.VIEW_TENANT,
    ("GET", "/api/tenants/{tenant_id}/peers"): Action.VIEW_TENANT,
    ("GET", "/api/fleet/scorecards/{profile_key}"): Action.VIEW_FLEET,
    ("PUT", "/api/tenants/{tenant_id}/findings/{check_id}/acceptance"): Action.ACCEPT_RISK,
    ("DELETE", "/api/tenants/{tenant_id}/findings/{check_id}/acceptance"): Action.ACCEPT_RISK,
    ("GET", "/api/branding"): Action.MANAGE_FLEET_BRANDING,
    ("PUT", "/api/branding"): Action.MANAGE_FLEET_BRANDING,
    ("PUT", "/api/branding/logo"): Action.MANAGE_FLEET_BRANDING,
    ("GET", "/api/branding/logo"): Action.MANAGE_FLEET_BRANDING,
    ("GET", "/api/tenants/{tenant_id}/branding"): Action.VIEW_TENANT,
    ("PUT", "/api/tenants/{tenant_id}/branding"): Action.MANAGE_TENANT_BRANDING,
    ("PUT", "/api/tenants/{tenant_id}/branding/logo"): Action.MANAGE_TENANT_BRANDING,
    ("GET", "/api/tenants/{tenant_id}/branding/logo"): Action.VIEW_TENANT,
    ("POST", "/api/tenants/{tenant_id}/reports"): Action.GENERATE_REPORT,
    ("POST", "/api/tenants/{tenant_id}/reports/send"): Action.SEND_SUMMARY,
    ("GET", "/api/tenants/{tenant_id}/reports"): Action.VIEW_TENANT,
    ("GET", "/api/tenants/{tenant_id}/reports/{scan_id}"): Action.VIEW_TENANT,
    ("GET", "/api/tenants/{tenant_id}/reports/{scan_id}/link"): Action.VIEW_TENANT,
    ("GET", "/api/billing/plan"): Action.MANAGE_BILLING,
    ("PUT", "/api/billing/plan"): Action.MANAGE_BILLING,
    ("POST", "/api/customers/{customer_id}/cancel"): Action.MANAGE_BILLING,
    ("GET", "/api/billing/usage"): Action.MANAGE_BILLING,
    ("GET", "/api/billing/invoice"): Action.MANAGE_BILLING,
    ("GET", "/api/webhooks"): Action.MANAGE_WEBHOOKS,
    ("POST", "/api/webhooks"): Action.MANAGE_WEBHOOKS,
    ("POST", "/api/webhooks/{endpoint_id}/rotate-secret"): Action.MANAGE_WEBHOOKS,
    ("POST", "/api/webhooks/{endpoint_id}/enable"): Action.MANAGE_WEBHOOKS,
    ("POST", "/api/webhooks/{endpoint_id}/test"): Action.MANAGE_WEBHOOKS,
    ("GET", "/api/webhooks/{endpoint_id}/deliveries"): Action.MANAGE_WEBHOOKS,
    ("GET", "/api/api-keys"): Action.MANAGE_API_KEYS,
    ("POST", "/api/api-keys"): Action.MANAGE_API_KEYS,
    ("DELETE", "/api/api-keys/{key_id}"): Action.MANAGE_API_KEYS,
}


def test_each_route_needs_the_reviewed_action() -> None:
    guarded = {(m, p): a for m, p, a in OPERATIONS if a is not None}
    assert guarded == ROUTE_ACTIONS


def test_every_route_is_public_or_guarded() -> None:
    unguarded = [
        (m, p)
        for m, p, action in OPERATIONS
        if action is None and p not in PUBLIC_PATHS and (m, p) not in SIGNED_IN_ONLY
    ]
    assert unguarded == [], "routes without an authorisation dependency"
    assert len(OPERATIONS) >= 15


def _allowed(person: Person, action: Action, world: World) -> bool:
    """What the roles table allows this person on tenant X's data, in org A."""
    if person.role is None or not may(person.role, action):
        return False
    if action in TENANT_ACTIONS:
        return person.tenant == world.tenant_x or (person.role.is_msp and person.org == world.org_a)
    return person.role.is_msp


def _url(method: str, path: str, world: World) -> str:
    # Removing a customer is aimed at W, so X stays for every other call.
    removable = (
        world.tenant_w if method == "DELETE" and path.startswith("/api/customers/") else world.tenant_x
    )
    values = {
        "tenant_id": world.tenant_x,
        "customer_id": world.customers[removable].customer_id,
        "member_id": world.member_id("target_viewer_x"),
        "check_id": "exo.smtp_auth_disabled",
        "scan_id": "no-such-scan",
        "framework": "cis",
        "profile_key": "cis-e3-l1",
        "endpoint_id": "no-such-endpoint",
        "key_id": "no-such-key",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


PEOPLE = [
    "msp_admin_a",
    "msp_analyst_a",
    "customer_admin_x",
    "customer_viewer_x",
    "customer_admin_y",
    "msp_admin_b",
    "stranger",
    None,
]


@pytest.mark.parametrize(("method", "path", "action"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
async def test_each_role_gets_exactly_what_the_table_allows(
    method: str,
    path: str,
    action: Action | None,
    client: httpx.AsyncClient,
    world: World,
    tokens: dict[str, str],
) -> None:
    if path in PUBLIC_PATHS:
        pytest.skip("public route: covered by its own tests")
    foreign_markers = [
        value
        for tenant in (world.tenant_x, world.tenant_w)
        for value in (tenant, world.customers[tenant].customer_id, world.customers[tenant].display_name)
    ]
    for person_id in PEOPLE:
        headers = {"authorization": f"Bearer {tokens[person_id]}"} if person_id else {}
        response = await client.request(
            method, _url(method, path, world), headers=headers, json=EXAMPLE_BODIES.get((method, path))
        )
        who = f"{person_id or 'anonymous'} {method} {path}: {response.status_code} {response.text[:200]}"
        if person_id is None:
            assert response.status_code == 401, who
            continue
        person = world.people[person_id]
        if (method, path) in SIGNED_IN_ONLY:
            expected_member = person.role is not None or path.endswith("/accept")
            assert (response.status_code != 403) == expected_member, who
            continue
        assert action is not None
        if _allowed(person, action, world):
            assert response.status_code not in (401, 403), who
            assert response.status_code < 500, who
        else:
            assert response.status_code in (403, 404), who
            # Refused or not: nothing of tenant X may leak to people outside its scope.
            assert not any(marker in response.text for marker in foreign_markers), who


async def test_a_customer_user_sees_only_their_own_tenant(
    client: httpx.AsyncClient, world: World, tokens: dict[str, str]
) -> None:
    headers = {"authorization": f"Bearer {tokens['customer_viewer_x']}"}
    own = await client.get(f"/api/tenants/{world.tenant_x}", headers=headers)
    assert own.status_code == 200
    assert own.json()["displayName"] == "Xylophone Dental"
    for other in (world.tenant_y, world.tenant_z):
        response = await client.get(f"/api/tenants/{other}", headers=headers)
        assert response.status_code == 403
        assert other not in response.text


async def test_another_msps_admin_cannot_reach_this_msps_customers(
    client: httpx.AsyncClient, world: World, tokens: dict[str, str]
) -> None:
    headers = {"authorization": f"Bearer {tokens['msp_admin_b']}"}
    assert (await client.get(f"/api/tenants/{world.tenant_x}", headers=headers)).status_code == 403
    own = await client.get(f"/api/tenants/{world.tenant_z}", headers=headers)
    assert own.status_code == 200 and own.json()["displayName"] == "Zephyr Freight"
    customer_x = world.customers[world.tenant_x].customer_id
    assert (await client.get(f"/api/customers/{customer_x}", headers=headers)).status_code == 404


async def test_the_forwarding_safe_header_carries_the_token_past_a_replaced_authorization(
    client: httpx.AsyncClient, world: World, tokens: dict[str, str]
) -> None:
    # What the API receives behind Static Web Apps: the platform's own token in Authorization.
    headers = {
        "x-scanposture-authorization": f"Bearer {tokens['customer_viewer_x']}",
        "authorization": "Bearer not-the-callers-token",
    }
    assert (await client.get(f"/api/tenants/{world.tenant_x}", headers=headers)).status_code == 200
    assert (await client.get(f"/api/tenants/{world.tenant_y}", headers=headers)).status_code == 403
    forged = {
        "x-scanposture-authorization": "Bearer forged",
        "authorization": f"Bearer {tokens['msp_admin_a']}",
    }
    assert (await client.get(f"/api/tenants/{world.tenant_x}", headers=forged)).status_code == 401
