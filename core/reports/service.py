"""The executive report use cases: assemble a tenant's latest scan into report data, render the
PDF, write it to Blob at reports/{tenantId}/{scanId}.pdf and record it in the tenant's partition;
list, read and link to stored reports."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from core import errors
from core.audit import Actor, record
from core.branding import brand_for
from core.checks.catalogue import get_check
from core.customers import Customer, get_customer
from core.frameworks.coverage import coverage_overview
from core.frameworks.mappings import ids_text
from core.frameworks.profiles import PROFILES
from core.frameworks.scorecard import scorecard
from core.peers import peer_position
from core.ports import Services
from core.posture import effective, since_last_scan
from core.priorities import top_priorities, urgency
from core.reports.model import (
    FrameworkCoverage,
    ReportData,
    ReportFinding,
    ReportPeerPosition,
    ReportScorecard,
)
from core.scan.findings import Finding
from core.store import RelationshipRepository, documents
from core.store.model import StoredModel, Timestamp


class ReportRecord(StoredModel):
    """A stored report: which scan it shows, where its PDF is, who made it and when."""

    id: str
    type: str = documents.REPORT
    scan_id: str
    blob: str
    size_bytes: int
    generated_at: Timestamp
    generated_by: dict[str, Any]
    score: float | None
    branded: bool = False


class NoScanYet(errors.Conflict):
    """A report needs a completed scan."""


def report_blob_name(relationship_id: str, scan_id: str) -> str:
    # In the "reports" container, so the full path reads reports/{relationshipId}/{scanId}.pdf:
    # under the relationship, like every other piece of what one org learned about one tenant.
    return f"{relationship_id}/{scan_id}.pdf"


def _finding(finding: Finding, now: datetime) -> ReportFinding:
    try:
        remediation = get_check(finding.check_id).metadata.remediation
    except KeyError:
        remediation = ""
    acceptance = finding.acceptance if finding.accepted_on(now) else None
    return ReportFinding(
        check_id=finding.check_id,
        title=finding.title,
        category=finding.category,
        severity=finding.severity,
        priority=finding.priority,
        status=finding.status,
        summary=finding.summary,
        remediation=remediation,
        evidence=list(finding.evidence),
        evidence_count=finding.evidence_count,
        cis=ids_text(finding.frameworks.get("cis")) or None,
        scuba=ids_text(finding.frameworks.get("scuba")) or None,
        accepted=acceptance is not None,
        acceptance_expires_at=acceptance.expires_at if acceptance else None,
        acceptance_justification=acceptance.justification if acceptance else None,
        what_changed=finding.attribution.text if finding.attribution and finding.status == "fail" else "",
    )


# The profiles whose controls not met the report lists by id: the baselines an MSP sells against.
LISTED_PROFILES = ("cis-e3-l1", "scuba-shall")


def _scorecards(docs: list[Finding], now: datetime) -> list[ReportScorecard]:
    cards = []
    for profile in PROFILES:
        card = scorecard(profile, docs, now)
        not_met = [(c.control.id, c.control.title) for c in card.controls if c.state == "not_met"]
        cards.append(
            ReportScorecard(
                profile.name, card.share, card.counts, not_met if profile.key in LISTED_PROFILES else []
            )
        )
    return cards


async def _peer_position(services: Services, customer: Customer, now: datetime) -> ReportPeerPosition | None:
    position = await peer_position(services.store.org(customer.org_id), customer.customer_id, now)
    if not position.shown or position.percentile is None or position.median is None:
        return None
    return ReportPeerPosition(position.percentile, position.median)


async def _source_failures(tenant: RelationshipRepository, scan_id: str) -> dict[str, str]:
    scan = await tenant.find_scan(scan_id)
    failures = (scan.source_failures if scan else None) or {}
    return {str(name): str(reason) for name, reason in failures.items()}


async def assemble(services: Services, customer: Customer, now: datetime) -> ReportData:
    if (
        customer.tenant_id is None
        or customer.summary.last_scan_id is None
        or customer.summary.last_scan_at is None
    ):
        raise NoScanYet(f"{customer.display_name} has not been scanned yet")
    tenant = services.store.relationship(customer.relationship_id)
    docs = await tenant.findings()
    findings = sorted(
        (_finding(d, now) for d in docs),
        key=lambda f: (f.status != "fail", *urgency(f.priority, f.severity, f.check_id)),
    )
    failing = [f for f in findings if f.status == "fail"]
    posture = effective(customer.summary, now)
    coverage = [
        FrameworkCoverage(c["title"], c["passed"], c["failed"], c["notAssessed"], partial=c["partial"])
        for c in coverage_overview(docs, now)
    ]
    counts: dict[str, int] = {}
    by_category: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    for f in findings:
        counts[f.status] = counts.get(f.status, 0) + 1
    for f in failing:
        by_category[f.category] = by_category.get(f.category, 0) + 1
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
    return ReportData(
        customer_name=customer.display_name,
        tenant_id=customer.tenant_id,
        primary_domain=customer.primary_domain,
        scan_id=customer.summary.last_scan_id,
        scanned_at=customer.summary.last_scan_at,
        generated_at=now,
        score=posture.score,
        score_change=customer.summary.score_change,
        trend=[(p.at, p.score) for p in customer.summary.trend],
        open_priority_count=posture.open_priority_count,
        counts_by_status=counts,
        failing_by_category=by_category,
        failing_by_severity=by_severity,
        findings=findings,
        frameworks=coverage,
        brand=await brand_for(services, customer),
        top_priorities=[_finding(d, now) for d in top_priorities(docs, now)],
        since_last_scan=since_last_scan(customer.summary, docs, now),
        source_failures=await _source_failures(tenant, customer.summary.last_scan_id),
        scorecards=_scorecards(docs, now),
        peer_position=await _peer_position(services, customer, now),
    )


async def generate_report(
    services: Services, org_id: str, tenant_id: str, actor: Actor, now: datetime | None = None
) -> ReportRecord:
    """Render the latest scan's report, store it and record it. Returns the record."""
    customer, _ = await get_customer(services.store.org(org_id), tenant_id)
    return await generate_customer_report(services, customer, actor, now)


