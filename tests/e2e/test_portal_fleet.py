"""The fleet at a glance in headless Chromium (issue 18): tiles over the whole fleet that link to the
table filtered to what they count, the score distribution, score pills coloured as the tenant
gauge is, the change since the last scan as an arrow, sparklines or "1 scan", and relative last-scan
times with the exact time on hover and stale scans flagged. As an MSP admin and an MSP analyst;
every page screenshotted under test-artifacts/portal/, axe-checked and console-clean."""

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
    FailingCheck,
    PostureSummary,
    TrendPoint,
    customer_document_id,
    save_new_customer,
)
from devtools.stack import LocalStack
from tests.e2e.conftest import Portal
from tests.e2e.test_portal import Visit

DASH, MINUS = "\N{EN DASH}", "\N{MINUS SIGN}"  # as the portal writes ranges and falls
BUCKET_COUNT = re.compile(rf"\d{DASH}[\d.]+: (\d+)")  # "30 to 39.9: 2" in the chart's label, with its dash

# Beside the two tenants the portal fixture onboards through consent (Harbor Clinic, weak, and
# Summit Builders, strong; one scan each): name -> (trend oldest first, days since the last scan
# or None, connection state). The last trend point is the score; the change is from the one before.
SEEDED: dict[str, tuple[list[float], int | None, ConnectionState]] = {
    "Ivy Insurance": ([60.0, 65.5, 64.0], 12, ConnectionState.CONNECTED),  # stale, down 1.5
    "Jade Joinery": ([31.5, 31.5], 2, ConnectionState.CONNECTION_LOST),  # no change
    "Kite Kennels": ([80.1, 85.0, 89.3, 92.5], 1, ConnectionState.CONNECTED),  # up 3.2
    "Lumen Labs": ([], None, ConnectionState.PENDING_CONSENT),  # not stale: nothing to scan yet
    "Moss Media": ([], None, ConnectionState.CONNECTED),  # connected and never scanned: stale
}


def _customer(org_id: str, name: str, now: datetime) -> Customer:
    trend, days, state = SEEDED[name]
    scanned = now - timedelta(days=days) if days is not None else None
    score = trend[-1] if trend else None
    failing = {"seeded.p1": FailingCheck(severity="high")} if score is not None and score < 50 else {}
    customer_id = uuid.uuid4().hex
    return Customer(
        id=customer_document_id(customer_id),
        customer_id=customer_id,
        org_id=org_id,
        tenant_id=str(uuid.uuid4()) if state is not ConnectionState.PENDING_CONSENT else None,
        display_name=name,
        primary_domain=f"{name.split()[0].lower()}.example",
        connection=Connection(state=state, since=scanned),
        summary=PostureSummary(
            score=score,
            score_change=round(trend[-1] - trend[-2], 1) if len(trend) > 1 else None,
            last_scan_id="seeded" if scanned else None,
            last_scan_at=scanned,
            trend=[
                TrendPoint(
                    scan_id=f"seeded-{i}",
                    at=(scanned or now) - timedelta(days=7 * (len(trend) - 1 - i)),
                    score=s,
                )
                for i, s in enumerate(trend)
            ],
            failing=failing,
            failing_check_ids=sorted(failing),
            failing_count=len(failing),
            open_priority_count=len(failing),
            earned_weight=round(score * 10) if score is not None else 0,
            possible_weight=1000 if score is not None else 0,
        ),
    )


@pytest.fixture(scope="module")
def seeded(portal: Portal, stack: LocalStack) -> dict[str, Any]:
    """The seeded customers in the portal's MSP; then the API's own fleet summary, to compare."""

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
    admin = {"authorization": f"Bearer {portal.signin.token_for('msp-admin')}"}
    fleet = httpx.get(f"{portal.base}/api/fleet", headers=admin, timeout=30).json()
    assert fleet["summary"]["customers"] == len(SEEDED) + len(portal.tenants)
    return dict(fleet)


@pytest.fixture
def visit(browser: Any, portal: Portal) -> Iterator[Visit]:
    v = Visit(browser, portal)
    yield v
    v.close()


