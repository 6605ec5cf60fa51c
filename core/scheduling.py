"""Scan scheduling: the hourly job that probes consent and queues the scans that are due."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from core.collect.connection import TenantUnreachable
from core.customers import Customer
from core.onboarding import connection_lost
from core.ports import Services
from core.scan.requests import ScanRequest, scheduled_request_id

log = logging.getLogger(__name__)
PROBE_CONCURRENCY = 16


@dataclass(frozen=True)
class EnqueueResult:
    connected: int
    due: int
    enqueued: int
    lost: int


async def _probe_consent(services: Services, customer: Customer, tenant_id: str) -> bool:
    """Ask Entra for a token (no Graph call). Returns False, and marks the customer, when the
    tenant has revoked consent, so a revocation shows within the hour, not at the next scan."""
    try:
        await services.tenants.probe(tenant_id)
    except TenantUnreachable as exc:
        if not exc.consent_revoked:
            log.warning("token probe for %s failed, will retry next hour: %s", tenant_id, exc)
            return True
        await connection_lost(services, customer.org_id, tenant_id, exc)
        return False
    return True


async def enqueue_due_scans(services: Services, now: datetime | None = None) -> EnqueueResult:
    """The hourly job: probe every connected tenant's consent and enqueue a scan for each that
    is due by its cadence. One of the few places a cross-partition query is allowed."""
    now = now or services.clock.now()
    # A connected customer always has its tenant id (consent named it).
    connected = [(c, c.tenant_id) async for c in services.store.connected_customers() if c.tenant_id]
    limiter = asyncio.Semaphore(PROBE_CONCURRENCY)

    async def probe(customer: Customer, tenant_id: str) -> bool:
        async with limiter:
            return await _probe_consent(services, customer, tenant_id)

    still_connected = await asyncio.gather(*(probe(c, t) for c, t in connected))
    due = [(c, t) for (c, t), ok in zip(connected, still_connected, strict=True) if ok and c.is_due(now)]
    for customer, tenant_id in due:
        request = ScanRequest(
            org_id=customer.org_id,
            tenant_id=tenant_id,
            customer_id=customer.customer_id,
            request_id=scheduled_request_id(now),
            reason="schedule",
        )
        await services.scan_queue.send(request.to_message())
    return EnqueueResult(
        connected=len(connected), due=len(due), enqueued=len(due), lost=still_connected.count(False)
    )


async def hourly(services: Services, now: datetime | None = None) -> str:
    """The hourly timer's work: probe consent and enqueue due scans, then reopen risk
    acceptances that expired (and audit it)."""
    from core.risk import sweep_expired_acceptances

    enqueued = await enqueue_due_scans(services, now)
    reopened = await sweep_expired_acceptances(services, now)
    return f"{enqueued}; {reopened} acceptance(s) expired"
