"""Faults against the real local stack, each ending with nothing lost and the state consistent:
429 storms and 5xx bursts from the simulator, consent revoked in the middle of a scan, a queue
message delivered again after its visibility timeout, the Cosmos stand-in restarted in the middle
of a fleet scan drained through the queue, and Azurite down while a report is written."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import Services, build_services, prepare_local_resources
from core.checks.catalogue import CATALOGUE
from core.collect.connection import TenantUnreachable
from core.customers import ConnectionState, get_customer, register_customer
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from core.settings import Settings
from core.store.errors import Unavailable
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from devtools.stack import LocalStack
from functions.local_host import QueueOptions, drain_scan_queue
from tests.world import tenant_data


async def _customer(services: Services, graphsim: GraphSimulator, org_id: str, users: int = 30) -> str:
    tenant_id = graphsim.load_tenant(
        synthetic_tenant(users, seed=uuid.uuid4().int % 100_000, posture="mixed")
    )
    await register_customer(
        services.store.org(org_id),
        tenant_id=tenant_id,
        display_name=f"Fault {tenant_id[:8]}",
        primary_domain=f"{tenant_id[:8]}.example",
        connected=True,
    )
    return tenant_id


def _message(org_id: str, tenant_id: str, request_id: str) -> str:
    request = ScanRequest(org_id=org_id, tenant_id=tenant_id, request_id=request_id, reason="manual")
    return json.dumps(request.to_message())


async def _scans(services: Services, tenant_id: str) -> list[dict[str, Any]]:
    return await (await tenant_data(services, tenant_id)).query_all("c.type = @t", {"@t": "scan"})


async def _findings(services: Services, tenant_id: str) -> dict[str, dict[str, Any]]:
    documents = await (await tenant_data(services, tenant_id)).query_all("c.type = @t", {"@t": "finding"})
    return {d["checkId"]: d for d in documents}


@pytest.fixture
async def faulty(
    scan_settings: Settings, services: Services, graphsim: GraphSimulator
) -> AsyncIterator[tuple[Services, str]]:
    """Services with a scan queue of their own (nothing else drains or fills it) and a fresh org."""
    own = build_services(
        scan_settings.model_copy(update={"scan_queue_name": f"faults-{uuid.uuid4().hex[:10]}"})
    )
    await own.scan_queue.ensure()
    try:
        yield own, f"org-faults-{uuid.uuid4().hex[:8]}"
    finally:
        graphsim.clear_faults()
        await own.close()


async def test_a_429_storm_and_a_503_burst_are_ridden_out(
    faulty: tuple[Services, str], graphsim: GraphSimulator
) -> None:
    services, org_id = faulty
    tenant_id = await _customer(services, graphsim, org_id)
    graphsim.set_faults(tenant_id, throttle=10, throttle_retry_after=1, throttle_path="/v1.0/")
    graphsim.set_faults(tenant_id, fail_status=503, fail_path="/v1.0/", fail_count=6)
    graphsim.reset_request_log(tenant_id)
    outcome = await handle_scan_request(services, _message(org_id, tenant_id, "storm"))
    assert outcome.startswith("completed"), outcome
    statuses = [entry["status"] for entry in graphsim.request_log(tenant_id)]
    assert statuses.count(429) == 10 and statuses.count(503) == 6
    (scan,) = await _scans(services, tenant_id)
    assert not {k: v for k, v in scan["sourceFailures"].items() if "429" in str(v) or "503" in str(v)}
    assert len(await _findings(services, tenant_id)) == len(CATALOGUE)


async def test_a_500_burst_errors_what_it_hit_and_never_passes_it(
    faulty: tuple[Services, str], graphsim: GraphSimulator
) -> None:
    services, org_id = faulty
    tenant_id = await _customer(services, graphsim, org_id)
    assert (await handle_scan_request(services, _message(org_id, tenant_id, "clean"))).startswith("completed")
    clean = await _findings(services, tenant_id)
    # 500 is not a retryable status: every Graph read in the burst (v1.0 and beta) fails for this scan.
    graphsim.set_faults(tenant_id, fail_status=500, fail_path="graph:", fail_count=1000)
    assert (await handle_scan_request(services, _message(org_id, tenant_id, "burst"))).startswith("completed")
    burst = await _findings(services, tenant_id)
    graphsim.clear_faults(tenant_id)
    for check_id, finding in burst.items():
        if finding["status"] == "error":
            # An unreadable check is unassessed: neither passed nor resolved, its history kept.
            assert finding.get("resolvedAt") == clean[check_id].get("resolvedAt")
            assert finding["firstSeenAt"] == clean[check_id]["firstSeenAt"]
    graph_only = [
        c.id
        for c in CATALOGUE
        if not any(s.startswith(("exo_", "defender_", "sc_", "dns_", "teams_")) for s in c.metadata.sources)
    ]
    assert all(burst[c]["status"] in ("error", "not_applicable") for c in graph_only)
    assert (await handle_scan_request(services, _message(org_id, tenant_id, "after"))).startswith("completed")
    after = await _findings(services, tenant_id)
    assert {c: f["status"] for c, f in after.items()} == {c: f["status"] for c, f in clean.items()}


async def test_consent_revoked_in_the_middle_of_a_scan(
    faulty: tuple[Services, str], graphsim: GraphSimulator
) -> None:
    services, org_id = faulty
    tenant_id = await _customer(services, graphsim, org_id)
    assert (await handle_scan_request(services, _message(org_id, tenant_id, "before"))).startswith(
        "completed"
    )
    before = await _findings(services, tenant_id)
    graphsim.set_faults(tenant_id, latency_ms=150)
    during = _message(org_id, tenant_id, "during")
    scan = asyncio.create_task(handle_scan_request(services, during))
    await asyncio.sleep(0.5)  # both tokens are in hand and Graph reads are under way
    assert not scan.done()
    graphsim.set_faults(tenant_id, revoked_consent="AADSTS7000229")
    # Graph now refuses the tokens already issued: the scan stops and records nothing half-read.
    with pytest.raises(TenantUnreachable, match="Authorization_IdentityNotFound"):
        await scan
    assert await _findings(services, tenant_id) == before
    # The queue delivers the message again; Entra's answer settles it.
    retried = await handle_scan_request(services, during)
    assert retried.startswith("connection_lost"), retried
    customer, _ = await get_customer(services.store.org(org_id), tenant_id)
    assert customer.connection.state is ConnectionState.CONNECTION_LOST
    assert customer.connection.error_code == "AADSTS7000229"
    assert customer.summary.last_scan_id == "before"
    assert await _findings(services, tenant_id) == before
    statuses = {s["scanId"]: s["status"] for s in await _scans(services, tenant_id)}
    assert statuses == {"before": "completed", "during": "connection_lost"}


async def test_a_message_seen_again_after_its_visibility_timeout_scans_once(
    faulty: tuple[Services, str], graphsim: GraphSimulator
) -> None:
    services, org_id = faulty
    tenant_id = await _customer(services, graphsim, org_id)
    queue = services.scan_queue
    await queue.send(json.loads(_message(org_id, tenant_id, "redelivered")))
    (first,) = await queue.receive(1, visibility_timeout=1)
    assert (await handle_scan_request(services, first.text)).startswith("completed")
    # The worker dies before deleting it: the queue hands the message out again.
    await asyncio.sleep(1.5)
    (again,) = await queue.receive(1, visibility_timeout=30)
    assert again.id == first.id and again.dequeue_count == 2
    assert (await handle_scan_request(services, again.text)).startswith("duplicate")
    await queue.delete(again)
    assert len(await _scans(services, tenant_id)) == 1
    assert len(await _findings(services, tenant_id)) == len(CATALOGUE)
    customer, _ = await get_customer(services.store.org(org_id), tenant_id)
    assert len(customer.summary.trend) == 1


@pytest.fixture
def durable_stack(tmp_path: Path) -> Iterator[LocalStack]:
    """A stack of its own whose Cosmos stand-in keeps its data across a restart."""
    with LocalStack(tmp_path / "durable", durable_cosmos=True) as running:
        yield running


def _settings_for(stack: LocalStack, graphsim: GraphSimulator, **overrides: Any) -> Settings:
    return stack.settings(**{k.lower(): v for k, v in graphsim.env().items()}, **overrides)


async def test_the_cosmos_stand_in_restarted_mid_fleet_scan_loses_nothing(
    durable_stack: LocalStack, graphsim: GraphSimulator
) -> None:
    services = build_services(_settings_for(durable_stack, graphsim))
    await prepare_local_resources(services)
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    tenants = [await _customer(services, graphsim, org_id, users=20) for _ in range(6)]
    for tenant_id in tenants:
        await services.scan_queue.send(json.loads(_message(org_id, tenant_id, "fleet")))
    graphsim.set_faults(None, latency_ms=100)  # scans long enough to be caught in flight
    options = dataclasses.replace(QueueOptions.from_host_json(), retry_delay_seconds=1)
    stop = asyncio.Event()
    worker = asyncio.create_task(drain_scan_queue(services, options, stop))
    try:
        await asyncio.sleep(0.6)
        # Down long enough that the store's own retries give up on the writes in flight.
        await asyncio.to_thread(durable_stack.restart_cosmos, 8.0)
        for _ in range(240):
            scans = [await _scans(services, t) for t in tenants]
            if all([s["status"] for s in tenant_scans] == ["completed"] for tenant_scans in scans):
                break
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 60)
        graphsim.clear_faults()
    try:
        attempts = []
        for tenant_id in tenants:
            (scan,) = await _scans(services, tenant_id)
            assert scan["status"] == "completed", (tenant_id, scan)
            attempts.append(scan["attempt"])
            assert len(await _findings(services, tenant_id)) == len(CATALOGUE)
            customer, _ = await get_customer(services.store.org(org_id), tenant_id)
            assert customer.summary.last_scan_id == "fleet" and len(customer.summary.trend) == 1
        # The restart caught scans in flight (else this tested nothing), and each finished once.
        assert max(attempts) > 1, attempts
        assert await services.scan_queue.receive(1, visibility_timeout=1) == []
    finally:
        await services.close()


@pytest.fixture
def disk_stack(tmp_path: Path) -> Iterator[LocalStack]:
    """A stack of its own, Azurite on disk: taking it down must not take the session's data."""
    with LocalStack(tmp_path / "stack", in_memory=False) as running:
        yield running