def _row(page: Any, name: str) -> Any:
    return page.locator("table.fleet tbody tr").filter(has=page.locator("th a", has_text=name))


def _tile(page: Any, text: str) -> Any:
    return page.locator("a.tile", has_text=text)


def _names(page: Any) -> list[str]:
    return list(page.locator("table.fleet tbody th a").all_inner_texts())


def test_msp_admin_sees_the_fleet_at_a_glance(visit: Visit, portal: Portal, seeded: dict[str, Any]) -> None:
    page = visit.page
    summary = seeded["summary"]
    visit.sign_in("msp-admin")
    visit.heading("Fleet")
    # The tiles show the API's figures for the whole fleet.
    average = _tile(page, "Average posture score").locator(".tile-value").inner_text()
    assert average == f"{summary['averageScore']:.1f}"
    for band, label in (
        ("good", f"Good (80{DASH}100)"),
        ("fair", f"Fair (50{DASH}79.9)"),
        ("poor", f"Poor (0{DASH}49.9)"),
    ):
        assert _tile(page, label).locator(".tile-value").inner_text() == str(summary["bands"][band])
    assert _tile(page, "No score yet").locator(".tile-value").inner_text() == "2"
    assert _tile(page, "Open priorities").locator(".tile-value").inner_text() == str(
        summary["openPriorities"]
    )
    assert _tile(page, "Scans older than 7 days").locator(".tile-value").inner_text() == "2"
    assert _tile(page, "Connection problems").locator(".tile-value").inner_text() == "1"
    # The distribution, in words for screen readers: every scored customer in one bucket.
    chart = page.get_by_role("img", name=re.compile(r"^Customers by score: "))
    label = chart.get_attribute("aria-label") or ""
    assert [int(n) for n in BUCKET_COUNT.findall(label)] == summary["distribution"]
    assert sum(summary["distribution"]) == summary["scored"] == 5
    assert f"0{DASH}9.9: " in label and f"90{DASH}100: " in label
    visit.check("fleet-glance")
    visit.tablet("fleet-glance-tablet")

    # A tile opens the table filtered to what it counts; the URL keeps the filter.
    _tile(page, "Scans older than 7 days").click()
    page.wait_for_url(re.compile(r"#/fleet\?stale=true$"))
    page.locator("table.fleet caption", has_text="2 customers of 7").wait_for()
    assert sorted(_names(page)) == ["Ivy Insurance", "Moss Media"]
    assert _tile(page, "Scans older than 7 days").get_attribute("aria-current") == "true"
    assert page.locator("select[name=stale]").input_value() == "true"
    visit.check("fleet-glance-stale")
    poor = _tile(page, f"Poor (0{DASH}49.9)")
    poor.click()
    page.wait_for_url(re.compile(r"band=poor"))
    page.locator('a.tile[aria-current="true"]', has_text="Poor").wait_for()
    page.locator("table.fleet caption", has_text=f"{summary['bands']['poor']} customer").wait_for()
    assert "Jade Joinery" in _names(page) and "Kite Kennels" not in _names(page)
    page.reload()
    visit.heading("Fleet")
    assert page.get_by_label("Score band").input_value() == "poor"
    assert "Kite Kennels" not in _names(page)