async def generate_customer_report(
    services: Services, customer: Customer, actor: Actor, now: datetime | None = None
) -> ReportRecord:
    """`generate_report` for a customer already read (the summary job has it in hand)."""
    now = now or services.clock.now()
    data = await assemble(services, customer, now)
    from core.reports.pdf import render_report  # fpdf2 loads only where reports are made

    # Rendering is CPU work; a thread keeps the event loop answering other requests meanwhile.
    pdf = await asyncio.to_thread(render_report, data)
    blob = report_blob_name(customer.relationship_id, data.scan_id)
    await services.blobs.put(services.settings.reports_container, blob, pdf, "application/pdf")
    report = ReportRecord(
        id=documents.report_id(data.scan_id),
        scan_id=data.scan_id,
        blob=blob,
        size_bytes=len(pdf),
        generated_at=now,
        generated_by=actor.to_json(),
        score=data.score,
        branded=data.brand.enabled,
    )
    await services.store.relationship(customer.relationship_id).upsert(report.to_document())
    await record(
        services.store,
        org_id=customer.org_id,
        actor=actor,
        tenant_id=customer.tenant_id,
        relationship_id=customer.relationship_id,
        action="report.generated",
        target={"scanId": data.scan_id, "sizeBytes": len(pdf)},
    )
    return report


async def list_reports(services: Services, relationship_id: str) -> list[ReportRecord]:
    reports = await services.store.relationship(relationship_id).reports()
    return sorted(reports, key=lambda r: r.generated_at, reverse=True)


async def read_report(services: Services, relationship_id: str, scan_id: str) -> bytes:
    report = await services.store.relationship(relationship_id).report(scan_id)  # NotFound if none
    return await services.blobs.get(services.settings.reports_container, report.blob)


async def report_link(services: Services, relationship_id: str, scan_id: str) -> tuple[str, datetime]:
    """A short-lived read-only link to one stored report."""
    report = await services.store.relationship(relationship_id).report(scan_id)  # NotFound if none
    valid = timedelta(minutes=services.settings.report_link_minutes)
    url = await services.blobs.read_url(services.settings.reports_container, report.blob, valid)
    return url, services.clock.now() + valid
