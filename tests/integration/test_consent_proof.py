"""The consent callback's proof, attacked through the simulator's real redirect chain: a member who
is no administrator, another browser, a code from another tenant, a replayed code, a tampered nonce
or PKCE verifier, an app registration that emits no directory roles, a second step with no first.
Each is refused with a page, and the pending customer stays exactly as it was."""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.bootstrap import Services
from core.customers import ConnectionState, get_customer_by_id
from devtools.consent_browser import CALLBACK_PATH, consent_as_admin
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from tests.world import World


def _admin(tokens: dict[str, str]) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens['msp_admin_a']}"}


def _tenant(graphsim: GraphSimulator) -> dict[str, Any]:
    """A fresh tenant that has not consented, with the UPN of a member holding no role."""
    fixture = synthetic_tenant(12, seed=random.randint(100_000, 999_999))
    graphsim.load_tenant(fixture)
    graphsim.set_consent(fixture["id"], "none")
    with_roles = {a["principalId"] for a in fixture["roleAssignments"]}
    member = next(
        u["userPrincipalName"]
        for u in fixture["users"]
        if u["id"] not in with_roles and u["accountEnabled"] and u["userType"] == "Member"
    )
    return {"id": fixture["id"], "domain": fixture["initialDomain"], "member": member}


async def _add(client: httpx.AsyncClient, tokens: dict[str, str], domain: str) -> dict[str, Any]:
    added = await client.post(
        "/api/customers",
        headers=_admin(tokens),
        json={"displayName": f"Proof {domain}", "primaryDomain": domain},
    )
    assert added.status_code == 201, added.text
    return {"id": added.json()["customer"]["customerId"], "link": added.json()["consentLink"]["url"]}


