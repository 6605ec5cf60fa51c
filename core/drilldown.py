"""One customer's posture in detail: the dashboard, filtered findings with paging, one finding
with its evidence and remediation, and the scan history. All reads of the tenant's partition."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from core.checks.catalogue import get_check
from core.checks.model import CATEGORIES, Severity, Status
from core.customers import Customer
from core.paging import BadPageToken, decode_page_token, encode_page_token, query_scope
from core.posture import effective
from core.scan.findings import acceptance_in_force
from core.store import NotFound, RelationshipRepository
from core.store.errors import Unavailable

SEVERITY_RANK = {s.value: rank for rank, s in enumerate(Severity)}  # critical first


@dataclass(frozen=True)
class FindingFilter:
    status: Status | None = None
    severity: Severity | None = None
    category: str | None = None
    framework: Literal["cis", "scuba"] | None = None
    new: bool | None = None  # new since the previous scan
    accepted: bool | None = None

    def __post_init__(self) -> None:
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(f"category must be one of: {', '.join(CATEGORIES)}")

    def where(self, now: datetime) -> tuple[str, dict[str, Any]]:
        clauses, params = ["c.type = @type"], {"@type": "finding"}
        if self.status is not None:
            clauses.append("c.status = @status")
            params["@status"] = self.status.value
        if self.severity is not None:
            clauses.append("c.severity = @severity")
            params["@severity"] = self.severity.value
        if self.category is not None:
            clauses.append("c.category = @category")
            params["@category"] = self.category
        if self.framework is not None:
            # Only code-chosen names reach the text; the framework value is validated above.
            clauses.append(f"c.frameworks.{self.framework} != null")
        if self.new is not None:
            clauses.append("c.change = 'new'" if self.new else "c.change != 'new'")
        if self.accepted is not None:
            params["@now"] = now.isoformat()
            # core.scan.findings.in_force, in Cosmos SQL: an acceptance holds until its expiry.
            clauses.append(
                "c.acceptance.expiresAt > @now"
                if self.accepted
                else "(c.acceptance = null OR c.acceptance.expiresAt <= @now)"
            )
        return " AND ".join(clauses), params


def _with_acceptance_state(finding: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {**finding, "accepted": acceptance_in_force(finding, now)}


async def dashboard(tenant: RelationshipRepository, customer: Customer, now: datetime) -> dict[str, Any]:
    findings = await tenant.query_all("c.type = @t", {"@t": "finding"})
    posture = effective(customer.summary, now)
    failing = [f for f in findings if f["status"] == Status.FAIL.value]
    return {
        "score": posture.score,
        "scoreChange": customer.summary.score_change,
        "openPriorityCount": posture.open_priority_count,
        "acceptedCount": len(posture.accepted_check_ids),
        "lastScanAt": customer.summary.last_scan_at,
        "trend": [{"scanId": p.scan_id, "at": p.at, "score": p.score} for p in customer.summary.trend],
        "byStatus": dict(Counter(f["status"] for f in findings)),
        "failingBySeverity": dict(Counter(f["severity"] for f in failing)),
        "failingByCategory": dict(Counter(f["category"] for f in failing)),
        "newSinceLastScan": sum(1 for f in failing if f["change"] == "new"),
    }


async def findings_page(
    tenant: RelationshipRepository,
    wanted: FindingFilter,
    *,
    page_size: int,
    page_token: str | None,
    now: datetime,
) -> tuple[list[dict[str, Any]], str | None]:
    where, params = wanted.where(now)
    # The clock parameter changes with every request; the rest says what the page is of.
    scope = query_scope(
        tenant.relationship_id, where, sorted((k, v) for k, v in params.items() if k != "@now")
    )
    continuation = decode_page_token(page_token, scope)
    try:
        page = await tenant.query_page(
            where, params, order_by="c.severityRank", page_size=page_size, continuation=continuation
        )
    except Unavailable as exc:
        if continuation is not None:  # the store could not read the continuation it was given
            raise BadPageToken("pageToken is no longer valid; start from the first page") from exc
        raise
    items = [_with_acceptance_state(f, now) for f in page.items]
    return items, encode_page_token(scope, page.continuation)


async def finding_detail(tenant: RelationshipRepository, check_id: str, now: datetime) -> dict[str, Any]:
    finding = (await tenant.get(f"finding:{check_id}")).body
    try:
        meta = get_check(check_id).metadata
    except KeyError as exc:
        raise NotFound("check", check_id) from exc
    return {
        **_with_acceptance_state(finding, now),
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
    page = await tenant.query_page(
        "c.type = @t",
        {"@t": "scan"},
        order_by="c.startedAt DESC",
        page_size=page_size,
        continuation=decode_page_token(page_token, scope),
    )
    items = [{k: v for k, v in s.items() if k != "results"} for s in page.items]
    return items, encode_page_token(scope, page.continuation)
