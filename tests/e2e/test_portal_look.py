"""The customer-facing look in headless Chromium: customer admins and viewers see their MSP's logo,
name and colours when branding is on for them and ScanPosture's own look when it is off; MSP staff
keep ScanPosture's look; a customer user reaches only their own MSP's logo; and a page prints as it
looks (no navigation or controls, the table whole), saved as a PDF under test-artifacts/portal/."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.audit import Actor
from core.auth.principals import Grant, Membership, Principal
from core.auth.roles import Role
from core.bootstrap import build_services
from core.branding import BrandingScope, logo_bytes, read_branding, update_branding
from core.customers import register_customer
from core.orgs import create_org
from core.settings import Settings
from devtools.demo_seed import DEMO_MSP_NAME
from devtools.graphsim.launcher import GraphSimulator
from devtools.stack import LocalStack
from tests.e2e.conftest import ARTIFACTS, Portal
from tests.e2e.test_portal import Visit, _png

MSP_PRIMARY = "#0B6E4F"  # what onboard_demo sets as the test MSP's fleet branding
DEFAULT_HEADER = "rgb(13, 45, 94)"
BRANDED_HEADER = "rgb(11, 110, 79)"
BRANDED, UNBRANDED = 0, 1  # the seeded customers: branding on (the fleet's), switched off


@pytest.fixture
def visit(browser: Any, portal: Portal) -> Iterator[Visit]:
    v = Visit(browser, portal)
    yield v
    v.close()


def _as(portal: Portal, user_id: str) -> dict[str, str]:
    return {"authorization": f"Bearer {portal.signin.token_for(user_id)}"}


@pytest.fixture(scope="module")
def looks(portal: Portal) -> Portal:
    """The MSP's fleet logo uploaded, and branding switched off for the second customer."""
    admin = _as(portal, "msp-admin")
    logo = httpx.put(
        f"{portal.base}/api/branding/logo",
        headers={**admin, "content-type": "image/png"},
        content=_png(),
        timeout=30,
    )
    assert logo.status_code == 200, logo.text
    off = httpx.put(
        f"{portal.base}/api/tenants/{portal.tenants[UNBRANDED]['id']}/branding",
        headers=admin,
        json={"enabled": False},
        timeout=30,
    )
    assert off.status_code == 200, off.text
    return portal


def _header(visit: Visit) -> dict[str, Any]:
    return dict(
        visit.page.evaluate(
            """() => {
              const top = document.querySelector('header.top');
              const img = top.querySelector('.brand img');
              return {
                branded: document.documentElement.classList.contains('branded'),
                background: getComputedStyle(top).backgroundColor,
                brand: top.querySelector('.brand').innerText.trim(),
                logoWidth: img ? img.naturalWidth : 0,
              };
            }"""
        )
    )


@pytest.mark.parametrize("role", ["customer_admin", "customer_viewer"])
def test_customer_users_see_their_msps_branding_when_it_is_on(looks: Portal, visit: Visit, role: str) -> None:
    tenant = looks.tenants[BRANDED]
    visit.sign_in(looks.user(role, BRANDED).id)
    visit.heading(tenant["displayName"])
    visit.page.locator("header.top .brand img.brand-logo").wait_for()
    header = _header(visit)
    assert header["branded"] and header["background"] == BRANDED_HEADER
    assert header["brand"] == DEMO_MSP_NAME  # the MSP's name where ScanPosture's would be
    assert header["logoWidth"] == 48  # the uploaded logo, decoded by the browser
    # Links take the MSP's colour: dark enough to read on white.
    accent = visit.page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--accent')"
    )
    assert accent.strip().upper() == MSP_PRIMARY
    visit.check(f"look-{role}-branded")


@pytest.mark.parametrize("role", ["customer_admin", "customer_viewer"])
def test_customer_users_see_the_default_look_when_branding_is_off(
    looks: Portal, visit: Visit, role: str
) -> None:
    tenant = looks.tenants[UNBRANDED]
    visit.sign_in(looks.user(role, UNBRANDED).id)
    visit.heading(tenant["displayName"])
    header = _header(visit)
    assert not header["branded"]
    assert header["background"] == DEFAULT_HEADER
    assert header["brand"] == "ScanPosture" and header["logoWidth"] == 0
    visit.check(f"look-{role}-default")


