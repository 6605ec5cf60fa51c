"""The portal in headless Chromium against the app served over HTTP: sign-in through the local
provider's chooser as each role, what each sees and cannot reach, the fleet, drill-down and risk
acceptance, cross-tenant search, onboarding through admin consent, reports and branding. Every
page is screenshotted under test-artifacts/portal/, checked with axe-core (no serious or critical
violations) and must leave nothing in the console."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import ssl
import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from devtools.consent_browser import consent_as_admin
from tests.e2e.conftest import ARTIFACTS, Portal


class Visit:
    """One browser context (its own sessionStorage), with console errors collected."""

    def __init__(self, browser: Any, portal: Portal) -> None:
        self.portal = portal
        # The Graph simulator's sign-in page has a certificate of its own making.
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 860}, accept_downloads=True, ignore_https_errors=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        # Requests a test makes fail on purpose (a role without the right) log the HTTP status.
        self.expected: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} @ {message.location}")

    def sign_in(self, user_id: str) -> None:
        page = self.page
        page.goto(f"{self.portal.base}/")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/authorize\?"))
        page.get_by_role("link", name=self.portal.users[user_id].name, exact=True).click()
        page.wait_for_url(re.compile(re.escape(self.portal.base) + r"/#/"))
        page.get_by_role("button", name="Sign out").wait_for()

    def go(self, hash_: str) -> None:
        self.page.evaluate("h => { location.hash = h; }", hash_)
        self.page.wait_for_load_state()

    def heading(self, text: str) -> None:
        self.page.get_by_role("heading", level=1, name=text).wait_for()

    def check(self, name: str) -> None:
        """Screenshot, then axe-core: no serious or critical violations."""
        page = self.page
        page.locator("main .loading").wait_for(state="detached")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(url="/vendor/axe.min.js")  # same origin: allowed by the CSP
        result = page.evaluate(
            "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], f"{name}: accessibility violations: {bad}"

    def tablet(self, name: str) -> None:
        """The same page at tablet width: screenshot, and nothing wider than the screen."""
        self.page.set_viewport_size({"width": 820, "height": 1180})
        try:
            self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            overflow = self.page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"{name}: the page is {overflow}px wider than a tablet"
        finally:
            self.page.set_viewport_size({"width": 1280, "height": 860})

    def nav(self) -> list[str]:
        return self.page.locator("#nav a").all_inner_texts()

    def close(self) -> None:
        self.context.close()
        unexpected = [e for e in self.errors if not any(x in e for x in self.expected)]
        assert unexpected == [], f"console errors: {unexpected}"


@pytest.fixture
def visit(browser: Any, portal: Portal) -> Iterator[Visit]:
    v = Visit(browser, portal)
    yield v
    v.close()


def _png(width: int = 48, height: int = 24) -> bytes:
    """A small valid PNG (a two-colour logo), made here so no binary is committed."""
    row = b"\x00" + bytes((200, 40, 40)) * (width // 2) + bytes((20, 90, 200)) * (width - width // 2)
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_config_and_security_headers(portal: Portal) -> None:
    config = httpx.get(f"{portal.base}/api/config").json()
    assert config["signinUrl"] == f"{portal.signin.base_url}/authorize"
    assert set(config["auth"]) == {"clientId", "authority"}
    page = httpx.get(f"{portal.base}/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in httpx.get(f"{portal.base}/api/health").headers


def test_msp_admin_fleet_drilldown_and_risk_acceptance(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.heading("Fleet")
    assert visit.nav() == [
        "Fleet",
        "Search",
        "Add customer",
        "Branding",
        "Team",
        "Audit log",
        "Billing",
        "Integrations",
    ]
    rows = page.locator("table.fleet tbody tr")
    names = page.locator("table.fleet tbody th a").all_inner_texts()
    assert {"Harbor Clinic", "Summit Builders"} <= set(names)
    visit.check("fleet")
    visit.tablet("fleet-tablet")
    with page.expect_download() as exported:
        page.get_by_role("button", name="Export findings (CSV)").click()
    csv_path = exported.value.path()
    with open(csv_path, encoding="utf-8") as csv:
        assert "Harbor Clinic" in csv.read()
    # Sorted by score, worst first: the weak tenant leads.
    page.get_by_label("Sort by").select_option("score")
    page.get_by_label("Order").select_option("asc")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"sort=score"))
    assert rows.first.locator("th a").inner_text() == "Harbor Clinic"
    page.get_by_label("Name", exact=True).fill("Summit")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"name=Summit"))
    rows.nth(1).wait_for(state="detached")

    weak = portal.tenants[0]["id"]
    visit.go(f"#/tenants/{weak}")
    visit.heading("Harbor Clinic")
    before = page.get_by_test_id("score").inner_text()
    visit.check("tenant-dashboard")
    visit.tablet("tenant-dashboard-tablet")

    page.get_by_role("link", name="Findings", exact=True).last.click()
    visit.heading("Harbor Clinic: findings")
    page.get_by_label("Status").select_option("fail")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"status=fail"))
    visit.check("findings")
    page.locator("table.data tbody tr th a").first.click()
    page.get_by_role("heading", name="Evidence").wait_for()
    visit.check("finding-detail")
    page.get_by_label("Justification").fill("Compensating control: conditional access covers this.")
    page.get_by_role("button", name="Accept risk").click()
    page.get_by_role("heading", name="Risk accepted").wait_for()
    visit.check("finding-accepted")

    visit.go(f"#/tenants/{weak}")
    visit.heading("Harbor Clinic")
    after = page.get_by_test_id("score").inner_text()
    assert after != before, "accepting a failing risk changes the score"
    page.go_back()
    page.get_by_role("button", name="Revoke acceptance").click()
    page.get_by_role("heading", name="Accept this risk").wait_for()


def test_search_across_tenants(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.sign_in("msp-analyst")
    visit.go("#/search")
    visit.heading("Search")
    visit.check("search-empty")
    page.get_by_label("Search checks across all customers").fill("MFA")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=MFA"))
    page.locator("section.result").first.wait_for()
    text = page.locator("main").inner_text()
    assert "Harbor Clinic" in text
    visit.check("search-results")
    # The product page's own question, typed as written.
    visit.go("#/search")
    page.get_by_label("Search checks across all customers").fill(
        "which customers still have legacy SMTP auth enabled?"
    )
    page.get_by_role("button", name="Search").click()
    page.get_by_role("heading", name="SMTP AUTH is disabled for the organisation").wait_for()
    # A misspelt word matches nothing, and the nearest checks are offered instead.
    visit.go("#/search?q=smpt")
    page.get_by_text("Did you mean:").wait_for()
    visit.check("search-suggestions")
    page.get_by_role("link", name="SMTP AUTH is disabled for the organisation").click()
    page.wait_for_url(re.compile(r"q=exo\.smtp_auth_disabled"))
    page.get_by_text("1 check matches").wait_for()


def test_onboarding_through_admin_consent(visit: Visit, portal: Portal) -> None:
    page = visit.page
    spare = portal.spare_tenant
    visit.sign_in("msp-admin")
    visit.go("#/onboard")
    visit.heading("Add a customer")
    visit.check("onboard")
    page.get_by_label("Customer name").fill(spare["displayName"])
    page.get_by_label("Primary domain").fill(spare["defaultDomain"])
    page.get_by_role("button", name="Add customer").click()
    visit.heading(spare["displayName"])
    link = page.get_by_role("textbox", name="Consent link", exact=True).input_value()
    assert "/authorize" in link or "adminconsent" in link
    page.get_by_label("Email the link to").fill(f"admin@{spare['defaultDomain']}")
    page.get_by_role("button", name="Send email").click()
    page.get_by_text(f"Sent to admin@{spare['defaultDomain']}.").wait_for()
    assert "null" not in page.locator("main").inner_text().split("\n")  # no stray null child
    visit.check("onboard-status")
    # The customer's Global Administrator grants consent and signs in at their tenant.
    _consent_in_browser(page, portal, link, spare["id"])
    visit.heading(spare["displayName"])
    page.get_by_text("First scan finished: yes").wait_for(timeout=60_000)
    page.get_by_role("link", name="Open the customer's dashboard").click()
    visit.heading(spare["displayName"])
    assert re.fullmatch(r"\d+\.\d / 100", page.get_by_test_id("score").inner_text())  # one decimal (issue 18)


def test_reports_generate_and_download(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.go(f"#/tenants/{portal.tenants[1]['id']}/reports")
    visit.heading("Summit Builders: reports")
    page.get_by_role("button", name="Generate report").click()
    page.get_by_role("button", name="Download PDF").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Send summary now").click()
    page.get_by_text(re.compile(r"Summary \w+ to it@")).wait_for(timeout=30_000)
    visit.check("reports")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download PDF").first.click()
    path = info.value.path()
    assert path is not None
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_branding_logo_upload_and_preview(visit: Visit, portal: Portal, tmp_path: Any) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.go("#/branding")
    visit.heading("Branding")
    logo = tmp_path / "logo.png"
    logo.write_bytes(_png())
    page.get_by_label("Logo (PNG or JPEG)").set_input_files(str(logo))
    preview = page.get_by_role("img", name="Logo")
    preview.wait_for()
    assert page.evaluate("() => document.querySelector('.cover-logo').naturalWidth") == 48
    page.get_by_label("Primary colour").fill("#7a1f5c")
    band = page.evaluate("() => getComputedStyle(document.querySelector('.cover-band')).backgroundColor")
    assert band == "rgb(122, 31, 92)"
    page.get_by_role("button", name="Save branding").click()
    page.get_by_text("Branding and logo saved.").wait_for()
    visit.check("branding")
    # After a reload the preview shows the saved logo, not an empty band.
    page.reload()
    visit.heading("Branding")
    page.get_by_role("img", name="Logo").wait_for()
    page.wait_for_function("() => document.querySelector('.cover-logo').naturalWidth === 48")


def test_team_and_audit_pages(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.go("#/team")
    visit.heading("Team")
    assert "Arun Analyst" in page.locator("table.data").inner_text()
    page.get_by_label("Email").fill("new.analyst@portal-msp.example")
    page.get_by_role("button", name="Invite").click()
    assert "#/invitations/accept?code=" in page.get_by_role("textbox", name="Invitation link").input_value()
    visit.check("team")
    visit.go("#/audit")
    visit.heading("Audit log")
    assert (
        "customer.added" in page.locator("table.data").inner_text()
        or page.locator("table.data tbody tr").count() > 0
    )
    visit.check("audit")


def test_analyst_cannot_reach_admin_pages(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.sign_in("msp-analyst")
    visit.heading("Fleet")
    assert visit.nav() == ["Fleet", "Search"]
    # Keyboard: the skip link comes first, focus is visible, links open with Enter. (A reload
    # starts focus at the top of the document; the session survives it.)
    page.reload()
    visit.heading("Fleet")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.locator("table.fleet tbody th a", has_text="Summit Builders").focus()
    page.keyboard.press("Enter")
    visit.heading("Summit Builders")
    visit.go("#/fleet")
    visit.heading("Fleet")
    assert page.get_by_role("link", name="Add customer").count() == 0
    visit.expected.append("403")
    visit.go("#/team")
    page.get_by_role("alert").wait_for()
    assert "Something went wrong" in page.get_by_role("alert").inner_text()
    visit.check("analyst-forbidden")


def test_customer_admin_sees_own_tenant_with_controls(visit: Visit, portal: Portal) -> None:
    page = visit.page
    admin = portal.user("customer_admin")
    visit.sign_in(admin.id)
    visit.heading("Harbor Clinic")
    assert visit.nav() == ["Overview", "Findings", "Reports", "Users", "Branding", "Audit log"]
    # Scan now, and the second scan draws the trend chart (uPlot, under the CSP).
    page.get_by_role("button", name="Scan now").click()
    page.get_by_text("Scan requested").wait_for()
    tenant_id = portal.tenants[0]["id"]
    as_admin = {"authorization": f"Bearer {portal.signin.token_for(admin.id)}"}
    with httpx.Client(base_url=portal.base, headers=as_admin, timeout=30) as api:
        deadline = time.monotonic() + 60
        while len(api.get(f"/api/tenants/{tenant_id}/dashboard").json()["trend"]) < 2:
            assert time.monotonic() < deadline, "the second scan did not land"
            time.sleep(0.3)
    page.reload()
    visit.heading("Harbor Clinic")
    page.locator("#trend-chart canvas").wait_for()
    visit.check("customer-admin-dashboard")
    visit.go(f"#/tenants/{portal.tenants[0]['id']}/users")
    visit.heading("Harbor Clinic: users")
    visit.check("customer-users")
    visit.go(f"#/tenants/{portal.tenants[0]['id']}/branding")
    visit.heading("Harbor Clinic: branding")
    # The MSP has not let customer admins brand: the preview, but no form.
    assert page.get_by_role("button", name="Save branding").count() == 0
    page.get_by_text("Your provider manages the branding of your reports.").wait_for()
    visit.check("customer-branding")


def test_customer_viewer_sees_no_controls_and_no_other_tenant(visit: Visit, portal: Portal) -> None:
    page = visit.page
    viewer = portal.user("customer_viewer")
    own = portal.tenants[0]["id"]
    visit.sign_in(viewer.id)
    visit.heading("Harbor Clinic")
    assert visit.nav() == ["Overview", "Findings", "Reports"]
    assert page.get_by_role("button", name="Scan now").count() == 0
    visit.check("viewer-dashboard")
    visit.go(f"#/tenants/{own}/findings?status=fail")
    visit.heading("Harbor Clinic: findings")
    # Paging through the API's continuation tokens, forwards and back.
    first = page.locator("table.data tbody th a").first.inner_text()
    page.get_by_role("link", name="Next →").click()
    page.get_by_role("link", name="← Previous").wait_for()
    assert page.locator("table.data tbody th a").first.inner_text() != first
    page.get_by_role("link", name="← Previous").click()
    page.get_by_role("link", name="← Previous").wait_for(state="detached")
    assert page.locator("table.data tbody th a").first.inner_text() == first
    page.locator("table.data tbody tr th a").first.click()
    page.get_by_role("heading", name="Evidence").wait_for()
    assert page.get_by_role("button", name="Accept risk").count() == 0
    assert page.get_by_role("button", name="Revoke acceptance").count() == 0
    visit.check("viewer-finding")
    visit.go(f"#/tenants/{own}/reports")
    visit.heading("Harbor Clinic: reports")
    assert page.get_by_role("button", name="Generate report").count() == 0
    assert page.get_by_role("button", name="Send summary now").count() == 0
    visit.check("viewer-reports")
    # Another customer's tenant and the fleet: refused by the API, said in words.
    visit.expected.append("403")
    visit.expected.append("404")
    visit.go(f"#/tenants/{portal.tenants[1]['id']}")
    page.get_by_role("alert").wait_for()
    assert "Summit Builders" not in page.locator("main").inner_text()
    visit.go("#/fleet")
    page.get_by_role("alert").wait_for()
    visit.check("viewer-forbidden")


def _onboard_by_api(portal: Portal, name: str) -> tuple[str, str]:
    """Add a customer and grant consent without the browser (the browser test of it is above)."""
    tenant = portal.new_tenant(name)
    admin = {"authorization": f"Bearer {portal.signin.token_for('msp-admin')}"}
    with httpx.Client(base_url=portal.base, headers=admin, timeout=60) as api:
        added = api.post(
            "/api/customers", json={"displayName": name, "primaryDomain": tenant["defaultDomain"]}
        ).json()
        customer_id = added["customer"]["customerId"]
        _grant(portal, added["consentLink"]["url"], tenant["id"], api)
        _wait(api, customer_id, lambda c: bool(c["summary"].get("lastScanAt")))
    return tenant["id"], customer_id


def _consent_in_browser(page: Any, portal: Portal, link: str, tenant_id: str) -> None:
    """Consent on the simulator's page, then the callback and the tenant's sign-in in the browser
    itself: the callback's cookie binds the sign-in to the browser that consented."""
    tls = ssl.create_default_context(cafile=str(portal.graphsim.ca_cert))
    granted = httpx.get(f"{link}&sim_tenant={tenant_id}&sim_outcome=grant", verify=tls)
    callback = urlsplit(granted.headers["location"])
    page.goto(f"{portal.base}{callback.path}?{callback.query}")
    assert "/oauth2/v2.0/authorize" in page.url, page.url
    page.goto(f"{page.url}&sim_user=global-admin")


