"""The scan use case (core.scan.service.scan_tenant) over the in-memory adapters: the real lease,
claim, record and persist code; only the tenant (FakeTenants) and the clock are stood in for."""

from __future__ import annotations

import json
from datetime import timedelta
from ipaddress import ip_address

import pytest

from core.checks.model import Status, error
from core.collect.connection import TenantUnreachable
from core.customers import ConnectionState, get_customer, update_customer_by_id
from core.drilldown import finding_detail
from core.messages import WebhookDelivery
from core.scan.findings import CheckResult
from core.scan.now import request_scan
from core.scan.requests import ScanRequest, parse_scan_request
from core.scan.service import TenantBusy, acquire_scan_lease, scan_tenant
from core.store import documents
from core.webhooks.egress import EgressPolicy
from core.webhooks.endpoints import create_endpoint
from tests.unit.fakes import FakeServices, fake_services
from tests.unit.use_case_world import ACTOR, CHECKS, FAILING, ORG, TENANT, assessment, grant, new_customer


@pytest.fixture
def services() -> FakeServices:
    return fake_services()


def _request(customer_id: str, request_id: str = "s-1", reason: str = "schedule") -> ScanRequest:
    return ScanRequest(
        org_id=ORG, tenant_id=TENANT, customer_id=customer_id, request_id=request_id, reason=reason
    )


async def test_a_scan_stores_findings_the_scan_and_the_customer_summary(services: FakeServices) -> None:
    customer = await new_customer(services)
    services.tenants.add(TENANT, assessment=assessment())
    outcome = await scan_tenant(services, _request(customer.customer_id))

    assert outcome.status == "completed" and outcome.counts["fail"] == 2
    relationship = services.store.relationship(customer.relationship_id)
    findings = {f.check_id: f for f in await relationship.findings()}
    assert set(findings) == {c.id for c in CHECKS}
    assert findings[FAILING].status == "fail" and findings[FAILING].change == "new"
    scan = await relationship.find_scan("s-1")
    assert scan is not None and scan.status == "completed"
    assert scan.completed_at == services.clock.now()
    stored, _ = await get_customer(services.store.org(ORG), TENANT)
    assert stored.summary.score == outcome.score and stored.summary.failing_count == 2
    assert stored.summary.last_scan_id == "s-1"


async def test_the_next_scan_marks_what_was_fixed_and_what_is_new(services: FakeServices) -> None:
    customer = await new_customer(services)
    services.tenants.add(
        TENANT, assessment=assessment(statuses=(Status.PASS, Status.FAIL, Status.FAIL, Status.PASS))
    )
    await scan_tenant(services, _request(customer.customer_id, "s-1"))
    services.clock.advance(days=7)
    services.tenants.add(
        TENANT, assessment=assessment(statuses=(Status.FAIL, Status.PASS, Status.FAIL, Status.PASS))
    )
    outcome = await scan_tenant(services, _request(customer.customer_id, "s-2"))

    findings = {f.check_id: f for f in await services.store.relationship(customer.relationship_id).findings()}
    changes = {check: findings[check].change for check in findings}
    assert changes[CHECKS[0].id] == "new"  # failing now, passed last week
    assert changes[CHECKS[1].id] == "resolved"
    assert changes[CHECKS[2].id] == "persisting"
    scan = await services.store.relationship(customer.relationship_id).find_scan("s-2")
    assert scan is not None and scan.changes == {"new": 1, "persisting": 1, "resolved": 1}
    assert outcome.status == "completed"


async def test_a_completed_scan_is_announced_to_subscribed_webhooks(services: FakeServices) -> None:
    address = "203.0.113.9"
    await create_endpoint(
        services.store.org(ORG),
        url=f"https://{address}/hook",
        events=["scan.completed"],
        description="PSA",
        policy=EgressPolicy(also_allow=frozenset({ip_address(address)})),
    )
    customer = await new_customer(services)
    services.tenants.add(TENANT, assessment=assessment())
    await scan_tenant(services, _request(customer.customer_id))
    (queued,) = services.webhook_queue.sent
    delivery = WebhookDelivery.model_validate(queued)
    assert delivery.event["type"] == "scan.completed"
    assert delivery.event["data"]["scanId"] == "s-1" and delivery.attempt == 1


async def test_a_redelivered_request_is_not_scanned_twice(services: FakeServices) -> None:
    customer = await new_customer(services)
    services.tenants.add(TENANT, assessment=assessment())
    await scan_tenant(services, _request(customer.customer_id))
    again = await scan_tenant(services, _request(customer.customer_id))
    assert again.status == "duplicate"
    assert services.tenants.assessed == [TENANT]


async def test_revoked_consent_marks_the_connection_lost_and_keeps_the_history(
    services: FakeServices,
) -> None:
    customer = await new_customer(services)
    services.tenants.add(TENANT, assessment=assessment())
    await scan_tenant(services, _request(customer.customer_id, "s-1"))
    services.tenants.tenants[TENANT].unreachable = TenantUnreachable(TENANT, "AADSTS7000229", "app removed")
    outcome = await scan_tenant(services, _request(customer.customer_id, "s-2"))

    assert outcome.status == "connection_lost"
    stored, _ = await get_customer(services.store.org(ORG), TENANT)
    assert stored.connection.state is ConnectionState.CONNECTION_LOST
    relationship = services.store.relationship(customer.relationship_id)
    failed = await relationship.find_scan("s-2")
    assert failed is not None and failed.status == "connection_lost"
    assert failed.error is not None and failed.error["code"] == "AADSTS7000229"
    assert len(await relationship.findings()) == len(CHECKS), "the last good scan's findings stay"
    actions = [e["action"] for e in await relationship.audit_entries()]
    assert "consent.lost" in actions