def test_msp_staff_keep_scanposture_look_and_sign_out_restores_it(looks: Portal, visit: Visit) -> None:
    visit.sign_in("msp-admin")
    visit.heading("Fleet")
    header = _header(visit)
    assert not header["branded"] and header["brand"] == "ScanPosture"
    # A branded customer who signs out leaves no trace of the MSP's look on the sign-in page.
    visit.page.get_by_role("button", name="Sign out").click()
    visit.sign_in(looks.user("customer_viewer", BRANDED).id)
    visit.page.locator("header.top .brand img.brand-logo").wait_for()
    visit.heading(looks.tenants[BRANDED]["displayName"])  # the page done, not still loading
    visit.page.get_by_role("button", name="Sign out").click()
    visit.page.get_by_role("heading", name="Sign in to ScanPosture").wait_for()
    assert _header(visit) | {"background": None} == {
        "branded": False,
        "background": None,
        "brand": "ScanPosture",
        "logoWidth": 0,
    }


def _second_msp_sharing_a_tenant(
    portal: Portal, stack: LocalStack, graphsim: GraphSimulator
) -> tuple[str, bytes]:
    """Another MSP that manages the branded customer's tenant too, with a logo of its own."""
    settings = Settings(**{k.lower(): v for k, v in {**stack.env(), **graphsim.env()}.items()})  # type: ignore[arg-type]
    other = f"other-msp-{uuid.uuid4().hex[:8]}"
    tenant_id = portal.tenants[BRANDED]["id"]

    async def seed() -> bytes:
        services = build_services(settings)
        try:
            await create_org(services.store, other, "Rival MSP", "msp")
            await register_customer(
                services.store.org(other),
                tenant_id=tenant_id,
                display_name="Shared customer",
                primary_domain=portal.tenants[BRANDED]["defaultDomain"],
                connected=True,
            )
            rival = Principal(
                "rival-tenant", "rival-admin", "Rival", None, (Membership(other, Role.MSP_ADMIN),)
            )
            grant = Grant(rival, other, Role.MSP_ADMIN, None)
            actor = Actor("user", "rival-tenant", "rival-admin", "Rival")
            await update_branding(
                services,
                grant,
                actor,
                BrandingScope(other),
                changes={"primary": "#AA0000"},
                logo=_png(64, 32),
            )
            stored = await logo_bytes(services, await read_branding(services, BrandingScope(other)))
            assert stored is not None
            return stored
        finally:
            await services.close()

    # Playwright's sync API keeps an event loop running in this thread: seed from another one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return other, pool.submit(asyncio.run, seed()).result()


def test_a_customer_user_reaches_only_their_own_msps_logo(
    looks: Portal, stack: LocalStack, graphsim: GraphSimulator
) -> None:
    other_org, other_logo = _second_msp_sharing_a_tenant(looks, stack, graphsim)
    tenant = looks.tenants[BRANDED]["id"]
    customer = _as(looks, looks.user("customer_admin", BRANDED).id)
    own = httpx.get(f"{looks.base}/api/branding/logo", headers=_as(looks, "msp-admin"), timeout=30)
    assert own.status_code == 200
    with httpx.Client(base_url=looks.base, headers=customer, timeout=30) as api:
        mine = api.get(f"/api/tenants/{tenant}/branding/logo")
        assert mine.status_code == 200 and mine.content == own.content != other_logo
        # The rival MSP manages the same tenant: naming its org does not open its branding.
        for path in (f"/api/tenants/{tenant}/branding/logo", f"/api/tenants/{tenant}/branding"):
            assert api.get(path, params={"org": other_org}).status_code == 403, path
        # Nor does the fleet logo route (MSP admins only), nor another customer's tenant.
        assert api.get("/api/branding/logo").status_code == 403
        assert api.get("/api/branding/logo", params={"org": other_org}).status_code == 403
        elsewhere = looks.tenants[UNBRANDED]["id"]
        assert api.get(f"/api/tenants/{elsewhere}/branding/logo").status_code == 403


