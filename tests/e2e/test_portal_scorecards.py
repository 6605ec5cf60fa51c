"""Framework scorecards, the fleet compliance matrix and the peer position in headless Chromium
(issue 22). Beside the two tenants the portal fixture onboards and scans (Harbor Clinic, weak;
Summit Builders, strong), five customers are seeded with scores and stored section shares, so the
matrix has rows to sort and filter and the peer position has enough peers to show. Every page is
screenshotted under test-artifacts/portal/, axe-checked and console-clean."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.bootstrap import build_services
from core.customers import (
    Connection,
    ConnectionState,
    Customer,
    PostureSummary,
    customer_document_id,
    save_new_customer,
)
from devtools.stack import LocalStack
from tests.e2e.conftest import Portal
from tests.e2e.test_portal import Visit

L1 = "cis-e3-l1"
# name -> (score, CIS E3 Level 1 shares per section as [met, assessed])
SEEDED: dict[str, tuple[float, dict[str, list[int]]]] = {
    "Orchid Opticians": (91.5, "1.1=2/2 5.2=5/5"),
    "Pine Plumbing": (64.3, "1.1=1/2 5.2=2/5"),
    "Quartz Quarries": (47.9, "1.1=0/2 5.2=1/5"),
    "Reed Roofing": (77.7, "1.1=2/2 5.2=3/5"),
    "Sage Surgery": (83.1, "1.1=2/2 5.2=4/5"),
}


def _customer(org_id: str, name: str, now: datetime) -> Customer:
    score, shares = SEEDED[name]
    customer_id = uuid.uuid4().hex
    return Customer(
        id=customer_document_id(customer_id),
        customer_id=customer_id,
        org_id=org_id,
        tenant_id=str(uuid.uuid4()),
        display_name=name,
        primary_domain=f"{name.split()[0].lower()}.example",
        connection=Connection(state=ConnectionState.CONNECTED, since=now),
        summary=PostureSummary(
            score=score,
            last_scan_id="seeded",
            last_scan_at=now - timedelta(days=1),
            earned_weight=round(score * 10),
            possible_weight=1000,
            compliance={L1: shares},
        ),
    )


@pytest.fixture(scope="module")
def seeded(portal: Portal, stack: LocalStack) -> None:
    async def seed() -> None:
        services = build_services(stack.settings())
        try:
            org = services.store.org(portal.org_id)
            now = datetime.now(UTC)
            for name in SEEDED:
                await save_new_customer(org, _customer(portal.org_id, name, now))
        finally:
            await services.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's sync API may own this thread
        pool.submit(asyncio.run, seed()).result()


@pytest.fixture
def visit(browser: Any, portal: Portal) -> Iterator[Visit]:
    v = Visit(browser, portal)
    yield v
    v.close()


def _api(portal: Portal, path: str, who: str = "msp-admin") -> Any:
    headers = {"authorization": f"Bearer {portal.signin.token_for(who)}"}
    response = httpx.get(f"{portal.base}{path}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_msp_admin_reads_a_tenants_scorecard_and_filters_its_controls(
    visit: Visit, portal: Portal, seeded: None
) -> None:
    page = visit.page
    weak = portal.tenants[0]["id"]
    card = _api(portal, f"/api/tenants/{weak}/scorecards/{L1}")
    visit.sign_in("msp-admin")
    visit.heading("Fleet")
    visit.go(f"#/tenants/{weak}")
    visit.heading("Harbor Clinic")
    page.get_by_role("link", name="Scorecards", exact=True).click()
    visit.heading("Harbor Clinic: CIS v5.0.0 E3 Level 1")
    expected = "\N{EN DASH}" if card["share"] is None else f"{card['share']:.1f}%"
    assert page.get_by_test_id("share").inner_text() == expected
    rows = page.locator("table.controls tbody tr")
    assert rows.count() == len(card["controls"])  # every control, not automated ones too
    automated = card["counts"]["not_automated"]
    assert automated > 0
    row = page.locator('table.controls tbody tr[data-control="1.3.2"]')
    assert "Not automated" in row.inner_text() and "No check automates this control yet." in row.inner_text()
    visit.check("scorecard-cis-e3-l1")
    visit.tablet("scorecard-cis-e3-l1-tablet")

    page.get_by_label("Show").select_option("not_automated")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"state=not_automated"))
    page.locator(
        "table.controls caption", has_text=f"{automated} of {len(card['controls'])} controls"
    ).wait_for()
    with page.expect_download() as exported:
        page.get_by_role("button", name="Download CSV").click()
    with open(exported.value.path(), encoding="utf-8") as csv:
        text = csv.read()
    assert text.startswith("control,title,section") and "1.3.2," in text

    page.get_by_role("link", name="CISA SCuBA baseline (SHALL)").click()
    visit.heading("Harbor Clinic: CISA SCuBA baseline (SHALL)")
    page.locator('table.controls tbody tr[data-control="MS.AAD.1.1v1"]').wait_for()
    visit.check("scorecard-scuba-shall")


def test_msp_admin_finds_the_customers_below_a_share_in_the_compliance_matrix(
    visit: Visit, portal: Portal, seeded: None
) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.heading("Fleet")
    page.get_by_role("link", name="Compliance matrix").click()
    visit.heading("Fleet compliance")
    everyone = page.locator("table.matrix tbody tr")
    everyone.first.wait_for()
    assert everyone.count() == len(SEEDED) + len(portal.tenants)
    visit.check("compliance-matrix")
    visit.tablet("compliance-matrix-tablet")

    page.get_by_label("Share met below (%)").fill("80")
    page.get_by_label("Sort by").select_option("share")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"below=80"))
    expected = _api(portal, f"/api/fleet/scorecards/{L1}?below=80&sort=share")
    names = [r["displayName"] for r in expected["rows"]]
    assert {"Pine Plumbing", "Quartz Quarries", "Reed Roofing"} <= set(names)
    assert "Orchid Opticians" not in names and "Sage Surgery" not in names
    page.locator("table.matrix caption", has_text=f"{len(names)} customer").wait_for()
    assert page.locator("table.matrix tbody th").all_inner_texts() == names
    quartz = page.locator("table.matrix tbody tr").filter(has_text="Quartz Quarries")
    assert "14.3%" in quartz.inner_text()  # 1 of 7 met
    visit.check("compliance-matrix-below-80")

    page.get_by_role("link", name="Harbor Clinic").click()
    visit.heading("Harbor Clinic: CIS v5.0.0 E3 Level 1")


def test_a_customer_sees_its_position_and_no_other_customer(
    visit: Visit, portal: Portal, seeded: None
) -> None:
    page = visit.page
    viewer = portal.user("customer_viewer")
    own = portal.tenants[0]["id"]
    position = _api(portal, f"/api/tenants/{own}/peers", viewer.id)
    assert position["shown"] is True
    visit.sign_in(viewer.id)
    visit.heading("Harbor Clinic")
    peers = page.get_by_test_id("peers")
    assert peers.get_by_role("heading", name="Among your provider's customers").count() == 1
    assert f"higher than {position['percentile']}% of the other customers" in peers.inner_text()
    assert f"Median score: {position['median']}" in peers.inner_text()
    body = page.locator("main").inner_text()
    assert not any(name in body for name in [*SEEDED, "Summit Builders"])
    visit.check("viewer-peer-position")
    visit.go(f"#/tenants/{own}/scorecards/{L1}")
    visit.heading("Harbor Clinic: CIS v5.0.0 E3 Level 1")
    visit.check("viewer-scorecard")
    # The matrix is the MSP's: a customer gets "no access", and the API refuses them too.
    visit.go(f"#/compliance/{L1}")
    visit.heading("You don't have access to this page")
    assert not any(name in page.locator("main").inner_text() for name in SEEDED)
