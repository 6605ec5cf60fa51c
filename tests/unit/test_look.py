"""What a person's browser is sent to (the consent pages' host) and what a customer's portal looks
like (the effective branding, re-validated when read), over the in-memory adapters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from core.branding import BrandingScope, brand_for
from core.consent import begin_consent_sign_in
from core.customers import Customer, register_customer
from core.onboarding import issue_consent_link
from core.orgs import create_org
from core.reports.model import NEUTRAL_PRIMARY
from core.store.documents import BRANDING
from tests.unit.fakes import FakeServices, fake_services, fake_settings

ORG = "org-look"
TENANT = "0f0e0d0c-0b0a-4999-8888-777766665555"
ENTRA = "https://login.microsoftonline.com"
LOOPBACK = "http://127.0.0.1:45123"


def _services(browser_host: str) -> FakeServices:
    return fake_services(fake_settings(authority_host=ENTRA, authority_browser_host=browser_host))


async def _consent_urls(services: FakeServices) -> tuple[str, str]:
    """The consent link, and where the callback's first step sends the same browser to sign in."""
    customer = await register_customer(
        services.store.org(ORG),
        tenant_id=None,
        display_name="Lakeside",
        primary_domain="lakeside.test",
        report_recipients=[],
    )
    link = await issue_consent_link(services, ORG, customer.customer_id)
    state = parse_qs(urlsplit(link.url).query)["state"][0]
    step = await begin_consent_sign_in(
        services, state=state, tenant=TENANT, error=None, error_description=None
    )
    return link.url, step.url


@pytest.mark.parametrize(("browser_host", "expected"), [("", ENTRA), (LOOPBACK, LOOPBACK)])
async def test_the_browser_is_sent_to_the_browser_authority_and_to_entra_by_default(
    browser_host: str, expected: str
) -> None:
    services = _services(browser_host)
    link, sign_in = await _consent_urls(services)
    assert link.startswith(f"{expected}/organizations/v2.0/adminconsent?")
    assert sign_in.startswith(f"{expected}/{TENANT}/oauth2/v2.0/authorize?")
    # Tokens are still redeemed at the authority host: only the pages a person opens move.
    assert services.settings.authority_host == ENTRA


async def _customer_with_fleet_branding(services: FakeServices, fleet: dict[str, object]) -> Customer:
    await create_org(services.store, ORG, "Blue Harbour IT", "msp")
    customer = await register_customer(
        services.store.org(ORG),
        tenant_id=TENANT,
        display_name="Lakeside",
        primary_domain="lakeside.test",
        report_recipients=[],
        connected=True,
    )
    scope = BrandingScope(ORG)
    await services.store.org(ORG).create(
        {"id": scope.document_id, "type": BRANDING, "enabled": True, **fleet}
    )
    return customer


async def test_a_stored_colour_that_is_not_hex_never_reaches_the_look() -> None:
    services = fake_services()
    # Written around the API (an old document, a hand edit): the read path validates again.
    customer = await _customer_with_fleet_branding(
        services, {"primary": "red;}</style><script>", "secondary": "#F2C14E"}
    )
    brand = await brand_for(services, customer)
    assert brand.enabled and brand.msp_name == "Blue Harbour IT"
    assert brand.primary == NEUTRAL_PRIMARY
    assert brand.secondary == "#F2C14E"
