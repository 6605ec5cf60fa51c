"""Finding lifecycle: how each check's result compares with what the tenant showed before.

One finding document per check per tenant holds the current state; each scan document keeps the
per-scan statuses. A check that could not be assessed this time neither resolves nor reopens
anything: not seeing a problem is not the same as it being fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from core.checks.model import CheckMetadata, Outcome, Severity, Status
from core.frameworks.mappings import framework_ids
from core.scan.scoring import priority_for
from core.store.documents import FINDING, finding_id

FindingState = Literal["open", "resolved", "ok"]
Change = Literal["new", "persisting", "resolved", "unchanged", "unassessed"]
MAX_EVIDENCE = 100


def in_force(expires_at: datetime, now: datetime) -> bool:
    """The one rule for a risk acceptance: it holds until its expiry and lapses by itself then
    (core.drilldown's query filter states the same rule in Cosmos SQL)."""
    return expires_at > now


def acceptance_in_force(finding: dict[str, Any] | None, now: datetime) -> bool:
    """Whether a finding's risk acceptance still holds."""
    acceptance = (finding or {}).get("acceptance")
    if not acceptance:
        return False
    return in_force(datetime.fromisoformat(acceptance["expiresAt"]), now)


@dataclass(frozen=True)
class CheckResult:
    check: CheckMetadata
    outcome: Outcome


def _evidence(outcome: Outcome) -> tuple[list[Any], int]:
    items = [dict(e) if not isinstance(e, str) else e for e in outcome.evidence]
    return items[:MAX_EVIDENCE], len(items)


def next_finding(
    result: CheckResult, previous: dict[str, Any] | None, scan_id: str, at: datetime
) -> tuple[dict[str, Any], Change]:
    """The finding document after this scan, and how it changed."""
    check, outcome = result.check, result.outcome
    prev_state: FindingState = (previous or {}).get("state", "ok")
    first_seen = (previous or {}).get("firstSeenAt")
    last_seen = (previous or {}).get("lastSeenAt")
    resolved_at = (previous or {}).get("resolvedAt")
    stamp = at.isoformat()

    state: FindingState
    change: Change
    if outcome.status is Status.FAIL:
        change = "persisting" if prev_state == "open" else "new"
        state, last_seen, resolved_at = "open", stamp, None
        if change == "new":
            first_seen = stamp
    elif outcome.status is Status.PASS:
        change = "resolved" if prev_state == "open" else "unchanged"
        state = "resolved" if prev_state in ("open", "resolved") else "ok"
        if change == "resolved":
            resolved_at = stamp
    else:
        state, change = prev_state, "unassessed"

    evidence, evidence_count = _evidence(outcome)
    document = {
        "id": finding_id(check.id),
        "type": FINDING,
        "checkId": check.id,
        "title": check.title,
        "category": check.category,
        "severity": check.severity.value,
        "severityRank": list(Severity).index(check.severity),  # critical first, for ORDER BY
        "priority": priority_for(check.severity),
        "status": outcome.status.value,
        "summary": outcome.summary,
        "evidence": evidence,
        "evidenceCount": evidence_count,
        "state": state,
        "change": change,
        "firstSeenAt": first_seen,
        "lastSeenAt": last_seen,
        "resolvedAt": resolved_at,
        "lastScanId": scan_id,
        "assessedAt": stamp,
        "frameworks": framework_ids(check.id),
        # Risk acceptance outlives scans: it belongs to the finding, not to one result.
        "acceptance": (previous or {}).get("acceptance"),
    }
    return document, change
