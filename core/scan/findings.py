"""Finding lifecycle: how each check's result compares with what the tenant showed before.

One finding document per check per tenant holds the current state; each scan document keeps the
per-scan statuses. A check that could not be assessed this time neither resolves nor reopens
anything: not seeing a problem is not the same as it being fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from core.checks.model import CheckMetadata, Outcome, Severity, Status
from core.frameworks.mappings import framework_ids
from core.scan.attribution import Attribution
from core.scan.scoring import priority_for
from core.store.documents import FINDING, finding_id
from core.store.model import StoredModel, Timestamp

FindingState = Literal["open", "resolved", "ok"]
Change = Literal["new", "persisting", "resolved", "unchanged", "unassessed"]
MAX_EVIDENCE = 100


def in_force(expires_at: datetime, now: datetime) -> bool:
    """The one rule for a risk acceptance: it holds until its expiry and lapses by itself then
    (core.drilldown's query filter states the same rule in Cosmos SQL)."""
    return expires_at > now


class Acceptance(StoredModel):
    """A risk accepted on a failing finding: why, by whom, until when."""

    justification: str
    accepted_at: Timestamp
    expires_at: Timestamp
    accepted_by: dict[str, Any]


class Finding(StoredModel):
    """The current state of one check in one relationship's tenant (one document per check)."""

    id: str
    type: str = FINDING
    check_id: str
    title: str
    category: str = ""
    severity: str
    severity_rank: int = 0  # critical first, for ORDER BY
    priority: str = ""
    status: str
    summary: str = ""
    evidence: list[Any] = Field(default_factory=list)
    evidence_count: int = 0
    state: FindingState = "ok"
    change: Change = "unchanged"
    first_seen_at: Timestamp | None = None
    last_seen_at: Timestamp | None = None
    resolved_at: Timestamp | None = None
    last_scan_id: str | None = None
    assessed_at: Timestamp | None = None
    # When the check last passed: where a regression's change window starts (core.scan.attribution).
    last_passed_at: Timestamp | None = None
    frameworks: dict[str, Any] = Field(default_factory=dict)
    # Risk acceptance outlives scans: it belongs to the finding, not to one result.
    acceptance: Acceptance | None = None
    # Who changed what between the scans when the check regressed (core.scan.attribution); kept
    # while the finding stays open, dropped once it passes again.
    attribution: Attribution | None = None

    def accepted_on(self, now: datetime) -> bool:
        """Whether the finding's risk acceptance still holds at `now`."""
        return self.acceptance is not None and in_force(self.acceptance.expires_at, now)


def acceptance_in_force(finding: Finding | None, now: datetime) -> bool:
    """Whether a finding's risk acceptance still holds."""
    return finding is not None and finding.accepted_on(now)


@dataclass(frozen=True)
class CheckResult:
    check: CheckMetadata
    outcome: Outcome


def _evidence(outcome: Outcome) -> tuple[list[Any], int]:
    items = [dict(e) if not isinstance(e, str) else e for e in outcome.evidence]
    return items[:MAX_EVIDENCE], len(items)


def next_finding(
    result: CheckResult,
    previous: Finding | None,
    scan_id: str,
    at: datetime,
    attribution: Attribution | None = None,
) -> tuple[Finding, Change]:
    """The finding after this scan, and how it changed (`attribution`: for a regression only)."""
    check, outcome = result.check, result.outcome
    prev_state: FindingState = previous.state if previous else "ok"
    first_seen = previous.first_seen_at if previous else None
    last_seen = previous.last_seen_at if previous else None
    resolved_at = previous.resolved_at if previous else None
    attributed = previous.attribution if previous else None
    last_passed = previous.last_passed_at if previous else None

    state: FindingState
    change: Change
    if outcome.status is Status.FAIL:
        change = "persisting" if prev_state == "open" else "new"
        state, last_seen, resolved_at = "open", at, None
        if change == "new":
            first_seen, attributed = at, attribution
    elif outcome.status is Status.PASS:
        change = "resolved" if prev_state == "open" else "unchanged"
        state = "resolved" if prev_state in ("open", "resolved") else "ok"
        if change == "resolved":
            resolved_at = at
        attributed, last_passed = None, at
    else:
        state, change = prev_state, "unassessed"

    evidence, evidence_count = _evidence(outcome)
    finding = Finding(
        id=finding_id(check.id),
        check_id=check.id,
        title=check.title,
        category=check.category,
        severity=check.severity.value,
        severity_rank=list(Severity).index(check.severity),
        priority=priority_for(check.severity),
        status=outcome.status.value,
        summary=outcome.summary,
        evidence=evidence,
        evidence_count=evidence_count,
        state=state,
        change=change,
        first_seen_at=first_seen,
        last_seen_at=last_seen,
        resolved_at=resolved_at,
        last_scan_id=scan_id,
        assessed_at=at,
        frameworks=framework_ids(check.id),
        acceptance=previous.acceptance if previous else None,
        attribution=attributed,
        last_passed_at=last_passed,
    )
    return finding, change
