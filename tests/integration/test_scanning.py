"""Scanning end to end: the Graph simulator over HTTPS through the real msgraph-sdk, the real
store, the real queue. Faults are switched on per tenant in the simulator."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.bootstrap import Services
from core.checks.catalogue import CATALOGUE
from core.customers import ConnectionState, get_customer, register_customer
from core.scan.requests import ScanRequest
from core.scan.service import TenantBusy, acquire_scan_lease, handle_scan_request, release_scan_lease
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from tests.world import tenant_data


@pytest.fixture
async def tenant(graphsim: GraphSimulator, scan_services: Services) -> AsyncIterator[dict[str, str]]:
    """A fresh simulated tenant (mixed posture), registered as a connected customer of a fresh org."""
    # A seed from a wide range: a synthetic tenant's id follows from its seed, and other tests register
    # tenants of fixed seeds (71, 81, 1601...), which a narrow range would sometimes draw again.
    tenant_id = graphsim.load_tenant(synthetic_tenant(40, seed=uuid.uuid4().int % 10**9))
    org_id = f"org-{uuid.uuid4().hex[:10]}"
    await register_customer(
        scan_services.store.org(org_id),
        tenant_id=tenant_id,
        display_name="Test customer",
        primary_domain="test.example",
        connected=True,
    )
    yield {"org_id": org_id, "tenant_id": tenant_id}
    graphsim.clear_faults(tenant_id)


async def _scan(services: Services, org_id: str, tenant_id: str, request_id: str = "r1") -> str:
    request = ScanRequest(org_id=org_id, tenant_id=tenant_id, request_id=request_id, reason="manual")
    return await handle_scan_request(services, json.dumps(request.to_message()))


async def _findings(services: Services, tenant_id: str) -> dict[str, dict[str, Any]]:
    documents = await (await tenant_data(services, tenant_id)).query_all("c.type = @t", {"@t": "finding"})
    return {d["checkId"]: d for d in documents}


def _reading(source: str) -> set[str]:
    return {c.id for c in CATALOGUE if source in c.metadata.sources}


async def test_demo_tenants_are_scanned_and_ranked_by_posture(
    graphsim: GraphSimulator, scan_services: Services
) -> None:
    org_id = f"org-{uuid.uuid4().hex[:10]}"
    scores = {}
    # The three posture tenants; Tailwind Traders, built from traps, has its own test.
    for demo in [t for t in graphsim.demo_tenants() if t["displayName"] != "Tailwind Traders"]:
        await register_customer(
            scan_services.store.org(org_id),
            tenant_id=demo["id"],
            display_name=demo["displayName"],
            primary_domain=demo["defaultDomain"],
            connected=True,
        )
        graphsim.reset_request_log(demo["id"])
        outcome = await _scan(scan_services, org_id, demo["id"], f"demo-{uuid.uuid4().hex[:6]}")
        assert outcome.startswith("completed"), outcome

        # Every source is fetched once: no request repeated except following nextLink pages.
        first_pages = [e["path"] for e in graphsim.request_log(demo["id"]) if "skiptoken" not in e["path"]]
        graph_gets = [p for p in first_pages if p.startswith(("/v1.0/", "/beta/"))]
        assert len(graph_gets) == len(set(graph_gets)), "a Graph endpoint was fetched twice"

        customer, _ = await get_customer(scan_services.store.org(org_id), demo["id"])
        findings = await _findings(scan_services, demo["id"])
        assert len(findings) == len(CATALOGUE)
        assert customer.summary.score is not None
        assert customer.summary.failing_count == sum(1 for f in findings.values() if f["status"] == "fail")
        assert len(customer.summary.trend) == 1
        scores[demo["displayName"]] = customer.summary.score
        assert all(f["status"] != "error" for f in findings.values()), [
            (f["checkId"], f["summary"]) for f in findings.values() if f["status"] == "error"
        ]
    ordered = sorted(scores.values())
    assert ordered[0] < ordered[1] < ordered[2], scores


async def test_second_scan_tracks_persisting_findings_and_trend(
    tenant: dict[str, str], scan_services: Services
) -> None:
    await _scan(scan_services, tenant["org_id"], tenant["tenant_id"], "first")
    await _scan(scan_services, tenant["org_id"], tenant["tenant_id"], "second")
    scan = (await (await tenant_data(scan_services, tenant["tenant_id"])).get("scan:second")).body
    failing = scan["counts"]["fail"]
    assert failing > 0
    assert scan["changes"] == {"new": 0, "persisting": failing, "resolved": 0}
    customer, _ = await get_customer(scan_services.store.org(tenant["org_id"]), tenant["tenant_id"])
    assert [p.scan_id for p in customer.summary.trend] == ["first", "second"]
    assert customer.summary.score_change == 0.0


async def test_duplicate_message_yields_one_scan(tenant: dict[str, str], scan_services: Services) -> None:
    first = await _scan(scan_services, tenant["org_id"], tenant["tenant_id"], "dup")
    second = await _scan(scan_services, tenant["org_id"], tenant["tenant_id"], "dup")
    assert first.startswith("completed")
    assert second.startswith("duplicate")
    scans = await (await tenant_data(scan_services, tenant["tenant_id"])).query_all(
        "c.type = @t", {"@t": "scan"}
    )
    assert len(scans) == 1
    customer, _ = await get_customer(scan_services.store.org(tenant["org_id"]), tenant["tenant_id"])
    assert len(customer.summary.trend) == 1


async def test_throttling_is_retried_honouring_retry_after(
    tenant: dict[str, str], scan_services: Services, graphsim: GraphSimulator
) -> None:
    graphsim.set_faults(tenant["tenant_id"], throttle=4, throttle_retry_after=1, throttle_path="/v1.0/")
    graphsim.reset_request_log(tenant["tenant_id"])
    outcome = await _scan(scan_services, tenant["org_id"], tenant["tenant_id"])
    assert outcome.startswith("completed"), outcome
    statuses = [e["status"] for e in graphsim.request_log(tenant["tenant_id"])]
    assert statuses.count(429) == 4
    findings = await _findings(scan_services, tenant["tenant_id"])
    assert not [f for f in findings.values() if f["status"] == "error" and "429" in f["summary"]]


async def test_a_failing_endpoint_errors_its_checks_and_the_rest_complete(
    tenant: dict[str, str], scan_services: Services, graphsim: GraphSimulator
) -> None:
    graphsim.set_faults(tenant["tenant_id"], fail_status=500, fail_path="/v1.0/policies/authorizationPolicy")
    outcome = await _scan(scan_services, tenant["org_id"], tenant["tenant_id"])
    assert outcome.startswith("completed"), outcome
    findings = await _findings(scan_services, tenant["tenant_id"])
    affected = _reading("authorization_policy")
    assert affected
    for check_id in affected:
        assert findings[check_id]["status"] == "error"
        assert "authorization_policy" in findings[check_id]["summary"]
        assert "500" in findings[check_id]["summary"]
    others = [f for f in findings.values() if f["checkId"] not in affected]
    assert all(f["status"] != "error" or "dns" in f["summary"] for f in others)
    scan = (await (await tenant_data(scan_services, tenant["tenant_id"])).get("scan:r1")).body
    assert "authorization_policy" in scan["sourceFailures"]


async def test_a_missing_licence_makes_premium_checks_not_applicable(
    tenant: dict[str, str], scan_services: Services, graphsim: GraphSimulator
) -> None:
    graphsim.set_faults(tenant["tenant_id"], missing_licences=["AAD_PREMIUM", "AAD_PREMIUM_P2"])
    await _scan(scan_services, tenant["org_id"], tenant["tenant_id"])
    findings = await _findings(scan_services, tenant["tenant_id"])
    premium_only = {c.id for c in CATALOGUE if c.metadata.sources == ("conditional_access_policies",)}
    assert premium_only
    for check_id in premium_only:
        assert findings[check_id]["status"] == "not_applicable", findings[check_id]
        assert "not licensed" in findings[check_id]["summary"]


async def test_a_removed_permission_errors_the_checks_that_need_it(
    tenant: dict[str, str], scan_services: Services, graphsim: GraphSimulator
) -> None:
    graphsim.set_faults(tenant["tenant_id"], removed_permissions=["Policy.Read.All"])
    await _scan(scan_services, tenant["org_id"], tenant["tenant_id"])
    findings = await _findings(scan_services, tenant["tenant_id"])
    needing = {c.id for c in CATALOGUE if "Policy.Read.All" in c.metadata.permissions}
    assert needing
    for check_id in needing:
        assert findings[check_id]["status"] in ("error", "not_applicable"), findings[check_id]
    errors = [findings[c] for c in needing if findings[c]["status"] == "error"]
    assert errors and all("Policy.Read.All" in f["summary"] for f in errors)
    assert not any(f["status"] == "pass" for f in (findings[c] for c in needing))


async def test_revoked_consent_marks_the_customer_lost_and_keeps_its_history(
    tenant: dict[str, str], scan_services: Services, graphsim: GraphSimulator
) -> None:
    await _scan(scan_services, tenant["org_id"], tenant["tenant_id"], "before")
    before = await _findings(scan_services, tenant["tenant_id"])
    graphsim.set_faults(tenant["tenant_id"], revoked_consent="AADSTS7000229")
    outcome = await _scan(scan_services, tenant["org_id"], tenant["tenant_id"], "after")
    assert outcome.startswith("connection_lost")
    customer, _ = await get_customer(scan_services.store.org(tenant["org_id"]), tenant["tenant_id"])
    assert customer.connection.state is ConnectionState.CONNECTION_LOST
    assert customer.connection.error_code == "AADSTS7000229"
    assert customer.connection.since is not None
    assert customer.summary.last_scan_id == "before"  # history intact
    assert await _findings(scan_services, tenant["tenant_id"]) == before
    # No further scans until it reconnects.
    skipped = await _scan(scan_services, tenant["org_id"], tenant["tenant_id"], "later")
    assert skipped.startswith("skipped")


async def test_at_most_one_scan_runs_per_tenant(tenant: dict[str, str], scan_services: Services) -> None:
    repo = await tenant_data(scan_services, tenant["tenant_id"])
    other = await acquire_scan_lease(repo, "someone-else", datetime.now(UTC))
    with pytest.raises(TenantBusy):
        await _scan(scan_services, tenant["org_id"], tenant["tenant_id"], "waits")
    assert await repo.find("scan:waits") is None  # nothing started, the queue will retry
    await release_scan_lease(repo, other)
    assert (await _scan(scan_services, tenant["org_id"], tenant["tenant_id"], "waits")).startswith(
        "completed"
    )
    assert await repo.find("scan-lease") is None  # released when done
