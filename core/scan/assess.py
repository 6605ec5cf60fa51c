"""Collect and evaluate one tenant without storing anything: what a scan computes, for the
scan use case and for `scanposture scan`."""

from __future__ import annotations

from dataclasses import dataclass

from core.checks.model import Status, TenantSnapshot
from core.collect.collector import collect_tenant
from core.collect.connection import TenantConnection
from core.frameworks.mappings import framework_ids
from core.priorities import urgency
from core.scan.early import EarlyEvaluation
from core.scan.findings import CheckResult
from core.scan.scoring import SCORING_METHOD, Scored, open_priority_count, posture_score, priority_for
from core.settings import Settings


@dataclass(frozen=True)
class Assessment:
    snapshot: TenantSnapshot
    results: list[CheckResult]

    @property
    def score(self) -> float | None:
        return posture_score(Scored(r.outcome.status, r.check.severity) for r in self.results)

    @property
    def open_priority_count(self) -> int:
        return open_priority_count(Scored(r.outcome.status, r.check.severity) for r in self.results)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for r in self.results if r.outcome.status is s) for s in Status}

    def failures(self) -> list[CheckResult]:
        """Failing checks, most urgent first (core.priorities.urgency, the one order)."""
        failing = [r for r in self.results if r.outcome.status is Status.FAIL]
        return sorted(
            failing,
            key=lambda r: urgency(priority_for(r.check.severity), r.check.severity.value, r.check.id),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "tenantId": self.snapshot.tenant_id,
            "collectedAt": self.snapshot.collected_at.isoformat(),
            "score": self.score,
            "scoringMethod": SCORING_METHOD,
            "openPriorityCount": self.open_priority_count,
            "counts": self.counts(),
            "sourceFailures": {k: v.reason for k, v in sorted(self.snapshot.failures.items())},
            "results": [
                {
                    "checkId": r.check.id,
                    "title": r.check.title,
                    "severity": r.check.severity.value,
                    "status": r.outcome.status.value,
                    "summary": r.outcome.summary,
                    "evidence": [e if isinstance(e, str) else dict(e) for e in r.outcome.evidence],
                    **framework_ids(r.check.id),
                }
                for r in self.results
            ],
        }


async def assess_tenant(connection: TenantConnection, settings: Settings) -> Assessment:
    """Collect, evaluating the catalogue in the gaps of the last read's pages (core.scan.early)."""
    from core.checks.catalogue import CATALOGUE

    early = EarlyEvaluation(CATALOGUE)
    try:
        snapshot = await collect_tenant(connection, settings, early.start)
        return Assessment(snapshot, await early.finish(snapshot))
    finally:
        early.cancel()  # a scan that stopped mid-way leaves no evaluation running
