"""The portal's finding page shows a regression's attribution: an administrator disables a
Conditional Access policy in the Graph simulator (which records the directory audit entry), the
tenant is scanned again, and the finding says who changed what and when, in headless Chromium."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from core.bootstrap import build_services
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from core.settings import Settings
from tests.e2e.conftest import Portal
from tests.e2e.test_portal import Visit

CHECK = "entra.device_code_flow_blocked"
POLICY = "CA004 Block device code flow"  # in every strong synthetic tenant
ADMIN = "carol.admin@summit.example"


@pytest.fixture
def visit(browser: Any, portal: Portal) -> Iterator[Visit]:
    v = Visit(browser, portal)
    yield v
    v.close()


async def _scan(settings: Settings, org_id: str, tenant_id: str) -> str:
    services = build_services(settings)
    try:
        request = ScanRequest(
            org_id=org_id, tenant_id=tenant_id, request_id=uuid.uuid4().hex, reason="manual"
        )
        return await handle_scan_request(services, json.dumps(request.to_message()))
    finally:
        await services.close()


def test_the_finding_page_says_who_disabled_the_policy(
    visit: Visit, portal: Portal, scan_settings: Settings
) -> None:
    strong = portal.tenants[1]
    entry = portal.graphsim.set_policy_state(strong["id"], POLICY, "disabled", by=ADMIN)
    # Playwright's sync API keeps an event loop running in this thread: scan in another one.
    with ThreadPoolExecutor(1) as pool:
        outcome = pool.submit(asyncio.run, _scan(scan_settings, portal.org_id, strong["id"])).result()
    assert outcome.startswith("completed"), outcome

    visit.sign_in("msp-analyst")
    visit.go(f"#/tenants/{strong['id']}/findings/{CHECK}")
    changed = visit.page.locator("p.what-changed")
    changed.wait_for()
    text = changed.inner_text()
    assert text.startswith("What changed:") and ADMIN in text and POLICY in text, text
    assert entry["activityDateTime"][:10] in text
    visit.check("finding-attribution")
