"""Proving consent (core.consent) over the in-memory adapters: the real state handling, the
checks on who signed in and which tenant consented, and what connecting a customer writes. The
tenant (its verified domains, the administrator signing in) is a FakeTenant; the ID token's
validation itself is tested against the local sign-in provider in tests/integration."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from core.auth.id_tokens import CONSENT_ROLES, ConsentSignIn
from core.collect.connection import TenantUnreachable
from core.consent import SignInStep, begin_consent_sign_in, finish_consent
from core.customers import ConnectionState, Customer, get_customer_by_id
from core.onboarding import ConsentRefused, add_customer
from core.scan.requests import parse_scan_request
from tests.unit.fakes import FakeServices, fake_services
from tests.unit.use_case_world import ACTOR, ORG, TENANT

GLOBAL_ADMIN = next(w for w, name in CONSENT_ROLES.items() if name == "Global Administrator")
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"


def _admin(tenant_id: str = TENANT, *, wids: frozenset[str] = frozenset({GLOBAL_ADMIN})) -> ConsentSignIn:
    return ConsentSignIn(tenant_id, "admin-oid", "Ines Admin", "ines@contoso.test", wids)


@pytest.fixture
def services() -> FakeServices:
    services = fake_services()
    services.tenants.add(TENANT, domains=["contoso.test", "contoso.onmicrosoft.test"], admin=_admin())
    return services


async def _link(services: FakeServices) -> tuple[Customer, str]:
    """A customer added by the MSP, and the `state` its consent link carries."""
    customer, link = await add_customer(
        services,
        org_id=ORG,
        actor=ACTOR,
        display_name="Contoso",
        primary_domain="Contoso.test",
        tenant_id=None,
        cadence="weekly",
        report_recipients=[],
    )
    (state,) = parse_qs(urlsplit(link.url).query)["state"]
    return customer, state


async def _begin(services: FakeServices, state: str, tenant: str = TENANT) -> SignInStep:
    return await begin_consent_sign_in(
        services, state=state, tenant=tenant, error=None, error_description=None
    )


async def _finish(services: FakeServices, state: str, browser_secret: str | None) -> Customer:
    return await finish_consent(
        services,
        state=state,
        code="code-from-entra",
        error=None,
        error_description=None,
        browser_secret=browser_secret,
        source_ip="203.0.113.20",
        proof_attempts=1,
        proof_delay=0,
    )


async def _unchanged(services: FakeServices, customer: Customer) -> None:
    stored, _ = await get_customer_by_id(services.store.org(ORG), customer.customer_id)
    assert stored.connection.state is ConnectionState.PENDING_CONSENT and stored.tenant_id is None
    assert services.scan_queue.sent == []


async def test_the_tenants_own_administrator_connects_the_customer_and_the_first_scan_is_queued(
    services: FakeServices,
) -> None:
    customer, state = await _link(services)
    step = await _begin(services, state)
    assert f"/{TENANT}/" in step.url and "code_challenge=" in step.url
    connected = await _finish(services, state, step.browser_secret)

    assert connected.connection.state is ConnectionState.CONNECTED and connected.tenant_id == TENANT
    assert services.tenants.tenants[TENANT].codes == ["code-from-entra"]
    (message,) = services.scan_queue.sent
    request = parse_scan_request(json.dumps(message))
    assert (request.tenant_id, request.customer_id, request.reason) == (
        TENANT,
        customer.customer_id,
        "consent",
    )
    entries = await services.store.org(ORG).audit_entries()
    granted = next(e for e in entries if e["action"] == "consent.granted")
    assert granted["actor"]["objectId"] == "admin-oid" and granted["actor"]["sourceIp"] == "203.0.113.20"


async def test_a_link_connects_once(services: FakeServices) -> None:
    _, state = await _link(services)
    step = await _begin(services, state)
    await _finish(services, state, step.browser_secret)
    with pytest.raises(ConsentRefused, match="already used"):
        await _begin(services, state)
    assert len(services.scan_queue.sent) == 1


async def test_a_forged_state_is_refused(services: FakeServices) -> None:
    customer, state = await _link(services)
    org_id, _, _ = state.partition(".")
    for forged in (f"{org_id}.not-the-secret", f"another-org.{state.partition('.')[2]}", "", None):
        with pytest.raises(ConsentRefused, match="not valid"):
            await _begin(services, forged)  # type: ignore[arg-type]
    await _unchanged(services, customer)


async def test_an_administrator_of_another_tenant_cannot_claim_the_customer(services: FakeServices) -> None:
    """The takeover this proof exists for: a tenant that consented, but does not own the domain the
    MSP added, cannot become this customer."""
    services.tenants.add(OTHER_TENANT, domains=["fabrikam.test"], admin=_admin(OTHER_TENANT))
    customer, state = await _link(services)
    step = await _begin(services, state, tenant=OTHER_TENANT)
    with pytest.raises(ConsentRefused, match=r"does not own contoso\.test"):
        await _finish(services, state, step.browser_secret)
    await _unchanged(services, customer)


async def test_someone_who_cannot_consent_is_refused(services: FakeServices) -> None:
    services.tenants.tenants[TENANT].admin = _admin(wids=frozenset({"a-reader-role"}))
    customer, state = await _link(services)
    step = await _begin(services, state)
    with pytest.raises(ConsentRefused, match="not an administrator"):
        await _finish(services, state, step.browser_secret)
    await _unchanged(services, customer)


async def test_the_sign_in_must_finish_in_the_browser_that_started_it(services: FakeServices) -> None:
    customer, state = await _link(services)
    await _begin(services, state)
    for secret in (None, "someone-elses-cookie"):
        with pytest.raises(ConsentRefused, match="browser that opened"):
            await _finish(services, state, secret)
    await _unchanged(services, customer)


async def test_a_slow_sign_in_and_an_old_link_are_refused(services: FakeServices) -> None:
    customer, state = await _link(services)
    step = await _begin(services, state)
    services.clock.advance(minutes=16)
    with pytest.raises(ConsentRefused, match="took too long"):
        await _finish(services, state, step.browser_secret)
    services.clock.advance(days=services.settings.consent_link_days)
    with pytest.raises(ConsentRefused, match="expired"):
        await _begin(services, state)
    await _unchanged(services, customer)


async def test_a_tenant_the_app_cannot_read_is_not_connected(services: FakeServices) -> None:
    # The administrator signed in, but Entra issues the app no token for the tenant: the consent
    # was not really given (or was withdrawn at once).
    refusal = TenantUnreachable(TENANT, "AADSTS7000229", "no service principal for the app")
    services.tenants.tenants[TENANT].unreachable = refusal
    customer, state = await _link(services)
    step = await _begin(services, state)
    with pytest.raises(ConsentRefused, match="could not read the tenant"):
        await _finish(services, state, step.browser_secret)
    await _unchanged(services, customer)


async def test_the_sign_in_service_saying_no_changes_nothing(services: FakeServices) -> None:
    customer, state = await _link(services)
    with pytest.raises(ConsentRefused, match="consent was not granted: the admin declined"):
        await begin_consent_sign_in(
            services, state=state, tenant=None, error="access_denied", error_description="the admin declined"
        )
    with pytest.raises(ConsentRefused, match="no authorization code"):
        await finish_consent(
            services,
            state=state,
            code=None,
            error=None,
            error_description=None,
            browser_secret="x",
            source_ip=None,
        )
    await _unchanged(services, customer)
