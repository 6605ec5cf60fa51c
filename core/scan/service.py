"""The scan use case: collect one tenant, evaluate the catalogue, store findings, update the
customer's summary. Called by the queue trigger (and the local worker) for one scan request."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from core.bootstrap import Services
from core.checks.model import Status
from core.collect.connection import TenantUnreachable, open_connection
from core.customers import (
    TREND_POINTS,
    ConnectionState,
    Customer,
    PostureSummary,
    TrendPoint,
    get_customer,
    update_customer,
)
from core.onboarding import connection_lost
from core.scan.assess import Assessment, assess_tenant
from core.scan.findings import CheckResult, next_finding
from core.scan.requests import ScanRequest
from core.scan.scoring import SCORING_METHOD, Scored, open_priority_count, posture_score
from core.store import AlreadyExists, Conflict, NotFound, StoredItem, TenantRepository

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


def scan_document_id(scan_id: str) -> str:
    return f"scan:{scan_id}"


async def _claim(tenant: TenantRepository, request: ScanRequest, now: datetime) -> StoredItem | None:
    """Start the scan document for this request, or None when the request is a duplicate."""
    document = {
        "id": scan_document_id(request.request_id),
        "type": "scan",
        "scanId": request.request_id,
        "orgId": request.org_id,
        "reason": request.reason,
        "status": "running",
        "attempt": 1,
        "startedAt": now.isoformat(),
    }
    try:
        return await tenant.create(document)
    except AlreadyExists:
        existing = await tenant.get(document["id"])
    status = existing.body["status"]
    started = datetime.fromisoformat(existing.body["startedAt"])
    if status in ("completed", "connection_lost") or (status == "running" and now - started < STALE_AFTER):
        return None
    retry = {
        **existing.body,
        "status": "running",
        "attempt": existing.body["attempt"] + 1,
        "startedAt": now.isoformat(),
        "error": None,
    }
    try:
        return await tenant.replace(retry, existing.etag)
    except Conflict:
        return None  # another delivery of the same message took it a moment ago


def _accepted(finding: dict[str, Any], at: datetime) -> bool:
    acceptance = finding.get("acceptance")
    return bool(acceptance) and datetime.fromisoformat(acceptance["expiresAt"]) > at


async def scan_tenant(services: Services, request: ScanRequest) -> ScanOutcome:
    org, tenant = services.store.org(request.org_id), services.store.tenant(request.tenant_id)
    try:
        customer, _ = await get_customer(org, request.tenant_id)
    except NotFound:
        return ScanOutcome(request.request_id, "skipped", "no such customer in this org")
    if customer.connection.state is not ConnectionState.CONNECTED:
        return ScanOutcome(request.request_id, "skipped", f"customer is {customer.connection.state.value}")

    started = datetime.now(UTC)
    claim = await _claim(tenant, request, started)
    if claim is None:
        return ScanOutcome(request.request_id, "duplicate", "this request was already scanned or is running")

    clock = time.perf_counter()
    connection = open_connection(services.settings, request.tenant_id, services.graph_http.client())
    try:
        assessment = await assess_tenant(connection, services.settings)
    except TenantUnreachable as exc:
        failed = {
            **claim.body,
            "status": "connection_lost" if exc.consent_revoked else "failed",
            "completedAt": datetime.now(UTC).isoformat(),
            "error": {"code": exc.code, "message": str(exc)[:300]},
        }
        await tenant.replace(failed, claim.etag)
        if not exc.consent_revoked:
            raise  # transient: the queue retries the message
        await connection_lost(services, request.org_id, request.tenant_id, exc)
        return ScanOutcome(request.request_id, "connection_lost", f"consent revoked ({exc.code})")
    finally:
        await connection.close()

    return await _record(services, request, claim, assessment, started, clock)


async def _record(
    services: Services,
    request: ScanRequest,
    claim: StoredItem,
    assessment: Assessment,
    started: datetime,
    clock: float,
) -> ScanOutcome:
    tenant = services.store.tenant(request.tenant_id)
    results, snapshot = assessment.results, assessment.snapshot
    previous = {f["checkId"]: f for f in await tenant.query_all("c.type = @t", {"@t": "finding"})}
    findings, changes = [], {"new": 0, "persisting": 0, "resolved": 0}
    for result in results:
        document, change = next_finding(result, previous.get(result.check.id), request.request_id, started)
        findings.append(document)
        if change in changes:
            changes[change] += 1
    await tenant.upsert_many(findings)

    scored = [_scored(result, f, started) for result, f in zip(results, findings, strict=True)]
    score, open_p1 = posture_score(scored), open_priority_count(scored)
    counts = {status.value: sum(1 for r in results if r.outcome.status is status) for status in Status}
    failing = sorted(r.check.id for r in results if r.outcome.status is Status.FAIL)
    unassessed = sorted(r.check.id for r in results if r.outcome.status is Status.ERROR)
    completed_at = datetime.now(UTC)
    scan = {
        **claim.body,
        "status": "completed",
        "completedAt": completed_at.isoformat(),
        "durationMs": round((time.perf_counter() - clock) * 1000),
        "score": score,
        "scoringMethod": SCORING_METHOD,
        "openPriorityCount": open_p1,
        "counts": counts,
        "changes": changes,
        "results": [{"checkId": r.check.id, "status": r.outcome.status.value} for r in results],
        "sourceFailures": {name: f.reason for name, f in sorted(snapshot.failures.items())},
    }
    await tenant.replace(scan, claim.etag)

    def summarise(customer: Customer) -> None:
        previous_score = customer.summary.score
        change = None if score is None or previous_score is None else round(score - previous_score, 1)
        trend = [*customer.summary.trend, TrendPoint(scan_id=request.request_id, at=started, score=score)]
        customer.summary = PostureSummary(
            score=score,
            score_change=change,
            last_scan_id=request.request_id,
            last_scan_at=started,
            open_priority_count=open_p1,
            failing_count=len(failing),
            failing_check_ids=failing,
            unassessed_check_ids=unassessed,
            trend=trend[-TREND_POINTS:],
            scoring_method=SCORING_METHOD,
        )

    await update_customer(services.store.org(request.org_id), request.tenant_id, summarise)
    log.info("scanned %s: score %s, %d failing", request.tenant_id, score, len(failing))
    return ScanOutcome(request.request_id, "completed", f"score {score}", score, counts)


def _scored(result: CheckResult, finding: dict[str, Any], at: datetime) -> Scored:
    return Scored(result.outcome.status, result.check.severity, accepted=_accepted(finding, at))
