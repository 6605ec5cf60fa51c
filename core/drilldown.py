"""One customer's posture in detail: the dashboard, filtered findings with paging, one finding
with its evidence and remediation, and the scan history. All reads of the tenant's partition."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from core.checks.model import CATEGORIES, Severity, Status
from core.collect.unreadable import explain_summary
from core.customers import Customer
from core.frameworks.coverage import coverage_overview
from core.lazy import lazy_module
from core.paging import BadPageToken, decode_page_token, encode_page_token, query_scope
from core.posture import SinceLastScan, effective, since_last_scan
from core.priorities import top_priorities
from core.scan.findings import Finding
from core.scan.record import ScanDocument
from core.store import NotFound, RelationshipRepository
from core.store.errors import Unavailable
from core.store.partitions import FindingQuery

if TYPE_CHECKING:
    from core.checks import catalogue
else:
    catalogue = lazy_module("core.checks.catalogue")  # every check module, at the first finding shown

TEXT_MAX = 80


class BadText(ValueError):
    """The findings' text filter is too long or holds control characters."""


@dataclass(frozen=True)
class FindingFilter:
    status: Status | None = None
    severity: Severity | None = None
    category: str | None = None
    framework: Literal["cis", "scuba"] | None = None
    new: bool | None = None  # new since the previous scan
    accepted: bool | None = None
    text: str | None = None  # words in the check's title or id, any case

    def __post_init__(self) -> None:
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(f"category must be one of: {', '.join(CATEGORIES)}")
        if self.text is not None and (len(self.text) > TEXT_MAX or not self.text.isprintable()):
            raise BadText(f"text: at most {TEXT_MAX} printable characters")

    def query(self, now: datetime) -> FindingQuery:
        """The store's query for these findings (the store writes the SQL)."""
        return FindingQuery(
            status=self.status.value if self.status is not None else None,
            severity=self.severity.value if self.severity is not None else None,
            category=self.category,
            framework=self.framework,
            new=self.new,
            accepted=self.accepted,
            now=now,
            text=(self.text or "").strip().lower() or None,
        )


def _with_acceptance_state(finding: Finding, now: datetime) -> dict[str, Any]:
    return {**finding.to_document(), "accepted": finding.accepted_on(now)}


def _priority_item(finding: Finding) -> dict[str, Any]:
    keep = {"check_id", "title", "severity", "priority", "category", "summary"}
    return finding.model_dump(by_alias=True, mode="json", include=keep)


async def dashboard(tenant: RelationshipRepository, customer: Customer, now: datetime) -> dict[str, Any]:
    return dashboard_of(await tenant.findings(), customer, now)


def dashboard_of(findings: list[Finding], customer: Customer, now: datetime) -> dict[str, Any]:
    posture = effective(customer.summary, now)
    failing = [f for f in findings if f.status == Status.FAIL.value]
    return {
        "score": posture.score,
        "scoreChange": customer.summary.score_change,
        "openPriorityCount": posture.open_priority_count,
        "acceptedCount": len(posture.accepted_check_ids),
        "lastScanAt": customer.summary.last_scan_at,
        "trend": [{"scanId": p.scan_id, "at": p.at, "score": p.score} for p in customer.summary.trend],
        "byStatus": dict(Counter(f.status for f in findings)),
        "failingBySeverity": dict(Counter(f.severity for f in failing)),
        "failingByCategory": dict(Counter(f.category for f in failing)),
        "newSinceLastScan": sum(1 for f in failing if f.change == "new"),
        # What the PDF's first pages show, by the same functions.
        "topPriorities": [_priority_item(f) for f in top_priorities(findings, now)],
        "frameworks": coverage_overview(findings, now),
        "sinceLastScan": _since(since_last_scan(customer.summary, findings, now)),
    }


def _since(since: SinceLastScan) -> dict[str, Any]:
    return {
        "scoreChange": since.score_change,
        "new": since.new,
        "resolved": since.resolved,
        "acceptancesChanged": since.acceptances_changed,
        "nothingChanged": since.nothing_changed,
        "text": since.text(),
    }


async def findings_page(
    tenant: RelationshipRepository,
    wanted: FindingFilter,
    *,
    page_size: int,
    page_token: str | None,
    now: datetime,
) -> tuple[list[dict[str, Any]], str | None]:
    query = wanted.query(now)
    scope = query_scope(tenant.relationship_id, *query.scope())
    continuation = decode_page_token(page_token, scope)
    try:
        found, next_continuation = await tenant.findings_page(
            query, page_size=page_size, continuation=continuation
        )
    except Unavailable as exc:
        if continuation is not None:  # the store could not read the continuation it was given
            raise BadPageToken("pageToken is no longer valid; start from the first page") from exc
        raise
    items = [_with_acceptance_state(f, now) for f in found]
    return items, encode_page_token(scope, next_continuation)


async def finding_counts(tenant: RelationshipRepository) -> dict[str, int]:
    """How many findings fail of how many there are, whatever the filters ("44 failing of 66")."""
    return counts_of(await tenant.findings())


def counts_of(findings: list[Finding]) -> dict[str, int]:
    return {
        "failing": sum(1 for f in findings if f.status == Status.FAIL.value),
        "total": len(findings),
    }


def acceptance_expiries(findings: list[Finding]) -> list[datetime]:
    """When each finding's acceptance lapses: a view of these findings reads differently then
    (core.answers.until_next_change), whether or not the customer's summary still lists it."""
    return [f.acceptance.expires_at for f in findings if f.acceptance is not None]


async def finding_detail(tenant: RelationshipRepository, check_id: str, now: datetime) -> dict[str, Any]:
    finding, _ = await tenant.finding(check_id)
    try:
        meta = catalogue.get_check(check_id).metadata
    except KeyError as exc:
        raise NotFound("check", check_id) from exc
    unreadable = explain_summary(finding.summary) if finding.status == Status.ERROR.value else None
    return {
        **_with_acceptance_state(finding, now),
        # Why a check could not be assessed, in words (the summary keeps the raw reason).
        "unreadable": {"sentence": unreadable.sentence, "detail": unreadable.detail} if unreadable else None,
        "rationale": meta.rationale,
        "remediation": meta.remediation,
        "references": list(meta.references),
        "permissions": list(meta.permissions),
        "licence": meta.licence,
    }


async def scan_history(
    tenant: RelationshipRepository, *, page_size: int, page_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    scope = query_scope(tenant.relationship_id, "scans")
    page = await tenant.scans_page(page_size=page_size, continuation=decode_page_token(page_token, scope))
    items = [ScanDocument.model_validate(s).public() for s in page.items]
    return items, encode_page_token(scope, page.continuation)