def test_msp_admin_prints_the_fleet_as_it_looks(looks: Portal, visit: Visit) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.heading("Fleet")
    page.locator("table.fleet tbody tr").first.wait_for()
    page.emulate_media(media="print")
    for hidden in ("#nav", "header .who", "form.filters", "main button"):
        assert all(not el.is_visible() for el in page.locator(hidden).all()), hidden
    table = page.locator("table.fleet")
    assert table.is_visible()
    # The whole table shows: no scroll container clips it, and it spans the page's width.
    clipped = page.evaluate(
        """() => {
          const table = document.querySelector('table.fleet');
          const box = table.closest('.scroll');
          return {overflow: getComputedStyle(box).overflowX, wider: table.scrollWidth - box.clientWidth,
                  share: table.getBoundingClientRect().width / document.querySelector('main').clientWidth};
        }"""
    )
    assert clipped["overflow"] == "visible" and clipped["wider"] <= 0 and clipped["share"] > 0.99
    badge = page.locator("table.fleet .badge").first
    assert badge.evaluate("el => getComputedStyle(el).printColorAdjust") == "exact"
    pdf = page.pdf(path=str(ARTIFACTS / "look-fleet-print.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    page.emulate_media(media="screen")
    assert page.locator("#nav").is_visible()  # the screen is untouched


def test_a_customer_admin_who_rebrands_sees_the_new_look_at_once(looks: Portal, visit: Visit) -> None:
    admin = _as(looks, "msp-admin")
    allowed = httpx.put(f"{looks.base}/api/branding", headers=admin, json={"customerAdminsMayBrand": True})
    assert allowed.status_code == 200, allowed.text
    tenant = looks.tenants[BRANDED]["id"]
    try:
        visit.sign_in(looks.user("customer_admin", BRANDED).id)
        visit.go(f"#/tenants/{tenant}/branding")
        visit.page.get_by_label("Primary colour").fill("#7a1f5c")
        visit.page.get_by_role("button", name="Save branding").click()
        visit.page.get_by_text("Branding saved.").wait_for()
        header = "getComputedStyle(document.querySelector('header.top')).backgroundColor"
        visit.page.wait_for_function(f"() => {header} === 'rgb(122, 31, 92)'")
        assert _header(visit)["brand"] == DEMO_MSP_NAME
    finally:
        httpx.put(f"{looks.base}/api/branding", headers=admin, json={"customerAdminsMayBrand": False})
        httpx.put(f"{looks.base}/api/tenants/{tenant}/branding", headers=admin, json={"primary": MSP_PRIMARY})


def test_signing_out_while_a_page_loads_leaves_the_sign_in_page(looks: Portal, visit: Visit) -> None:
    held: list[Any] = []

    def hold(route: Any) -> None:  # the overview's data, held until released
        held.append(route)

    visit.page.route("**/dashboard", hold)
    visit.sign_in(looks.user("customer_viewer", BRANDED).id)
    visit.page.locator("header.top .brand img.brand-logo").wait_for()
    for _ in range(100):
        if held:
            break
        visit.page.wait_for_timeout(100)
    assert held, "the overview did not ask for its data"
    visit.page.get_by_role("button", name="Sign out").click()
    visit.page.get_by_role("heading", name="Sign in to ScanPosture").wait_for()
    for route in held:
        route.continue_()
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.get_by_role("heading", name="Sign in to ScanPosture").is_visible()
    assert _header(visit)["brand"] == "ScanPosture"  # and the MSP's look went with the person


def test_a_branded_customer_prints_with_the_msps_header(looks: Portal, visit: Visit) -> None:
    page = visit.page
    visit.sign_in(looks.user("customer_admin", BRANDED).id)
    visit.heading(looks.tenants[BRANDED]["displayName"])
    page.locator("header.top .brand img.brand-logo").wait_for()
    page.emulate_media(media="print")
    assert page.locator("header.top .brand img.brand-logo").is_visible()
    assert (
        not page.locator("#nav").is_visible() and not page.get_by_role("button", name="Scan now").is_visible()
    )
    assert page.locator("header.top").evaluate("el => getComputedStyle(el).printColorAdjust") == "exact"
    pdf = page.pdf(path=str(ARTIFACTS / "look-customer-print.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