def test_each_row_shows_pill_change_trend_and_last_scan(
    visit: Visit, portal: Portal, seeded: dict[str, Any]
) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.heading("Fleet")
    # Score pills with one decimal, the change as an arrow, "no change" only for exactly 0.
    kite, ivy, jade = _row(page, "Kite Kennels"), _row(page, "Ivy Insurance"), _row(page, "Jade Joinery")
    assert kite.locator(".pill").inner_text() == "92.5"
    assert re.sub(r"\s+", " ", kite.locator(".delta").inner_text()) == "▲ +3.2 since the previous scan"
    assert re.sub(r"\s+", " ", ivy.locator(".delta").inner_text()) == f"▼ {MINUS}1.5 since the previous scan"
    assert jade.locator(".delta").inner_text() == "no change"
    assert page.locator(".delta", has_text="no change").count() == 1
    # A sparkline from two scans on; "1 scan" and "no scans" otherwise.
    assert kite.get_by_role("img", name="Score trend: 80.1, 85.0, 89.3, 92.5").count() == 1
    assert _row(page, "Harbor Clinic").get_by_text("1 scan", exact=True).count() == 1
    assert _row(page, "Lumen Labs").get_by_text("no scans", exact=True).count() == 1
    # Relative times, the exact time on hover, stale scans flagged.
    when = ivy.locator("td.last-scan time")
    assert when.inner_text() == "12 days ago"
    assert re.search(r"\d{4}", when.get_attribute("title") or ""), "the exact time, with its year"
    assert ivy.locator(".badge.stale").inner_text() == "stale"
    assert _row(page, "Moss Media").locator(".badge.stale").inner_text() == "not scanned"
    assert (
        kite.locator(".badge.stale").count() == 0
        and _row(page, "Lumen Labs").locator(".badge.stale").count() == 0
    )
    assert kite.locator("td.last-scan time").inner_text() == "1 day ago"
    visit.check("fleet-glance-rows")


def test_pills_take_the_tenant_gauges_colours(visit: Visit, portal: Portal, seeded: dict[str, Any]) -> None:
    page = visit.page
    visit.sign_in("msp-admin")
    visit.heading("Fleet")
    for name in ("Harbor Clinic", "Summit Builders"):
        pill = _row(page, name).locator(".pill")
        band = re.search(r"band-(\w+)", pill.get_attribute("class") or "")
        assert band, f"{name}: a scored customer's pill has a band"
        colour = pill.evaluate("el => getComputedStyle(el).backgroundColor")
        text = pill.inner_text()
        _row(page, name).locator("th a").click()
        visit.heading(name)
        arc = page.locator(".gauge-value")
        assert f" {band.group(1)}" in f" {arc.get_attribute('class')}", (
            f"{name}: the gauge's band is the pill's"
        )
        assert arc.evaluate("el => getComputedStyle(el).stroke") == colour
        assert page.get_by_test_id("score").inner_text() == f"{text} / 100"
        page.go_back()
        visit.heading("Fleet")


def test_msp_analyst_filters_from_the_tiles_and_form(
    visit: Visit, portal: Portal, seeded: dict[str, Any]
) -> None:
    page = visit.page
    visit.sign_in("msp-analyst")
    visit.heading("Fleet")
    assert page.get_by_role("link", name="Add customer").count() == 0
    _tile(page, "Connection problems").click()
    page.wait_for_url(re.compile(r"state=connection_lost"))
    page.locator("table.fleet caption", has_text="1 customer of 7").wait_for()
    assert _names(page) == ["Jade Joinery"]
    # The form keeps the tile's filter and adds its own.
    page.get_by_label("Score band").select_option("good")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"state=connection_lost&band=good"))
    page.get_by_text("No customer matches these filters.").wait_for()
    visit.check("fleet-glance-analyst-empty")
    page.get_by_role("link", name="Clear filters").click()
    page.wait_for_url(re.compile(r"#/fleet$"))
    page.locator("table.fleet caption", has_text="7 customers").wait_for()
    _tile(page, "Open priorities").click()
    page.wait_for_url(re.compile(r"priorities=open&sort=openPriority&order=desc"))
    page.locator('a.tile[aria-current="true"]', has_text="Open priorities").wait_for()
    counts = page.locator("table.fleet tbody td.num:not(.score-cell)").all_inner_texts()
    assert counts and all(int(n) > 0 for n in counts)
    assert [int(n) for n in counts] == sorted((int(n) for n in counts), reverse=True)
    visit.check("fleet-glance-analyst")
    # A filter value the API does not know is refused in words, naming the field.
    visit.expected.append("400")
    visit.go("#/fleet?band=excellent")
    page.get_by_role("alert").wait_for()
    assert "band" in page.get_by_role("alert").inner_text().lower()
