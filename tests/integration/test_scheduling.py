"""The hourly timer's job: probe consent, enqueue due tenants, and one scan per request id."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.bootstrap import Services, build_services, prepare_local_resources
from core.customers import ConnectionState, get_customer, register_customer, update_customer
from core.scan.service import handle_scan_request
from core.scheduling import EnqueueResult, enqueue_due_scans
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from tests.world import tenant_data


@pytest.fixture
async def isolated(scan_settings: Settings) -> AsyncIterator[Services]:
    """Its own database and queue: the timer's cross-partition query then sees only this test."""
    suffix = uuid.uuid4().hex[:10]
    settings = scan_settings.model_copy(
        update={"cosmos_database": f"sched-{suffix}", "scan_queue_name": f"sched-{suffix}"}
    )
    services = build_services(settings)
    await prepare_local_resources(services)
    yield services
    await services.close()


async def test_timer_probes_consent_and_enqueues_only_due_tenants(
    isolated: Services, graphsim: GraphSimulator
) -> None:
    org = isolated.store.org("org-sched")
    due, recent, revoked = (graphsim.load_tenant(synthetic_tenant(10, seed=s)) for s in (71, 72, 73))
    for tenant_id, name in ((due, "Due"), (recent, "Recent"), (revoked, "Revoked")):
        await register_customer(
            org, tenant_id=tenant_id, display_name=name, primary_domain=f"{name}.example", connected=True
        )
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

    def scanned_an_hour_ago(customer: object) -> None:
        customer.summary.last_scan_at = now - timedelta(hours=1)  # type: ignore[attr-defined]

    await update_customer(org, recent, scanned_an_hour_ago)
    graphsim.set_faults(revoked, revoked_consent="AADSTS700016")
    try:
        result = await enqueue_due_scans(isolated, now)
    finally:
        graphsim.clear_faults(revoked)

    assert result == EnqueueResult(connected=3, due=1, enqueued=1, lost=1)
    (message,) = await isolated.scan_queue.receive(max_messages=10, visibility_timeout=30)
    (due_customer,) = await isolated.store.relationships_of(due)
    assert message.json() == {
        "orgId": "org-sched",
        "tenantId": due,
        "customerId": due_customer.customer_id,
        "requestId": "sched-2026112610",
        "reason": "schedule",
    }
    lost, _ = await get_customer(org, revoked)
    assert lost.connection.state is ConnectionState.CONNECTION_LOST
    assert lost.connection.error_code == "AADSTS700016"


async def test_the_timer_firing_twice_in_an_hour_still_yields_one_scan(
    isolated: Services, graphsim: GraphSimulator
) -> None:
    org = isolated.store.org("org-twice")
    tenant_id = graphsim.load_tenant(synthetic_tenant(10, seed=81))
    await register_customer(
        org, tenant_id=tenant_id, display_name="Twice", primary_domain="twice.example", connected=True
    )
    now = datetime.now(UTC).replace(minute=5, second=0, microsecond=0)  # both calls in one hour
    await enqueue_due_scans(isolated, now)
    await enqueue_due_scans(isolated, now + timedelta(minutes=1))
    messages = await isolated.scan_queue.receive(max_messages=10, visibility_timeout=60)
    assert len(messages) == 2
    outcomes = [await handle_scan_request(isolated, m.text) for m in messages]
    assert [o.split(":")[0] for o in outcomes] == ["completed", "duplicate"]
    scans = await (await tenant_data(isolated, tenant_id)).query_all("c.type = @t", {"@t": "scan"})
    assert len(scans) == 1
