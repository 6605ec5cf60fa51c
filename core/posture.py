"""A customer's posture as of now: the stored summary with risk acceptances applied, so an
acceptance that expired an hour ago already counts against the score, before any job runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.checks.model import Severity, Status
from core.customers import TREND_POINTS, FailingCheck, PostureSummary, TrendPoint
from core.scan.findings import CheckResult, in_force
from core.scan.scoring import SCORING_METHOD, WEIGHTS, priority_for, score_of


@dataclass(frozen=True)
class EffectivePosture:
    score: float | None
    open_priority_count: int
    accepted_check_ids: frozenset[str]
    open_failing_check_ids: tuple[str, ...]


def active_acceptances(summary: PostureSummary, now: datetime) -> frozenset[str]:
    return frozenset(
        c for c, expires in summary.acceptances.items() if in_force(expires, now) and c in summary.failing
    )


def effective(summary: PostureSummary, now: datetime) -> EffectivePosture:
    accepted = active_acceptances(summary, now)
    excluded = sum(WEIGHTS[Severity(summary.failing[c].severity)] for c in accepted)
    possible = summary.possible_weight - excluded
    score = score_of(summary.earned_weight, possible)
    open_failing = tuple(c for c in summary.failing_check_ids if c not in accepted)
    open_p1 = sum(1 for c in open_failing if _PRIORITY[summary.failing[c].severity] == "P1")
    return EffectivePosture(score, open_p1, accepted, open_failing)


# The priority of each stored severity, looked up rather than parsed: the fleet view applies
# `effective` to every customer's failing checks on every request (bench/api.py). An unknown
# severity still raises, as parsing it did.
_PRIORITY = {severity.value: priority_for(severity) for severity in Severity}


def summarise_scan(
    previous: PostureSummary,
    results: list[CheckResult],
    findings: list[dict[str, Any]],
    scan_id: str,
    scanned_at: datetime,
) -> PostureSummary:
    """The summary after a scan. Acceptances carry over from `previous`, dropping those whose
    finding no longer fails (a resolved finding needs no acceptance)."""
    earned = possible = 0
    failing: dict[str, FailingCheck] = {}
    for result, finding in zip(results, findings, strict=True):
        status, severity = result.outcome.status, result.check.severity
        if status in (Status.PASS, Status.FAIL):
            possible += WEIGHTS[severity]
        if status is Status.PASS:
            earned += WEIGHTS[severity]
        if status is Status.FAIL:
            failing[result.check.id] = FailingCheck(
                severity=severity.value,
                evidence_count=finding["evidenceCount"],
                first_seen_at=finding["firstSeenAt"],
                last_seen_at=finding["lastSeenAt"],
            )
    summary = PostureSummary(
        last_scan_id=scan_id,
        last_scan_at=scanned_at,
        failing_count=len(failing),
        failing_check_ids=sorted(failing),
        unassessed_check_ids=sorted(r.check.id for r in results if r.outcome.status is Status.ERROR),
        not_applicable_check_ids=sorted(
            r.check.id for r in results if r.outcome.status is Status.NOT_APPLICABLE
        ),
        scoring_method=SCORING_METHOD,
        earned_weight=earned,
        possible_weight=possible,
        failing=failing,
        acceptances={c: e for c, e in previous.acceptances.items() if c in failing},
    )
    now = effective(summary, scanned_at)
    summary.score, summary.open_priority_count = now.score, now.open_priority_count
    if now.score is not None and previous.score is not None:
        summary.score_change = round(now.score - previous.score, 1)
    point = TrendPoint(scan_id=scan_id, at=scanned_at, score=now.score)
    summary.trend = [*previous.trend, point][-TREND_POINTS:]
    return summary
