"""Managing customers and feedback in the portal (issue 18, items 4 and 5), in headless Chromium:
errors beside their field and an explicit "Add anyway" for a domain already in the fleet, the
fleet rows' actions (consent link, tags, cancel, remove) and tag filter, Scan now's progress,
reports that ask first and keep the earlier ones, and a no-access page for what a role cannot use.
Each state is screenshotted under test-artifacts/portal/ and checked with axe-core."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Portal
from tests.e2e.test_portal import Visit

NO_ACCESS = "You don't have access to this page"


@pytest.fixture
def visit(browser: Any, portal: Portal) -> Iterator[Visit]:
    v = Visit(browser, portal)
    yield v
    v.close()


def _api(portal: Portal, user: str = "msp-admin") -> httpx.Client:
    token = portal.signin.token_for(user)
    return httpx.Client(base_url=portal.base, headers={"authorization": f"Bearer {token}"}, timeout=60)


def _add(portal: Portal, name: str, domain: str) -> str:
    with _api(portal) as api:
        added = api.post("/api/customers", json={"displayName": name, "primaryDomain": domain})
        assert added.status_code == 201, added.text
        return str(added.json()["customer"]["customerId"])


def _described_by(page: Any, name: str) -> str:
    """The text of whatever the control named `name` is described by (its error)."""
    return str(
        page.evaluate(
            """n => {
                const c = document.querySelector(`[name="${n}"]`);
                return (c.getAttribute("aria-describedby") || "").split(" ").filter(Boolean)
                    .map((id) => document.getElementById(id).textContent).join(" ");
            }""",
            name,
        )
    )


def test_onboarding_errors_sit_beside_their_fields_and_a_duplicate_domain_is_confirmed(
    visit: Visit, portal: Portal
) -> None:
    page = visit.page
    visit.expected += ["400", "409"]  # refused on purpose: the browser logs the status
    visit.sign_in("msp-admin")
    visit.go("#/onboard")
    visit.heading("Add a customer")
    page.get_by_label("Primary domain").fill("not a domain")
    page.get_by_role("button", name="Add customer").click()
    page.locator(".field-error").first.wait_for()
    assert page.get_by_label("Customer name").get_attribute("aria-invalid") == "true"
    assert _described_by(page, "displayName") == "Display name cannot be empty."
    assert _described_by(page, "primaryDomain") == "Primary domain must be a domain name like contoso.com."
    text = page.locator("main").inner_text()
    for leak in ("pattern", "^(", "body.", "POST", "String should"):
        assert leak not in text
    visit.check("manage-onboard-field-errors")

    existing = portal.tenants[0]
    page.get_by_label("Customer name").fill("Harbor Clinic Annex")
    page.get_by_label("Primary domain").fill(existing["defaultDomain"].upper())
    page.get_by_role("button", name="Add customer").click()
    anyway = page.get_by_role("button", name="Add anyway")
    anyway.wait_for()
    assert "Harbor Clinic" in _described_by(page, "primaryDomain")
    assert page.get_by_label("Customer name").get_attribute("aria-invalid") is None  # fixed now
    visit.check("manage-onboard-duplicate")
    anyway.click()
    visit.heading("Harbor Clinic Annex")
    with _api(portal) as api:
        names = [
            c["displayName"]
            for c in api.get(f"/api/fleet?name={existing['defaultDomain']}").json()["customers"]
        ]
    assert sorted(names) == ["Harbor Clinic", "Harbor Clinic Annex"]


def _row(page: Any, name: str) -> Any:
    return page.locator("table.fleet tbody tr", has=page.get_by_role("link", name=name, exact=True))


def _open_action(page: Any, name: str, action: str) -> None:
    row = _row(page, name)
    row.locator("summary").click()
    row.get_by_role("button", name=action).click()


def test_fleet_rows_offer_consent_link_tags_cancel_and_remove(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.expected.append("400")
    name = "Row Actions Ltd"
    _add(portal, name, "row-actions.example")
    visit.sign_in("msp-admin")
    visit.heading("Fleet")
    assert page.get_by_role("columnheader", name="Actions").count() == 1

    _open_action(page, name, "New consent link")
    link = page.get_by_role("textbox", name=f"New consent link for {name}")
    link.wait_for()
    assert "adminconsent" in link.input_value()
    assert _row(page, name).get_by_role("button", name="Copy link").count() == 1

    _open_action(page, name, "Edit tags")
    page.get_by_role("textbox", name="Tags").fill("a/b")
    page.get_by_role("button", name="Save tags").click()
    page.locator(".field-error").wait_for()
    assert "letters, digits" in _described_by(page, "tags")
    page.get_by_role("textbox", name="Tags").fill("dental, Gold plan")
    page.get_by_role("button", name="Save tags").click()
    _row(page, name).get_by_text("Gold plan").wait_for()
    visit.check("manage-fleet-tags")

    page.locator("form.filters select[name=tag]").select_option("dental")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"tag=dental"))
    page.get_by_text(re.compile(r"^1 customer of \d+$")).wait_for()  # the caption of a filtered fleet
    assert page.locator("table.fleet tbody tr").count() == 1
    visit.go("#/fleet")
    visit.heading("Fleet")

    _open_action(page, name, "Cancel subscription")
    page.get_by_role("button", name="Keep").click()  # asked, and nothing done
    assert _row(page, name).get_by_text("Cancelled").count() == 0
    _open_action(page, name, "Cancel subscription")
    page.get_by_label("Last day").fill("2026-12-31")
    visit.check("manage-fleet-cancel-confirm")
    page.get_by_role("button", name=f"Cancel {name}").click()
    _row(page, name).get_by_text("Cancelled; last day 2026-12-31").wait_for()

    _open_action(page, name, "Remove")
    page.get_by_text("This cannot be undone.").wait_for()
    page.get_by_role("button", name=f"Remove {name}").click()
    _row(page, name).wait_for(state="detached")
    with _api(portal) as api:
        assert name not in [c["displayName"] for c in api.get("/api/fleet").json()["customers"]]


def test_the_analyst_sees_no_row_actions(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.sign_in("msp-analyst")
    visit.heading("Fleet")
    page.locator("table.fleet tbody tr").first.wait_for()
    assert page.get_by_role("columnheader", name="Actions").count() == 0
    assert page.locator("table.fleet summary").count() == 0


def _manual_scans(portal: Portal, tenant_id: str) -> int:
    with _api(portal) as api:
        items = api.get(f"/api/tenants/{tenant_id}/scans?pageSize=100").json()["items"]
    return sum(1 for s in items if str(s.get("scanId", s.get("id", ""))).startswith("manual-"))


def test_scan_now_is_disabled_in_flight_shows_progress_and_refreshes(visit: Visit, portal: Portal) -> None:
    page = visit.page
    tenant_id = portal.tenants[0]["id"]
    admin = portal.user("customer_admin")
    before = _manual_scans(portal, tenant_id)
    posts: list[str] = []
    page.on(
        "request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/scans") else None
    )
    visit.sign_in(admin.id)
    visit.heading("Harbor Clinic")
    button = page.get_by_role("button", name="Scan now")
    button.dblclick()  # two quick clicks
    assert button.is_disabled()
    page.get_by_text(re.compile(r"Scan (queued|running)")).wait_for()
    visit.check("manage-scan-progress")
    page.get_by_text("Scan done; the results below are the new scan's.").wait_for(timeout=90_000)
    assert page.get_by_role("button", name="Scan now").is_enabled()
    assert len(posts) == 1
    deadline = time.monotonic() + 10
    while _manual_scans(portal, tenant_id) != before + 1:
        assert time.monotonic() < deadline, "the scan history does not show exactly one new scan"
        time.sleep(0.3)


def test_reports_ask_first_and_keep_earlier_ones(visit: Visit, portal: Portal) -> None:
    page = visit.page
    tenant_id = portal.tenants[1]["id"]
    visit.sign_in("msp-admin")
    visit.go(f"#/tenants/{tenant_id}/reports")
    visit.heading("Summit Builders: reports")
    rows = page.locator("table.reports tbody tr")
    page.get_by_role("button", name="Generate report").click()
    page.get_by_text("Earlier reports stay").wait_for()
    visit.check("manage-reports-confirm")
    page.get_by_role("button", name="Not now").click()
    assert rows.count() == 0 and page.get_by_text("No reports yet.").count() == 1
    page.get_by_role("button", name="Generate report").click()
    page.get_by_role("button", name="Yes, generate").click()
    page.get_by_text(re.compile(r"^Report generated")).wait_for(timeout=60_000)
    assert rows.count() == 1

    with _api(portal) as api:  # a second scan, so the next report is of another scan
        trend = len(api.get(f"/api/tenants/{tenant_id}/dashboard").json()["trend"])
        assert api.post(f"/api/tenants/{tenant_id}/scans").status_code == 202
        deadline = time.monotonic() + 90
        while len(api.get(f"/api/tenants/{tenant_id}/dashboard").json()["trend"]) <= trend:
            assert time.monotonic() < deadline, "the second scan did not land"
            time.sleep(0.5)
    visit.go(f"#/tenants/{tenant_id}")
    visit.go(f"#/tenants/{tenant_id}/reports")
    visit.heading("Summit Builders: reports")
    rows.first.wait_for()
    first_scan = rows.first.get_attribute("data-scan")
    page.get_by_role("button", name="Generate report").click()
    page.get_by_role("button", name="Yes, generate").click()
    page.get_by_text(re.compile(r"^Report generated")).wait_for(timeout=60_000)
    assert rows.count() == 2
    assert rows.nth(1).get_attribute("data-scan") == first_scan  # the earlier one stays, below

    page.get_by_role("button", name="Send summary now").click()
    page.get_by_text("Email the summary with the latest report to").wait_for()
    page.get_by_role("button", name="Yes, send").click()
    page.get_by_text(re.compile(r"Summary \w+")).wait_for(timeout=30_000)
    assert rows.count() == 2


@pytest.mark.parametrize(
    ("who", "nav", "refused"),
    [
        (
            "msp_analyst",
            ["Fleet", "Search"],
            ["#/onboard", "#/team", "#/billing", "#/audit", "#/integrations"],
        ),
        (
            "customer_admin",
            ["Overview", "Findings", "Reports", "Users", "Branding", "Audit log"],
            ["#/fleet", "#/search", "#/billing", "#/tenants/{other}/findings"],
        ),
        (
            "customer_viewer",
            ["Overview", "Findings", "Reports"],
            ["#/tenants/{own}/users", "#/tenants/{own}/branding", "#/tenants/{own}/audit", "#/team"],
        ),
    ],
)
def test_a_page_the_role_cannot_use_says_so_and_has_no_menu_entry(
    visit: Visit, portal: Portal, who: str, nav: list[str], refused: list[str]
) -> None:
    page = visit.page
    visit.sign_in(portal.user(who).id)
    page.locator("#nav a").first.wait_for()
    assert visit.nav() == nav
    own, other = portal.tenants[0]["id"], portal.tenants[1]["id"]
    for hash_ in refused:
        visit.go(hash_.format(own=own, other=other))
        visit.heading(NO_ACCESS)
        assert page.get_by_role("alert").count() == 0  # a page, not an error
        assert visit.nav() == nav
    page.get_by_role("link", name="Go to your home page").click()
    page.get_by_role("heading", level=1, name=NO_ACCESS).wait_for(state="detached")
    page.get_by_role("heading", level=1).first.wait_for()
    visit.check(f"manage-no-access-{who}")


def test_a_form_run_through_act_shows_the_error_beside_its_field(visit: Visit, portal: Portal) -> None:
    page = visit.page
    visit.expected.append("400")
    visit.sign_in("msp-admin")
    visit.go("#/billing")
    visit.heading("Billing")
    for i, rate in enumerate(("3.00", "2.50", "2.00", "1.50")):
        page.get_by_label(re.compile(r"^Rate per user per month")).nth(i).fill(rate)
    page.get_by_label("Currency").fill("EU")  # the browser lets two letters through; the API does not
    page.get_by_role("button", name="Save plan").click()
    page.locator(".field-error").wait_for()
    assert _described_by(page, "currency") == "Currency needs at least 3 characters."
    assert page.get_by_label("Currency").get_attribute("aria-invalid") == "true"
    assert page.get_by_text("Failed: correct the fields marked above.").count() == 1
    page.get_by_label("Currency").fill("EUR")
    page.get_by_role("button", name="Save plan").click()
    page.get_by_text("Plan saved.").wait_for()
    assert page.locator(".field-error").count() == 0  # cleared once it is right