async def test_a_transient_refusal_fails_the_attempt_so_the_queue_retries(services: FakeServices) -> None:
    customer = await new_customer(services)
    services.tenants.add(TENANT, unreachable=TenantUnreachable(TENANT, "AADSTS50196", "loop detected"))
    with pytest.raises(TenantUnreachable):
        await scan_tenant(services, _request(customer.customer_id))
    scan = await services.store.relationship(customer.relationship_id).find_scan("s-1")
    assert scan is not None and scan.status == "failed"
    stored, _ = await get_customer(services.store.org(ORG), TENANT)
    assert stored.connection.state is ConnectionState.CONNECTED

    services.tenants.add(TENANT, assessment=assessment())  # the redelivery finds Entra well again
    retried = await scan_tenant(services, _request(customer.customer_id))
    assert retried.status == "completed"
    scan = await services.store.relationship(customer.relationship_id).find_scan("s-1")
    assert scan is not None and scan.attempt == 2


async def test_a_cancelled_customer_is_scanned_up_to_its_last_day_and_not_after(
    services: FakeServices,
) -> None:
    customer = await new_customer(services)
    services.tenants.add(TENANT, assessment=assessment())
    last_day = services.clock.now().date()

    def cancel(c: object) -> None:
        c.cancelled_on = last_day  # type: ignore[attr-defined]

    await update_customer_by_id(services.store.org(ORG), customer.customer_id, cancel)
    assert (await scan_tenant(services, _request(customer.customer_id, "s-1"))).status == "completed"
    services.clock.advance(days=1)
    skipped = await scan_tenant(services, _request(customer.customer_id, "s-2"))
    assert skipped.status == "skipped" and "cancelled" in skipped.detail
    assert services.tenants.assessed == [TENANT]


async def test_a_request_for_a_removed_relationship_is_skipped(services: FakeServices) -> None:
    await new_customer(services)
    services.tenants.add(TENANT, assessment=assessment())
    outcome = await scan_tenant(services, _request("an-earlier-relationship"))
    assert outcome.status == "skipped"
    assert services.tenants.assessed == []


async def test_one_scan_per_tenant_at_a_time_and_a_dead_holder_is_taken_over(services: FakeServices) -> None:
    customer = await new_customer(services)
    services.tenants.add(TENANT, assessment=assessment())
    relationship = services.store.relationship(customer.relationship_id)
    await acquire_scan_lease(relationship, "someone-else", services.clock.now())

    with pytest.raises(TenantBusy):
        await scan_tenant(services, _request(customer.customer_id))
    assert services.tenants.assessed == []

    services.clock.advance(minutes=16)  # the holder died; its lease expired
    assert (await scan_tenant(services, _request(customer.customer_id))).status == "completed"
    assert await relationship.find(documents.LEASE_ID) is None, "the lease is released after the scan"


async def test_a_scan_now_request_reports_its_progress(services: FakeServices) -> None:
    customer = await new_customer(services)
    services.tenants.add(TENANT, assessment=assessment())
    ticket = await request_scan(services, grant(customer), ACTOR)
    (message,) = services.scan_queue.sent
    request = parse_scan_request(json.dumps(message))
    assert request.request_id == ticket.scan_id and request.reason == "manual"

    await scan_tenant(services, request)
    marker = await services.store.relationship(customer.relationship_id).find(documents.PENDING_ID)
    assert marker is not None and marker.body["status"] == "completed"


def test_the_fake_clock_moves_only_when_told() -> None:
    services = fake_services()
    first = services.clock.now()
    assert services.clock.now() == first
    assert services.clock.advance(hours=2) - first == timedelta(hours=2)


async def test_a_check_that_could_not_be_read_says_why_in_words(services: FakeServices) -> None:
    customer = await new_customer(services)
    unread = assessment(statuses=(Status.PASS, Status.ERROR, Status.FAIL, Status.PASS))
    raw = "permission Exchange.ManageAsApp missing (HTTP 403 Forbidden)"
    unread.results[1] = CheckResult(
        unread.results[1].check, error(f"could not read exo_transport_config: {raw}")
    )
    services.tenants.add(TENANT, assessment=unread)
    await scan_tenant(services, _request(customer.customer_id))
    relationship = services.store.relationship(customer.relationship_id)

    detail = await finding_detail(relationship, CHECKS[1].id, services.clock.now())
    assert detail["status"] == "error" and detail["unreadable"] is not None
    assert detail["unreadable"]["sentence"].startswith("Exchange Online could not be read")
    assert "Exchange.ManageAsApp" in detail["unreadable"]["sentence"]
    assert "HTTP 403" in detail["unreadable"]["detail"]
    failing = await finding_detail(relationship, CHECKS[2].id, services.clock.now())
    assert failing["unreadable"] is None  # a finding that was read says what it found
