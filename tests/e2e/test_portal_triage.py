"""Triage in the portal (issue 18 items 3 and 6), in headless Chromium against the app over HTTP:
findings open on what fails, most urgent first, with "N failing of M" and a text filter; the CSV
export holds what the filters show; the tenant overview has the PDF's top priorities and
framework coverage; severity chips wear the PDF's colours; the posture score has one decimal and
is never called a Secure Score. As an MSP analyst and as a customer viewer."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any

import pytest

from core.reports.colour import parse_hex
from core.reports.severity import SEVERITY_HEX, chip_ink
from tests.e2e.conftest import Portal
from tests.e2e.test_portal import Visit

COUNT = re.compile(r"(\d+) failing of (\d+) checks")
PRIORITY_ORDER = {"P1": 0, "P2": 1, "P3": 2}


@pytest.fixture
def visit(browser: Any, portal: Portal) -> Iterator[Visit]:
    v = Visit(browser, portal)
    yield v
    v.close()


def _rgb(hex_colour: str) -> str:
    r, g, b = parse_hex(hex_colour)
    return f"rgb({r}, {g}, {b})"


def _column(visit: Visit, index: int) -> list[str]:
    return visit.page.locator(f"table.data tbody tr td:nth-of-type({index})").all_inner_texts()


def _open_findings(visit: Visit, tenant_id: str, name: str) -> tuple[int, int]:
    """The findings page as it first opens; the failing and total counts it states."""
    page = visit.page
    visit.go(f"#/tenants/{tenant_id}/findings")
    visit.heading(f"{name}: findings")
    assert page.get_by_label("Status").input_value() == "fail"
    statuses = _column(visit, 3)
    assert statuses and all(s.startswith("fail") for s in statuses), statuses
    priorities = [p.strip() for p in _column(visit, 1)]
    assert [PRIORITY_ORDER[p] for p in priorities] == sorted(PRIORITY_ORDER[p] for p in priorities)
    match = COUNT.fullmatch(page.get_by_test_id("findings-count").inner_text().strip())
    assert match, page.get_by_test_id("findings-count").inner_text()
    failing, total = int(match.group(1)), int(match.group(2))
    assert 0 < failing < total
    assert len(statuses) == min(failing, 25)  # one page of the failing findings, no more
    return failing, total


def test_analyst_triages_failing_findings_and_exports_what_the_filters_show(
    visit: Visit, portal: Portal
) -> None:
    page = visit.page
    weak = portal.tenants[0]
    visit.sign_in("msp-analyst")
    failing, total = _open_findings(visit, weak["id"], weak["displayName"])
    visit.check("triage-findings-failing")

    page.get_by_role("searchbox", name="Find").fill("MFA")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"text=MFA"))
    # The URL changes before the filtered rows replace the unfiltered ones: wait for the table the
    # filter drew, not just any table (the old rows, or a moment with none, were read otherwise).
    page.wait_for_function(
        "() => { const ths = [...document.querySelectorAll('table.data tbody tr th')];"
        " return ths.length > 0 && ths.every((th) => th.innerText.toLowerCase().includes('mfa')); }"
    )
    titles = page.locator("table.data tbody tr th").all_inner_texts()
    assert titles and all("mfa" in t.lower() for t in titles), titles
    assert all(s.startswith("fail") for s in _column(visit, 3))
    assert (
        page.get_by_test_id("findings-count").inner_text().strip() == f"{failing} failing of {total} checks"
    )
    visit.check("triage-findings-text")

    with page.expect_download() as exported:
        page.get_by_role("button", name="Export CSV").click()
    with open(exported.value.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(titles)
    assert all(r["status"] == "fail" and "mfa" in (r["title"] + r["checkId"]).lower() for r in rows)
    assert all(re.fullmatch(r"\d+\.\d", r["postureScore"]) for r in rows)

    page.get_by_role("searchbox", name="Find").fill("")
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"status=all"))
    # Rows other than failures now show (the failing ones come first, and with 150-odd checks the
    # first page of a weak tenant may hold no pass yet: not applicable, error or manual rows count).
    page.wait_for_function(
        "() => [...document.querySelectorAll('table.data tbody tr td:nth-of-type(3)')]"
        ".some((td) => !td.innerText.startsWith('fail'))"
    )

    for severity, colour in SEVERITY_HEX.items():
        chip = page.locator(f"table.data .badge.sev-{severity}").first
        if chip.count():
            assert chip.evaluate("e => getComputedStyle(e).backgroundColor") == _rgb(colour)
            assert chip.evaluate("e => getComputedStyle(e).color") == _rgb(chip_ink(severity))


def test_analyst_overview_shows_top_priorities_coverage_and_the_posture_score(
    visit: Visit, portal: Portal
) -> None:
    page = visit.page
    weak = portal.tenants[0]
    visit.sign_in("msp-analyst")
    visit.go(f"#/tenants/{weak['id']}")
    visit.heading(weak["displayName"])
    page.get_by_role("heading", name="Top priorities").wait_for()
    main = page.locator("main").inner_text()
    assert "Posture score" in main and "Secure score" not in main
    assert re.fullmatch(r"\d+\.\d / 100", page.get_by_test_id("score").inner_text())
    assert page.get_by_test_id("score-change").inner_text() == "First scored scan"

    top = page.locator("ol.top-priorities li")
    assert 1 <= top.count() <= 10
    assert top.first.locator(".badge.priority").inner_text() == "P1"
    first_title = top.first.get_by_role("link").inner_text()
    coverage = page.locator("table.coverage tbody tr")
    assert coverage.count() == 2
    assert "CIS Microsoft 365 Foundations" in coverage.first.inner_text()
    visit.check("triage-overview")
    visit.tablet("triage-overview-tablet")

    top.first.get_by_role("link").click()
    page.get_by_role("heading", level=1, name=re.compile(re.escape(first_title))).wait_for()


def test_customer_viewer_triages_their_own_tenant(visit: Visit, portal: Portal) -> None:
    page = visit.page
    weak = portal.tenants[0]
    viewer = portal.user("customer_viewer")
    visit.sign_in(viewer.id)
    visit.go(f"#/tenants/{weak['id']}")
    visit.heading(weak["displayName"])
    page.get_by_role("heading", name="Framework coverage").wait_for()
    assert page.locator("ol.top-priorities li").count() >= 1
    assert re.fullmatch(r"\d+\.\d / 100", page.get_by_test_id("score").inner_text())
    visit.check("triage-viewer-overview")

    _open_findings(visit, weak["id"], weak["displayName"])
    assert page.get_by_role("button", name="Export CSV").is_visible()
    visit.check("triage-viewer-findings")
