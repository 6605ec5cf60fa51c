"""The events the product emits, built from what a scan or a consent change already knows.
Emitting never fails the work that caused it: a queue outage is logged, not raised."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from core.ports import Services
from core.store.errors import StoreError
from core.webhooks.delivery import publish_all

if TYPE_CHECKING:
    from core.scan.findings import Finding
    from core.scan.record import ScanDocument

log = logging.getLogger(__name__)
Event = tuple[str, dict[str, Any]]


def scan_events(
    tenant_id: str,
    customer_id: str,
    scan: ScanDocument,
    findings: list[Finding],
    score_change: float | None,
) -> list[Event]:
    ids = {"tenantId": tenant_id, "customerId": customer_id, "scanId": scan.scan_id}
    summary = {
        "score": scan.score,
        "openPriorityCount": scan.open_priority_count,
        "counts": scan.counts,
    }
    events: list[Event] = [("scan.completed", {**ids, **summary})]
    for finding in findings:
        brief = {
            **ids,
            "checkId": finding.check_id,
            "title": finding.title,
            "priority": finding.priority,
            "severity": finding.severity,
        }
        if finding.change == "new" and finding.priority in ("P1", "P2"):
            opened = {**brief, "evidenceCount": finding.evidence_count}
            if finding.attribution is not None:
                opened["attribution"] = attribution_payload(finding)
            events.append(("finding.opened", opened))
        elif finding.change == "resolved":
            events.append(("finding.resolved", brief))
    if score_change:
        events.append(("score.changed", {**ids, "score": scan.score, "change": score_change}))
    return events


def attribution_payload(finding: Finding) -> dict[str, Any]:
    """A regression's attribution, small: the sentence, its status and the newest entries."""
    attribution = finding.attribution
    assert attribution is not None
    return {
        "status": attribution.status,
        "text": attribution.text,
        "since": attribution.since.isoformat(),
        "until": attribution.until.isoformat(),
        "matched": attribution.matched,
        "entries": [
            {"at": e.at.isoformat(), "activity": e.activity, "initiator": e.initiator, "target": e.target}
            for e in attribution.entries
        ],
    }


async def emit(services: Services, org_id: str, events: list[Event]) -> None:
    try:
        await publish_all(services, org_id, events)
    except StoreError as exc:
        log.warning("webhook events for org %s not queued: %s", org_id, exc)
