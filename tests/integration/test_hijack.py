"""An MSP that tries to take over another MSP's customer: it adds the victim's tenant by its public
id and by its domain, forges the consent callback, and calls every operation in the OpenAPI
document as each of its roles. It must see nothing of the victim, before and after the victim
tenant's own admin consents for it too; then it sees only what it scanned itself."""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.bootstrap import Services
from core.customers import ConnectionState, Customer, get_customer_by_id, register_customer
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from core.settings import Settings
from devtools.consent_browser import consent_as_admin
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from functions.api.gate import PUBLIC_PATHS
from tests.conftest import asgi_client
from tests.integration.test_isolation import EXAMPLE_BODIES, OPERATIONS
from tests.world import World

HIJACKERS = ["hijack_admin", "hijack_analyst", "hijack_customer_admin", "hijack_customer_viewer"]
VICTIM_NAME = "Vault Victim Bank"


def _as(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[who]}"}


@dataclass(frozen=True)
class Victim:
    tenant_id: str
    domain: str
    customer: Customer
    scan_id: str
    justification: str
    admin_email: str

    def markers(self) -> list[str]:
        """Strings only the victim's own data contains."""
        return [self.customer.customer_id, VICTIM_NAME, self.scan_id, self.justification, self.admin_email]


@pytest.fixture(scope="module")
async def hijack_client(api_settings: Settings, api_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(api_settings) as http:
        yield http


@pytest.fixture(scope="module")
async def victim(
    world: World,
    api_services: Services,
    graphsim: GraphSimulator,
    tokens: dict[str, str],
    hijack_client: httpx.AsyncClient,
) -> Victim:
    """MSP V's customer, served by the simulator under the planned tenant id, scanned once, with a
    risk acceptance, a report and audit entries by V's admin."""
    fixture = synthetic_tenant(12, seed=random.randint(1, 10**6), posture="weak")
    tenant_id = world.tenant_v
    tenant = json.loads(json.dumps(fixture).replace(fixture["id"], tenant_id))
    graphsim.load_tenant(tenant)
    domain = tenant["initialDomain"]
    customer = await register_customer(
        api_services.store.org(world.org_v),
        tenant_id=tenant_id,
        display_name=VICTIM_NAME,
        primary_domain=domain,
        connected=True,
    )
    scan_id = f"victim-{uuid.uuid4().hex[:12]}"
    request = ScanRequest(org_id=world.org_v, tenant_id=tenant_id, request_id=scan_id, reason="manual")
    assert (await handle_scan_request(api_services, json.dumps(request.to_message()))).startswith("completed")
    admin = _as(tokens, "victim_admin")
    failing = await hijack_client.get(f"/api/tenants/{tenant_id}/findings?status=fail", headers=admin)
    check_id = failing.json()["items"][0]["checkId"]
    justification = f"victim-justification-{uuid.uuid4().hex[:12]}"
    accepted = await hijack_client.put(
        f"/api/tenants/{tenant_id}/findings/{check_id}/acceptance",
        headers=admin,
        json={
            "justification": justification,
            "expiresAt": (datetime.now(UTC) + timedelta(days=90)).isoformat(),
        },
    )
    assert accepted.status_code == 200, accepted.text
    report = await hijack_client.post(f"/api/tenants/{tenant_id}/reports", headers=admin)
    assert report.status_code == 201, report.text
    return Victim(tenant_id, domain, customer, scan_id, justification, world.people["victim_admin"].email)


def _url(path: str, victim: Victim, own_customer_id: str) -> str:
    values = {
        "tenant_id": victim.tenant_id,
        "customer_id": victim.customer.customer_id,
        "member_id": "member:x:y:org",
        "check_id": "entra.mfa_all_users",
        "scan_id": victim.scan_id,
        "framework": "cis",
        "endpoint_id": "no-such-endpoint",
        "key_id": "no-such-key",
        "profile_key": "cis-e3-l1",
    }
    # Deleting or cancelling aims at the hijacker's own customer: the victim's must stay put.
    if re.search(r"/customers/\{customer_id\}(/cancel)?$", path):
        values["customer_id"] = own_customer_id
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


async def _walk(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    victim: Victim,
    own_customer_id: str,
    *,
    connected: bool,
) -> None:
    """Every operation as every hijacker role: no answer carries anything of the victim, and
    before consent no tenant route answers at all."""
    for method, path, _ in OPERATIONS:
        if path in PUBLIC_PATHS or (method, path) == ("DELETE", "/api/customers/{customer_id}"):
            continue
        for who in HIJACKERS:
            response = await client.request(
                method,
                _url(path, victim, own_customer_id),
                headers=_as(tokens, who),
                json=EXAMPLE_BODIES.get((method, path)),
            )
            seen = f"{who} {method} {path}: {response.status_code} {response.text[:300]}"
            assert response.status_code < 500, seen
            assert not any(marker in response.text for marker in victim.markers()), seen
            if "{tenant_id}" in path and not connected:
                assert response.status_code in (403, 404), seen


async def _add(client: httpx.AsyncClient, tokens: dict[str, str], body: dict[str, str]) -> dict[str, object]:
    added = await client.post("/api/customers", headers=_as(tokens, "hijack_admin"), json=body)
    assert added.status_code == 201, added.text  # anyone may add a tenant; adding grants nothing
    assert added.json()["customer"]["connection"]["state"] == "pending_consent"
    return added.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
async def hijacker_customers(
    hijack_client: httpx.AsyncClient, tokens: dict[str, str], victim: Victim
) -> dict[str, str]:
    """H adds the victim's tenant by its public id, and again by its domain alone."""
    by_id = await _add(
        hijack_client,
        tokens,
        {"displayName": "Totally Ours", "primaryDomain": victim.domain, "tenantId": victim.tenant_id},
    )
    # The same domain twice in one fleet must be confirmed (issue 18); the hijacker confirms.
    by_domain = await _add(
        hijack_client,
        tokens,
        {"displayName": "Ours By Domain", "primaryDomain": victim.domain, "confirmDuplicate": True},
    )
    return {
        "by_id": str(by_id["customer"]["customerId"]),  # type: ignore[index]
        "by_domain": str(by_domain["customer"]["customerId"]),  # type: ignore[index]
    }


async def test_a_hijacker_adding_the_victims_tenant_sees_nothing_of_it(
    hijack_client: httpx.AsyncClient,
    tokens: dict[str, str],
    victim: Victim,
    hijacker_customers: dict[str, str],
    api_services: Services,
    world: World,
) -> None:
    await _walk(hijack_client, tokens, victim, hijacker_customers["by_domain"], connected=False)
    after, _ = await get_customer_by_id(api_services.store.org(world.org_v), victim.customer.customer_id)
    assert after.connection.state is ConnectionState.CONNECTED
    assert after.summary.last_scan_id == victim.scan_id and len(after.summary.acceptances) == 1


@pytest.mark.parametrize("how", ["by_id", "by_domain"])
async def test_a_forged_consent_callback_does_not_connect_the_hijackers_customer(
    how: str,
    hijack_client: httpx.AsyncClient,
    tokens: dict[str, str],
    victim: Victim,
    hijacker_customers: dict[str, str],
    api_services: Services,
    world: World,
) -> None:
    customer_id = hijacker_customers[how]
    link = await hijack_client.post(
        f"/api/customers/{customer_id}/consent-link", headers=_as(tokens, "hijack_admin")
    )
    state = parse_qs(urlsplit(link.json()["url"]).query)["state"][0]
    # What Entra's redirect would say had the victim's admin consented: the app is consented in the
    # victim tenant already (for V) and the domain is the victim's, so the old proof held.
    forged = await hijack_client.get(
        "/api/consent/callback",
        params={"admin_consent": "True", "tenant": victim.tenant_id, "state": state, "scope": "x"},
    )
    assert forged.status_code in (302, 400)
    if forged.status_code == 302:  # sent on to the tenant's own sign-in: nothing is proven yet
        assert "/oauth2/v2.0/authorize" in forged.headers["location"]
    customer, _ = await get_customer_by_id(api_services.store.org(world.org_h), customer_id)
    assert customer.connection.state is ConnectionState.PENDING_CONSENT
    dashboard = await hijack_client.get(
        f"/api/tenants/{victim.tenant_id}/dashboard", headers=_as(tokens, "hijack_admin")
    )
    assert dashboard.status_code == 403


async def test_once_the_victims_admin_consents_for_it_the_hijacker_sees_only_what_it_scanned(
    hijack_client: httpx.AsyncClient,
    entra: httpx.AsyncClient,
    tokens: dict[str, str],
    victim: Victim,
    hijacker_customers: dict[str, str],
    api_services: Services,
    world: World,
) -> None:
    customer_id = hijacker_customers["by_id"]
    link = await hijack_client.post(
        f"/api/customers/{customer_id}/consent-link", headers=_as(tokens, "hijack_admin")
    )
    # The tenant's own Global Administrator consents for H too, and signs in to prove it.
    connected = await consent_as_admin(entra, hijack_client, link.json()["url"], victim.tenant_id)
    assert connected.status_code == 302, connected.text
    own_scan = f"hijacker-{uuid.uuid4().hex[:12]}"
    request = ScanRequest(
        org_id=world.org_h,
        tenant_id=victim.tenant_id,
        customer_id=customer_id,
        request_id=own_scan,
        reason="manual",
    )
    assert (await handle_scan_request(api_services, json.dumps(request.to_message()))).startswith("completed")

    await _walk(hijack_client, tokens, victim, hijacker_customers["by_domain"], connected=True)

    admin = _as(tokens, "hijack_admin")
    scans = (await hijack_client.get(f"/api/tenants/{victim.tenant_id}/scans", headers=admin)).json()
    assert [s["scanId"] for s in scans["items"]] == [own_scan]
    findings = await hijack_client.get(
        f"/api/tenants/{victim.tenant_id}/findings?accepted=true", headers=admin
    )
    assert findings.json()["items"] == []  # the victim's acceptance is the victim's
    victim_side, _ = await get_customer_by_id(
        api_services.store.org(world.org_v), victim.customer.customer_id
    )
    assert victim_side.summary.last_scan_id == victim.scan_id  # and the victim's history is its own
