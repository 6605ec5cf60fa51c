"""The scan use case: collect one tenant, evaluate the catalogue, store findings, update the
customer's summary. Called by the queue trigger (and the local worker) for one scan request."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from core import errors
from core.billing.metering import record_usage
from core.collect.connection import TenantUnreachable
from core.customers import (
    ConnectionState,
    Customer,
    get_customer,
    update_customer_by_id,
)
from core.onboarding import connection_lost
from core.ports import Services
from core.scan.assess import Assessment
from core.scan.attribute import attribute_regressions
from core.scan.now import mark_pending
from core.scan.record import ScanDocument, ScanRun, record_scan
from core.scan.requests import ScanRequest
from core.store import AlreadyExists, Conflict, NotFound, RelationshipRepository, StoredItem
from core.store.documents import LEASE_ID, SCAN_LEASE, scan_document_id
from core.webhooks.events import emit

log = logging.getLogger(__name__)

# A scan still "running" after this long was abandoned (its worker died); a redelivery takes over.
STALE_AFTER = timedelta(minutes=15)

ScanStatus = Literal["completed", "duplicate", "connection_lost", "skipped"]


@dataclass(frozen=True)
class ScanOutcome:
    scan_id: str
    status: ScanStatus
    detail: str
    score: float | None = None
    counts: dict[str, int] = field(default_factory=dict)


class TenantBusy(errors.Conflict):
    """Another scan of this tenant is running. Transient: the queue delivers the request again."""


async def acquire_scan_lease(tenant: RelationshipRepository, scan_id: str, now: datetime) -> StoredItem:
    """At most one scan runs per tenant: whoever holds the lease scans; a lease whose holder died
    expires after STALE_AFTER. Create and etag-guarded replace make the hand-over race-free."""
    body = {
        "id": LEASE_ID,
        "type": SCAN_LEASE,
        "holder": scan_id,
        "expiresAt": (now + STALE_AFTER).isoformat(),
    }
    existing = await tenant.find(LEASE_ID)
    try:
        if existing is None:
            return await tenant.create(body)
        expired = datetime.fromisoformat(existing.body["expiresAt"]) <= now
        if existing.body["holder"] == scan_id or expired:
            return await tenant.replace(body, existing.etag)
    except (AlreadyExists, Conflict):
        pass
    raise TenantBusy(f"relationship {tenant.relationship_id} is being scanned by another request")


async def release_scan_lease(tenant: RelationshipRepository, lease: StoredItem) -> None:
    with contextlib.suppress(NotFound, Conflict):  # expired and taken over: not ours any more
        await tenant.delete(LEASE_ID, lease.etag)


async def _claim(
    tenant: RelationshipRepository, request: ScanRequest, now: datetime
) -> tuple[ScanDocument, str] | None:
    """Start the scan document for this request (with its etag), or None when the request is a
    duplicate.

    Called only while holding the tenant's scan lease, so a "running" document here is an attempt
    that died (its worker stopped, or the store went away mid-scan): this delivery takes it over."""
    claim = ScanDocument(
        id=scan_document_id(request.request_id),
        scan_id=request.request_id,
        org_id=request.org_id,
        reason=request.reason,
        status="running",
        attempt=1,
        started_at=now,
    )
    try:
        return claim, (await tenant.create(claim.to_document())).etag
    except AlreadyExists:
        existing, etag = await tenant.scan(request.request_id)
    if existing.status in ("completed", "connection_lost"):
        return None
    retry = existing.model_copy(
        update={"status": "running", "attempt": existing.attempt + 1, "started_at": now, "error": None}
    )
    try:
        return retry, (await tenant.replace(retry.to_document(), etag)).etag
    except Conflict:
        return None  # another delivery of the same message took it a moment ago


async def scan_tenant(services: Services, request: ScanRequest) -> ScanOutcome:
    try:
        customer, _ = await get_customer(services.store.org(request.org_id), request.tenant_id)
    except NotFound:
        return ScanOutcome(request.request_id, "skipped", "no such customer in this org")
    if request.customer_id is not None and request.customer_id != customer.customer_id:
        # Queued for a relationship that was removed since; the tenant's new one starts afresh.
        return ScanOutcome(request.request_id, "skipped", "queued for a relationship that no longer exists")
    tenant = services.store.relationship(customer.relationship_id)
    started = services.clock.now()
    if not customer.active_on(started.date()):
        return ScanOutcome(
            request.request_id, "skipped", f"customer was cancelled on {customer.cancelled_on}"
        )
    if customer.connection.state is not ConnectionState.CONNECTED:
        return ScanOutcome(request.request_id, "skipped", f"customer is {customer.connection.state.value}")

    lease = await acquire_scan_lease(tenant, request.request_id, started)
    try:
        claim = await _claim(tenant, request, started)
        if claim is None:
            return ScanOutcome(
                request.request_id, "duplicate", "this request was already scanned or is running"
            )
        return await _scan_claimed(services, request, customer, *claim)
    finally:
        await release_scan_lease(tenant, lease)


async def _scan_claimed(
    services: Services, request: ScanRequest, customer: Customer, claim: ScanDocument, etag: str
) -> ScanOutcome:
    tenant = services.store.relationship(customer.relationship_id)
    began = time.perf_counter()
    manual = request.reason == "manual"  # only "scan now" requests have a pending marker
    if manual:
        await mark_pending(tenant, request.request_id, "running")
    try:
        assessment = await services.tenants.assess(request.tenant_id)
    except TenantUnreachable as exc:
        failed = claim.model_copy(
            update={
                "status": "connection_lost" if exc.consent_revoked else "failed",
                "completed_at": services.clock.now(),
                "error": {"code": exc.code, "message": str(exc)[:300]},
            }
        )
        await tenant.replace(failed.to_document(), etag)
        if manual:
            await mark_pending(tenant, request.request_id, "failed")
        if not exc.consent_revoked:
            raise  # transient: the queue retries the message
        await connection_lost(services, request.org_id, request.tenant_id, exc)
        return ScanOutcome(request.request_id, "connection_lost", f"consent revoked ({exc.code})")

    return await _record(services, request, customer, (claim, etag), assessment, began)


async def _record(
    services: Services,
    request: ScanRequest,
    customer: Customer,
    claim: tuple[ScanDocument, str],
    assessment: Assessment,
    began: float,
) -> ScanOutcome:
    """Persist what `record_scan` decided: findings, the scan, the customer's summary, events and
    the day's usage, in that order (a retry after a failure part-way rewrites the same documents)."""
    tenant = services.store.relationship(customer.relationship_id)
    previous = {f.check_id: f for f in await tenant.findings()}
    scan, etag = claim
    elapsed_ms = round((time.perf_counter() - began) * 1000)
    run = ScanRun(scan, scan.started_at, services.clock.now(), elapsed_ms)
    attributions = await attribute_regressions(
        services, request.tenant_id, previous, assessment, run.completed_at
    )
    record = record_scan(previous, customer, assessment, run, attributions)
    await tenant.upsert_many([f.to_document() for f in record.findings])
    await tenant.replace(record.scan.to_document(), etag)
    if request.reason == "manual":
        await mark_pending(tenant, request.request_id, "completed")

    def summarise(current: Customer) -> None:
        current.summary = record.summary_over(current.summary, assessment)

    await update_customer_by_id(services.store.org(request.org_id), customer.customer_id, summarise)
    await emit(services, request.org_id, record.events)
    if record.usage is not None:  # metering: the day's latest scan sets the day's count
        org = services.store.org(request.org_id)
        await record_usage(
            org, customer, scan.started_at.date(), record.usage, source="scan", scan_id=request.request_id
        )
    score, counts = record.scan.score, record.scan.counts or {}
    log.info("scanned %s: score %s, %d failing", request.tenant_id, score, record.summary.failing_count)
    return ScanOutcome(request.request_id, "completed", f"score {score}", score, counts)


# The scan queue (core.messages.SCAN_REQUESTS).


async def handle_scan_request(services: Services, text: str) -> str:
    """One scan request's text, as the queue trigger hands it over. Malformed messages are parked
    in the poison queue at once; transient failures raise so the host retries the message."""
    from core.messages import SCAN_REQUESTS, dispatch

    return await dispatch(services, SCAN_REQUESTS, text)


async def scan_requested(services: Services, request: ScanRequest) -> str:
    """The scan queue's handler: scan the tenant the message names."""
    outcome = await scan_tenant(services, request)
    return f"{outcome.status}: {outcome.detail}"


async def poison_scan_request(services: Services, text: str, exc: ValueError) -> str:
    """A malformed scan request cannot succeed on a retry: park it in the poison queue now."""
    log.warning("malformed scan request sent to the poison queue: %s", exc)
    await services.scan_queue.send_to_poison(text, f"malformed scan request: {exc}")
    return f"rejected: {exc}"
