"""A customer's posture as of now: the stored summary with risk acceptances applied, so an
acceptance that expired an hour ago already counts against the score, before any job runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.checks.model import Severity, Status
from core.customers import TREND_POINTS, FailingCheck, PostureSummary, TrendPoint
from core.frameworks.scorecard import shares_of
from core.scan.findings import CheckResult, Finding, in_force
from core.scan.scoring import SCORING_METHOD, WEIGHTS, format_score, priority_for, score_of
from core.store.model import timestamp_text


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
    findings: list[Finding],
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
                evidence_count=finding.evidence_count,
                first_seen_at=timestamp_text(finding.first_seen_at),
                last_seen_at=timestamp_text(finding.last_seen_at),
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
        acceptances_changed_at=previous.acceptances_changed_at,
        compliance=shares_of({r.check.id: r.outcome.status.value for r in results}),
    )
    now = effective(summary, scanned_at)
    summary.score, summary.open_priority_count = now.score, now.open_priority_count
    if now.score is not None and previous.score is not None:
        summary.score_change = round(now.score - previous.score, 1)
    point = TrendPoint(scan_id=scan_id, at=scanned_at, score=now.score)
    summary.trend = [*previous.trend, point][-TREND_POINTS:]
    return summary


@dataclass(frozen=True)
class SinceLastScan:
    """What changed between the previous scan and now: the score as shown now (acceptances
    applied), the findings the latest scan opened or resolved, and acceptances made, revoked or
    expired since the previous scan."""

    score_change: float | None  # None: no previous scored scan to compare with
    new: int
    resolved: int
    acceptances_changed: bool

    @property
    def nothing_changed(self) -> bool:
        return (
            self.score_change is not None
            and round(self.score_change, 1) == 0
            and self.new == 0
            and self.resolved == 0
            and not self.acceptances_changed
        )

    def text(self) -> str:
        """The one sentence the portal, the PDF and the mail show."""
        if self.score_change is None:
            return "First scored scan"
        if round(self.score_change, 1) > 0:
            return f"Up {format_score(self.score_change)} since last scan"
        if round(self.score_change, 1) < 0:
            return f"Down {format_score(-self.score_change)} since last scan"
        return "No change since last scan" if self.nothing_changed else "Same score as last scan"


def since_last_scan(summary: PostureSummary, findings: list[Finding], now: datetime) -> SinceLastScan:
    previous = summary.trend[-2] if len(summary.trend) >= 2 else None
    # The score compares with the last scan that had one (a scan that assessed nothing has none).
    scored = [p.score for p in summary.trend[:-1] if p.score is not None]
    current = effective(summary, now).score
    change = round(current - scored[-1], 1) if scored and current is not None else None
    acceptances_changed = False
    if previous is not None:
        since = previous.at
        stamped = summary.acceptances_changed_at
        expired = any(since < expires <= now for expires in summary.acceptances.values())
        acceptances_changed = expired or (stamped is not None and stamped > since)
    return SinceLastScan(
        score_change=change,
        new=sum(1 for f in findings if f.change == "new"),
        resolved=sum(1 for f in findings if f.change == "resolved"),
        acceptances_changed=acceptances_changed,
    )