def _path(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == CALLBACK_PATH, location
    return f"{parts.path}?{parts.query}"


async def _to_sign_in(entra: httpx.AsyncClient, browser: httpx.AsyncClient, link: str, tenant_id: str) -> str:
    """Consent, then the callback's first step: the tenant's sign-in URL (the browser has its cookie)."""
    consented = await entra.get(f"{link}&sim_tenant={tenant_id}&sim_outcome=grant")
    step_one = await browser.get(_path(consented.headers["location"]))
    assert step_one.status_code == 302, step_one.text
    assert browser.cookies.get("scanposture_consent")
    return step_one.headers["location"]


async def _code_callback(entra: httpx.AsyncClient, authorize: str, user: str = "global-admin") -> str:
    signed_in = await entra.get(f"{authorize}&sim_user={user}")
    assert signed_in.status_code == 302, signed_in.text
    return _path(signed_in.headers["location"])


async def _still_pending(
    services: Services, world: World, client: httpx.AsyncClient, tokens: dict[str, str], customer_id: str
) -> None:
    customer, _ = await get_customer_by_id(services.store.org(world.org_a), customer_id)
    assert customer.connection.state is ConnectionState.PENDING_CONSENT and customer.tenant_id is None
    audit = (await client.get("/api/audit", headers=_admin(tokens))).json()
    assert not [
        e for e in audit if e["action"] == "consent.granted" and e["target"]["customerId"] == customer_id
    ]


async def test_a_member_who_is_no_administrator_cannot_connect_and_an_admin_still_can(
    entra: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
    api_services: Services,
    world: World,
) -> None:
    tenant = _tenant(graphsim)
    customer = await _add(client, tokens, tenant["domain"])
    refused = await consent_as_admin(entra, client, customer["link"], tenant["id"], user=tenant["member"])
    assert refused.status_code == 400 and "not an administrator" in refused.text
    await _still_pending(api_services, world, client, tokens, customer["id"])
    # Nothing was used up: the tenant's Global Administrator completes the same link.
    granted = await consent_as_admin(entra, client, customer["link"], tenant["id"])
    assert granted.status_code == 302 and "consent=granted" in granted.headers["location"]


async def test_the_sign_in_must_finish_in_the_browser_that_consented(
    entra: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
    api_services: Services,
    world: World,
) -> None:
    tenant = _tenant(graphsim)
    customer = await _add(client, tokens, tenant["domain"])
    authorize = await _to_sign_in(entra, client, customer["link"], tenant["id"])
    back = await _code_callback(entra, authorize)
    client.cookies.clear()  # another browser: the attacker's, holding a victim admin's code
    refused = await client.get(back)
    assert refused.status_code == 400 and "browser that opened the consent link" in refused.text
    await _still_pending(api_services, world, client, tokens, customer["id"])


async def test_a_code_from_another_tenant_is_refused(
    entra: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
    api_services: Services,
    world: World,
) -> None:
    target, other = _tenant(graphsim), _tenant(graphsim)
    customer = await _add(client, tokens, target["domain"])
    decoy = await _add(client, tokens, other["domain"])
    # An administrator of the other tenant signs in through the decoy's link: a real code, wrong tenant.
    decoy_back = await _code_callback(entra, await _to_sign_in(entra, client, decoy["link"], other["id"]))
    foreign_code = parse_qs(urlsplit(decoy_back).query)["code"][0]
    await _to_sign_in(entra, client, customer["link"], target["id"])  # this browser's cookie, target's nonce
    state = parse_qs(urlsplit(customer["link"]).query)["state"][0]
    refused = await client.get(CALLBACK_PATH, params={"code": foreign_code, "state": state})
    assert refused.status_code == 400 and "did not prove an administrator" in refused.text
    await _still_pending(api_services, world, client, tokens, customer["id"])


async def test_a_replayed_code_finds_the_link_used(
    entra: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
) -> None:
    tenant = _tenant(graphsim)
    customer = await _add(client, tokens, tenant["domain"])
    back = await _code_callback(entra, await _to_sign_in(entra, client, customer["link"], tenant["id"]))
    assert (await client.get(back)).status_code == 302
    replayed = await client.get(back)
    assert replayed.status_code == 400 and "already used" in replayed.text


@pytest.mark.parametrize(
    ("field", "message"), [("nonce", "does not belong to this consent request"), ("verifier", "AADSTS501481")]
)
async def test_a_tampered_nonce_or_verifier_is_refused(
    field: str,
    message: str,
    entra: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
    api_services: Services,
    world: World,
) -> None:
    tenant = _tenant(graphsim)
    customer = await _add(client, tokens, tenant["domain"])
    authorize = await _to_sign_in(entra, client, customer["link"], tenant["id"])
    org = api_services.store.org(world.org_a)
    (state,) = await org.query_stored(
        "c.type = @t AND c.customerId = @c", {"@t": "consent_state", "@c": customer["id"]}
    )
    tampered = {**state.body["signIn"], field: "x" * 64}
    await org.replace({**state.body, "signIn": tampered}, state.etag)
    refused = await client.get(await _code_callback(entra, authorize))
    assert refused.status_code == 400 and message in refused.text, refused.text
    await _still_pending(api_services, world, client, tokens, customer["id"])


async def test_an_app_registration_that_emits_no_directory_roles_is_refused(
    entra: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
    api_services: Services,
    world: World,
) -> None:
    tenant = _tenant(graphsim)
    customer = await _add(client, tokens, tenant["domain"])
    graphsim.set_app(group_membership_claims=None)
    try:
        refused = await consent_as_admin(entra, client, customer["link"], tenant["id"])
    finally:
        graphsim.set_app()
    assert refused.status_code == 400 and "wids" in refused.text
    await _still_pending(api_services, world, client, tokens, customer["id"])


async def test_a_second_step_without_the_first_is_refused(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    graphsim: GraphSimulator,
    api_services: Services,
    world: World,
) -> None:
    tenant = _tenant(graphsim)
    customer = await _add(client, tokens, tenant["domain"])
    state = parse_qs(urlsplit(customer["link"]).query)["state"][0]
    refused = await client.get(CALLBACK_PATH, params={"code": "anything", "state": state})
    assert refused.status_code == 400 and "not started from a consent link" in refused.text
    await _still_pending(api_services, world, client, tokens, customer["id"])
