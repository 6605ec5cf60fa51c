"""What a finished scan writes, decided without any I/O: `record_scan` takes the findings stored
before, the customer as read and the assessment, and returns every document and event the scan
produces. The scan service then persists the record in a few writes (core.scan.service)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from core.billing.metering import UserCounts, count_users
from core.checks.model import Status
from core.customers import Customer, PostureSummary
from core.posture import summarise_scan
from core.scan.attribution import Attribution
from core.scan.findings import Finding, next_finding
from core.scan.scoring import SCORING_METHOD
from core.store.documents import SCAN
from core.store.model import StoredModel, Timestamp
from core.webhooks.events import Event, scan_events

if TYPE_CHECKING:  # the collectors behind it are for scans, not for the views that read ScanDocument
    from core.scan.assess import Assessment

CHANGES = ("new", "persisting", "resolved")
ScanState = Literal["running", "completed", "failed", "connection_lost"]


class ScanDocument(StoredModel):
    """One scan of a relationship's tenant, from its claim to its result. The document grows with
    the scan: a field is written once it is known (a running scan has no score), so it is stored
    and shown with only the fields that were set, as every version before wrote it."""

    id: str
    type: str = SCAN
    scan_id: str
    org_id: str
    reason: str
    status: ScanState
    attempt: int = 1
    started_at: Timestamp
    completed_at: Timestamp | None = None
    error: dict[str, Any] | None = None
    duration_ms: int | None = None
    score: float | None = None
    scoring_method: str | None = None
    open_priority_count: int | None = None
    counts: dict[str, int] | None = None
    changes: dict[str, int] | None = None
    results: list[dict[str, Any]] | None = None
    source_failures: dict[str, str] | None = None
    managed_users: int | None = None
    guest_users: int | None = None

    def model_post_init(self, context: Any, /) -> None:
        self.__pydantic_fields_set__.add("type")  # a default, and still part of every document

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json", exclude_unset=True)

    def public(self) -> dict[str, Any]:
        """What the API shows of a scan: everything but the per-check results."""
        return self.model_dump(by_alias=True, mode="json", exclude_unset=True, exclude={"results"})


@dataclass(frozen=True)
class ScanRun:
    """The claimed scan document and the clock readings of this attempt."""

    claim: ScanDocument
    started: datetime
    completed_at: datetime
    duration_ms: int


@dataclass(frozen=True)
class ScanRecord:
    findings: list[Finding]
    scan: ScanDocument
    summary: PostureSummary
    events: list[Event]
    usage: UserCounts | None
    # The risk acceptances `summary` was computed with (the customer's, as read before the scan).
    acceptances: dict[str, datetime]

    def summary_over(self, current: PostureSummary, assessment: Assessment) -> PostureSummary:
        """The summary to store over `current`, the customer's summary at write time: the one
        computed already, unless an acceptance changed while the scan ran, which must be kept."""
        if current.acceptances == self.acceptances:
            return self.summary
        scan = self.scan
        return summarise_scan(current, assessment.results, self.findings, scan.scan_id, scan.started_at)


def record_scan(
    previous: dict[str, Finding],
    customer: Customer,
    assessment: Assessment,
    run: ScanRun,
    attributions: Mapping[str, Attribution] | None = None,
) -> ScanRecord:
    """The findings (new, persisting, resolved), the completed scan document, the customer's next
    summary, the webhook events and the day's user count of one scan (`attributions`: by check id,
    for the checks that regressed)."""
    scan_id = run.claim.scan_id
    results, snapshot = assessment.results, assessment.snapshot
    findings, changes = [], dict.fromkeys(CHANGES, 0)
    for result in results:
        attribution = (attributions or {}).get(result.check.id)
        document, change = next_finding(
            result, previous.get(result.check.id), scan_id, run.started, attribution
        )
        findings.append(document)
        if change in changes:
            changes[change] += 1
    summary = summarise_scan(customer.summary, results, findings, scan_id, run.started)
    users = count_users(snapshot.data["users"]) if snapshot.has("users") else None
    scan = run.claim.model_copy(
        update={
            "status": "completed",
            "completed_at": run.completed_at,
            "duration_ms": run.duration_ms,
            "score": summary.score,
            "scoring_method": SCORING_METHOD,
            "open_priority_count": summary.open_priority_count,
            "counts": {s.value: sum(1 for r in results if r.outcome.status is s) for s in Status},
            "changes": changes,
            "results": [{"checkId": r.check.id, "status": r.outcome.status.value} for r in results],
            "source_failures": {name: f.reason for name, f in sorted(snapshot.failures.items())},
            "managed_users": users.managed if users else None,
            "guest_users": users.guests if users else None,
        }
    )
    events = scan_events(str(customer.tenant_id), customer.customer_id, scan, findings, summary.score_change)
    return ScanRecord(findings, scan, summary, events, users, dict(customer.summary.acceptances))