def _grant(portal: Portal, link: str, tenant_id: str, api: httpx.Client) -> None:
    async def walk() -> int:
        tls = ssl.create_default_context(cafile=str(portal.graphsim.ca_cert))
        async with (
            httpx.AsyncClient(verify=tls) as sim,
            httpx.AsyncClient(base_url=portal.base, timeout=60) as browser,
        ):
            return (await consent_as_admin(sim, browser, link, tenant_id)).status_code

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread
        assert pool.submit(asyncio.run, walk()).result() == 302


def _wait(api: httpx.Client, customer_id: str, done: Any, seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        customer = api.get(f"/api/customers/{customer_id}").json()
        if done(customer):
            return dict(customer)
        time.sleep(0.3)
    raise AssertionError(f"customer {customer_id} did not get there in {seconds:g} s: {customer}")


def test_connection_lost_banner_and_reconnect(visit: Visit, portal: Portal) -> None:
    page = visit.page
    tenant_id, customer_id = _onboard_by_api(portal, "Cedar Dental")
    # The customer removes the app; the next scan finds out.
    portal.graphsim.set_consent(tenant_id, "revoked")
    admin = {"authorization": f"Bearer {portal.signin.token_for('msp-admin')}"}
    with httpx.Client(base_url=portal.base, headers=admin, timeout=60) as api:
        assert api.post(f"/api/tenants/{tenant_id}/scans").status_code == 202
        _wait(api, customer_id, lambda c: c["connection"]["state"] == "connection_lost")

    visit.sign_in("msp-admin")
    visit.heading("Fleet")
    banner = page.get_by_role("region", name="Connection lost")
    banner.wait_for()
    assert "Cedar Dental" in banner.inner_text()
    visit.check("fleet-connection-lost")
    page.get_by_role("button", name="Reconnect Cedar Dental").click()
    link = page.get_by_role("textbox", name="Consent link", exact=True).input_value()
    _consent_in_browser(page, portal, link, tenant_id)
    visit.heading("Cedar Dental")
    page.get_by_text("Consent granted: yes").wait_for()
    visit.check("reconnected")


def test_invite_accept_change_role_and_remove(browser: Any, visit: Visit, portal: Portal) -> None:
    page = visit.page
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove ...?"
    summit = portal.tenants[1]["id"]
    newcomer = portal.users["newcomer"]
    visit.sign_in("msp-admin")
    visit.go(f"#/tenants/{summit}/users")
    visit.heading("Summit Builders: users")
    page.get_by_label("Email").fill(newcomer.email)
    page.get_by_label("Role", exact=True).select_option("customer_viewer")
    page.get_by_role("button", name="Invite").click()
    link = page.get_by_role("textbox", name="Invitation link").input_value()

    # The newcomer opens the link in their own browser, signs in, and lands back on it.
    theirs = Visit(browser, portal)
    try:
        theirs.page.goto(link)
        theirs.page.get_by_role("button", name="Sign in").click()
        theirs.page.get_by_role("link", name=newcomer.name, exact=True).click()
        theirs.heading("Invitation accepted")
        theirs.check("invitation-accepted")
        theirs.page.get_by_role("link", name="Continue").click()
        theirs.heading("Summit Builders")
        assert theirs.nav() == ["Overview", "Findings", "Reports"]
    finally:
        theirs.close()

    visit.go(f"#/tenants/{summit}")
    visit.go(f"#/tenants/{summit}/users")
    visit.heading("Summit Builders: users")
    role = page.get_by_label(f"Role of {newcomer.name}")
    role.select_option("customer_admin")
    page.get_by_text("Role changed.").wait_for()
    page.get_by_role("button", name=f"Remove {newcomer.name}").click()
    page.get_by_role("button", name=f"Remove {newcomer.name}").wait_for(state="detached")
    visit.check("customer-users-after")


def test_msal_loads_and_starts_under_the_csp(visit: Visit, portal: Portal) -> None:
    """Production sign-in (no local chooser) uses msal-browser: it loads from the portal's own
    origin and builds its application as auth.js does, with the page's CSP in force."""
    page = visit.page
    page.goto(f"{portal.base}/")
    page.get_by_role("button", name="Sign in").wait_for()
    page.add_script_tag(url="/vendor/msal-browser.min.js")
    kind = page.evaluate(
        """async () => {
            const app = await window.msal.createStandardPublicClientApplication({
                auth: { clientId: "00000000-0000-0000-0000-000000000001",
                        authority: "https://login.microsoftonline.com/organizations",
                        redirectUri: `${location.origin}/` },
                cache: { cacheLocation: "sessionStorage" },
            });
            await app.handleRedirectPromise();
            return typeof app.loginRedirect;
        }"""
    )
    assert kind == "function"


def test_someone_without_an_account_is_told_so(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.expected.append("403")  # /api/me refuses a person who belongs nowhere
    visit.sign_in("stranger")
    visit.heading("You are signed in, but not a member yet")
    assert visit.nav() == []
    visit.check("no-account")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()


def test_billing_plan_and_invoice_preview(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.go("#/billing")
    visit.heading("Billing")
    page.get_by_label("Currency").fill("EUR")
    for i, rate in enumerate(("3.00", "2.50", "2.00", "1.50")):
        page.get_by_label(re.compile(r"^Rate per user per month")).nth(i).fill(rate)
    page.get_by_role("button", name="Save plan").click()
    page.get_by_text("Plan saved.").wait_for()
    assert page.get_by_text("No price plan yet").count() == 0  # the banner goes with the saved plan
    page.get_by_role("button", name="Preview invoice").click()
    total = page.get_by_test_id("invoice-total")
    total.wait_for()
    assert total.inner_text().endswith("EUR")
    # Numbers line up on the right (a broader table rule used to win over td.num).
    assert total.evaluate("cell => getComputedStyle(cell).textAlign") == "right"
    with page.expect_download() as info:
        page.get_by_role("button", name="Download PDF").click()
    path = info.value.path()
    assert path is not None
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    visit.check("billing")


def test_integrations_api_key_shown_once_and_webhook_validation(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.go("#/integrations")
    visit.heading("Integrations")
    page.get_by_label("Name").fill("PSA sync")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_role("textbox", name="API key")
    key.wait_for()
    assert key.input_value().startswith("spk.")
    visit.expected.append("400 (Bad Request)")  # the refused endpoint below
    page.get_by_label("HTTPS URL").fill("https://10.0.0.5/hook")
    page.get_by_role("button", name="Add endpoint").click()
    page.get_by_text(re.compile("non-public address")).wait_for()  # the API's reason, in words
    visit.check("integrations")
    page.reload()  # the key is listed now, and its secret is not shown again
    visit.heading("Integrations")
    assert "PSA sync" in page.locator("table.data").last.inner_text()
    assert page.get_by_role("textbox", name="API key").count() == 0


def test_webhook_test_event_appears_in_the_delivery_log(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.go("#/integrations")
    visit.heading("Integrations")
    # Loopback is allowed in this stack; nothing listens on port 9, so the delivery fails.
    page.get_by_label("HTTPS URL").fill("https://127.0.0.1:9/closed")
    page.get_by_role("button", name="Add endpoint").click()
    assert page.get_by_role("textbox", name="Signing secret").input_value().startswith("whsec_")
    page.reload()
    visit.heading("Integrations")
    row = page.get_by_role("row").filter(has_text="https://127.0.0.1:9/closed")
    row.get_by_role("button", name="Send test event").click()
    row.get_by_text(re.compile("queued")).wait_for()
    deadline = time.monotonic() + 20
    while True:  # the local worker polls its queue every second
        row.get_by_role("button", name="Deliveries").click()
        row.get_by_text(re.compile("shown below")).wait_for()
        if page.locator("table.deliveries tbody tr").count() or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
    first = page.locator("table.deliveries tbody tr").first.inner_text()
    assert "failed" in first and "no response" in first and "1" in first
    visit.check("integrations-deliveries")
