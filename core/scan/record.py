"""What a finished scan writes, decided without any I/O: `record_scan` takes the findings stored
before, the customer as read and the assessment, and returns every document and event the scan
produces. The scan service then persists the record in a few writes (core.scan.service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.billing.metering import UserCounts, count_users
from core.checks.model import Status
from core.customers import Customer, PostureSummary
from core.posture import summarise_scan
from core.scan.assess import Assessment
from core.scan.findings import next_finding
from core.scan.scoring import SCORING_METHOD
from core.webhooks.events import Event, scan_events

CHANGES = ("new", "persisting", "resolved")


@dataclass(frozen=True)
class ScanRun:
    """The claimed scan document and the clock readings of this attempt."""

    claim: dict[str, Any]
    started: datetime
    completed_at: datetime
    duration_ms: int


@dataclass(frozen=True)
class ScanRecord:
    findings: list[dict[str, Any]]
    scan: dict[str, Any]
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
        started = datetime.fromisoformat(self.scan["startedAt"])
        return summarise_scan(current, assessment.results, self.findings, self.scan["scanId"], started)


def record_scan(
    previous: dict[str, dict[str, Any]], customer: Customer, assessment: Assessment, run: ScanRun
) -> ScanRecord:
    """The findings (new, persisting, resolved), the completed scan document, the customer's next
    summary, the webhook events and the day's user count of one scan."""
    scan_id = str(run.claim["scanId"])
    results, snapshot = assessment.results, assessment.snapshot
    findings, changes = [], dict.fromkeys(CHANGES, 0)
    for result in results:
        document, change = next_finding(result, previous.get(result.check.id), scan_id, run.started)
        findings.append(document)
        if change in changes:
            changes[change] += 1
    summary = summarise_scan(customer.summary, results, findings, scan_id, run.started)
    users = count_users(snapshot.data["users"]) if snapshot.has("users") else None
    scan = {
        **run.claim,
        "status": "completed",
        "completedAt": run.completed_at.isoformat(),
        "durationMs": run.duration_ms,
        "score": summary.score,
        "scoringMethod": SCORING_METHOD,
        "openPriorityCount": summary.open_priority_count,
        "counts": {status.value: sum(1 for r in results if r.outcome.status is status) for status in Status},
        "changes": changes,
        "results": [{"checkId": r.check.id, "status": r.outcome.status.value} for r in results],
        "sourceFailures": {name: f.reason for name, f in sorted(snapshot.failures.items())},
        "managedUsers": users.managed if users else None,
        "guestUsers": users.guests if users else None,
    }
    events = scan_events(str(customer.tenant_id), customer.customer_id, scan, findings, summary.score_change)
    return ScanRecord(findings, scan, summary, events, users, dict(customer.summary.acceptances))