async def test_azurite_down_while_a_report_is_written_is_retried_and_nothing_is_lost(
    disk_stack: LocalStack, graphsim: GraphSimulator
) -> None:
    from core.reports.service import read_report
    from core.summaries import enqueue_due_summaries, handle_summary_message
    from functions.local_host import drain_summary_queue_once

    # One quick try: the point is what happens after storage gives up, not how long it tries.
    settings = _settings_for(disk_stack, graphsim, storage_retry_total=1)
    services = build_services(settings)
    await prepare_local_resources(services)
    org_id, recipient = f"org-{uuid.uuid4().hex[:8]}", f"it-{uuid.uuid4().hex[:8]}@customer.example"
    tenant_id = graphsim.load_tenant(synthetic_tenant(20, seed=5, posture="weak"))
    await register_customer(
        services.store.org(org_id),
        tenant_id=tenant_id,
        display_name="Storm Petrel Ltd",
        primary_domain="petrel.example",
        connected=True,
        report_recipients=[recipient],
    )
    assert (await handle_scan_request(services, _message(org_id, tenant_id, "first"))).startswith("completed")
    assert await enqueue_due_summaries(services) == {"queued": 1}
    queue = services.email_queue
    try:
        (message,) = await queue.receive(1, visibility_timeout=2)
        disk_stack.stop_azurite()
        # Blob storage is gone while the report is rendered and written: the handler fails, so the
        # host would leave the message to come back, and no mail goes out without its report.
        with pytest.raises(Unavailable):
            await handle_summary_message(services, message.text)
        assert not [
            m for m in graphsim.sent_mail(graphsim.provider_tenant_id) if m["recipients"] == [recipient]
        ]
        delivery = await (await tenant_data(services, tenant_id)).query_all("c.type = 'delivery'")
        assert delivery == []
        disk_stack.start_azurite_again()
        await asyncio.sleep(2.5)  # past the visibility timeout: the message is back
        assert await drain_summary_queue_once(services, QueueOptions.from_host_json()) == 1
    finally:
        await services.close()
    services = build_services(settings)
    try:
        mailed = [
            m for m in graphsim.sent_mail(graphsim.provider_tenant_id) if m["recipients"] == [recipient]
        ]
        assert len(mailed) == 1
        (delivery,) = await (await tenant_data(services, tenant_id)).query_all("c.type = 'delivery'")
        assert delivery["status"] == "sent" and delivery["attempts"] == 1
        pdf = await read_report(services, (await tenant_data(services, tenant_id)).relationship_id, "first")
        assert pdf.startswith(b"%PDF")
    finally:
        await services.close()
