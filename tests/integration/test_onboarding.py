"""Onboarding through the real admin-consent flow: the API, the Graph simulator's consent page,
the callback, the first scan through the queue, replay, wrong tenant, expiry, revocation."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.bootstrap import Services
from core.customers import ConnectionState, get_customer_by_id
from devtools.consent_browser import consent_as_admin
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from functions.local_host import QueueOptions, drain_scan_queue_once
from tests.world import World


def _admin(tokens: dict[str, str]) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens['msp_admin_a']}"}


def _new_tenant(graphsim: GraphSimulator) -> tuple[str, str]:
    seed = random.randint(10_000, 99_999)
    tenant_id = graphsim.load_tenant(synthetic_tenant(15, seed=seed))
    graphsim.set_consent(tenant_id, "none")
    return tenant_id, f"synthetic{seed}mixed.example"


async def _add(
    client: httpx.AsyncClient, tokens: dict[str, str], domain: str, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/customers",
        headers=_admin(tokens),
        json={"displayName": f"Customer {domain}", "primaryDomain": domain, **extra},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _consent(
    entra: httpx.AsyncClient, client: httpx.AsyncClient, link: str, tenant_id: str, **how: str
) -> httpx.Response:
    return await consent_as_admin(entra, client, link, tenant_id, **how)


async def _drain(services: Services) -> None:
    options = QueueOptions.from_host_json()
    while await drain_scan_queue_once(services, options):
        pass


async def test_consent_link_is_entra_shaped_with_a_strong_single_customer_state(
    client: httpx.AsyncClient, tokens: dict[str, str], graphsim: GraphSimulator, api_services: Services
) -> None:
    _, domain = _new_tenant(graphsim)
    added = await _add(client, tokens, domain)
    link = urlsplit(added["consentLink"]["url"])
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert link.path == "/organizations/v2.0/adminconsent"
    assert query["client_id"] == api_services.settings.app_client_id
    assert query["scope"] == "https://graph.microsoft.com/.default"
    assert query["redirect_uri"].endswith("/api/consent/callback")
    org, _, secret = query["state"].partition(".")
    assert org and len(secret) >= 43  # 32 random bytes, base64url
    expires = datetime.fromisoformat(added["consentLink"]["expiresAt"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    assert added["customer"]["connection"]["state"] == "pending_consent"


async def test_consent_connects_the_customer_and_the_first_scan_arrives(
    entra: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
    api_services: Services,
    world: World,
) -> None:
    tenant_id, domain = _new_tenant(graphsim)
    added = await _add(client, tokens, domain)
    response = await _consent(entra, client, added["consentLink"]["url"], tenant_id)
    assert response.status_code == 302, response.text
    assert "consent=granted" in response.headers["location"]

    org = api_services.store.org(world.org_a)
    customer, _ = await get_customer_by_id(org, added["customer"]["customerId"])
    assert customer.tenant_id == tenant_id
    assert customer.connection.state is ConnectionState.CONNECTED
    await _drain(api_services)
    customer, _ = await get_customer_by_id(org, added["customer"]["customerId"])
    assert customer.summary.last_scan_id is not None and customer.summary.last_scan_id.startswith("consent-")
    assert customer.summary.score is not None
    audit = await client.get("/api/audit", headers=_admin(tokens))
    actions = [e["action"] for e in audit.json()]
    assert "consent.granted" in actions and "customer.added" in actions
    granted = next(e for e in audit.json() if e["action"] == "consent.granted")
    assert granted["actor"]["kind"] == "tenant_admin" and granted["actor"]["tenantId"] == tenant_id

    # The same link again: refused at its first step, nothing changes.
    replay = await _consent(entra, client, added["consentLink"]["url"], tenant_id)
    assert replay.status_code == 400
    assert "already used" in replay.text


async def test_consent_from_a_tenant_without_the_customers_domain_is_refused(
    entra: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
    api_services: Services,
    world: World,
) -> None:
    _, domain = _new_tenant(graphsim)
    other_tenant, _ = _new_tenant(graphsim)
    added = await _add(client, tokens, domain)
    response = await _consent(entra, client, added["consentLink"]["url"], other_tenant)
    assert response.status_code == 400
    assert f"does not own {domain}" in response.text
    customer, _ = await get_customer_by_id(
        api_services.store.org(world.org_a), added["customer"]["customerId"]
    )
    assert customer.connection.state is ConnectionState.PENDING_CONSENT
    assert customer.tenant_id is None


async def test_consent_for_another_tenant_than_the_one_given_is_refused(
    entra: httpx.AsyncClient, client: httpx.AsyncClient, tokens: dict[str, str], graphsim: GraphSimulator
) -> None:
    tenant_id, domain = _new_tenant(graphsim)
    other_tenant, _ = _new_tenant(graphsim)
    added = await _add(client, tokens, domain, tenantId=tenant_id)
    response = await _consent(entra, client, added["consentLink"]["url"], other_tenant)
    assert response.status_code == 400
    assert "different Microsoft 365 tenant" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("error=access_denied&error_description=AADSTS65004%3A+declined&admin_consent=True", "not granted"),
        ("state=nonsense&tenant=00000000-0000-0000-0000-000000000000", "not valid"),
        ("tenant=00000000-0000-0000-0000-000000000000", "not valid"),
        ("code=forged&state=nonsense", "not valid"),
        ("error=access_denied&error_description=AADSTS65004%3A+cancelled&state=x.y", "not completed"),
    ],
)
async def test_bad_callbacks_are_clear_pages(client: httpx.AsyncClient, query: str, message: str) -> None:
    response = await client.get(f"/api/consent/callback?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text


async def test_an_expired_state_is_refused(
    entra: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
    api_services: Services,
    world: World,
) -> None:
    tenant_id, domain = _new_tenant(graphsim)
    added = await _add(client, tokens, domain)
    org = api_services.store.org(world.org_a)
    states = await org.query_stored(
        "c.type = @t AND c.customerId = @c", {"@t": "consent_state", "@c": added["customer"]["customerId"]}
    )
    (state,) = states
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    await org.replace({**state.body, "expiresAt": past}, state.etag)
    response = await _consent(entra, client, added["consentLink"]["url"], tenant_id)
    assert response.status_code == 400
    assert "expired" in response.text


async def test_a_revoked_tenant_reconnects_with_a_fresh_link_and_keeps_its_history(
    entra: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
    api_services: Services,
    world: World,
) -> None:
    tenant_id, domain = _new_tenant(graphsim)
    added = await _add(client, tokens, domain)
    customer_id = added["customer"]["customerId"]
    assert (await _consent(entra, client, added["consentLink"]["url"], tenant_id)).status_code == 302
    await _drain(api_services)
    org = api_services.store.org(world.org_a)
    first, _ = await get_customer_by_id(org, customer_id)

    graphsim.set_consent(tenant_id, "revoked")
    from core.scheduling import enqueue_due_scans

    await enqueue_due_scans(api_services)  # the hourly token probe notices
    lost, _ = await get_customer_by_id(org, customer_id)
    assert lost.connection.state is ConnectionState.CONNECTION_LOST
    assert lost.connection.error_code in ("AADSTS7000229", "AADSTS700016", "AADSTS65001")

    fresh = await client.post(f"/api/customers/{customer_id}/consent-link", headers=_admin(tokens))
    assert fresh.status_code == 201
    response = await _consent(entra, client, fresh.json()["url"], tenant_id)
    assert response.status_code == 302, response.text
    await _drain(api_services)
    back, _ = await get_customer_by_id(org, customer_id)
    assert back.connection.state is ConnectionState.CONNECTED
    assert len(back.summary.trend) == len(first.summary.trend) + 1  # history intact, one more scan
    actions = [e["action"] for e in (await client.get("/api/audit", headers=_admin(tokens))).json()]
    assert "consent.reconnected" in actions


async def test_bad_customer_input_names_the_field(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    cases = [
        ({"displayName": "", "primaryDomain": "ok.example"}, "displayName"),
        ({"displayName": "A", "primaryDomain": "not a domain"}, "primaryDomain"),
        ({"displayName": "A", "primaryDomain": "ok.example", "tenantId": "nope"}, "tenantId"),
        ({"displayName": "A", "primaryDomain": "ok.example", "cadence": "hourly"}, "cadence"),
        ({"displayName": "A", "primaryDomain": "ok.example", "reportRecipients": ["x"]}, "reportRecipients"),
    ]
    for body, field in cases:
        response = await client.post("/api/customers", headers=_admin(tokens), json=body)
        assert response.status_code == 400, response.text
        assert field in response.json()["detail"]
