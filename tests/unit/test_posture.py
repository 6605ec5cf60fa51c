from datetime import UTC, datetime, timedelta

from core.checks.model import CheckMetadata, Outcome, Severity, Status
from core.customers import PostureSummary
from core.posture import effective, summarise_scan
from core.scan.findings import CheckResult, next_finding

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _check(check_id: str, severity: Severity) -> CheckMetadata:
    return CheckMetadata(
        id=check_id,
        title=check_id,
        category="Identity",
        severity=severity,
        rationale="r",
        remediation="1. x",
        sources=("users",),
        permissions=("User.Read.All",),
    )


def _scan(
    statuses: dict[str, tuple[Severity, Status]], previous: PostureSummary, at: datetime
) -> PostureSummary:
    results = [CheckResult(_check(c, sev), Outcome(st, "s")) for c, (sev, st) in statuses.items()]
    findings = [next_finding(r, None, "scan", at)[0] for r in results]
    return summarise_scan(previous, results, findings, f"scan-{at:%d}", at)


STATUSES = {
    "a.critical_pass": (Severity.CRITICAL, Status.PASS),  # 10 of 10
    "b.high_fail": (Severity.HIGH, Status.FAIL),  # 0 of 5, P1
    "c.low_fail": (Severity.LOW, Status.FAIL),  # 0 of 1, P3
    "d.error": (Severity.CRITICAL, Status.ERROR),
    "e.na": (Severity.HIGH, Status.NOT_APPLICABLE),
}


def test_summary_of_a_scan_counts_weights_failures_and_unassessed() -> None:
    summary = _scan(STATUSES, PostureSummary(), T0)
    assert (summary.earned_weight, summary.possible_weight) == (10, 16)
    assert summary.score == 62.5
    assert summary.open_priority_count == 1
    assert summary.failing_check_ids == ["b.high_fail", "c.low_fail"]
    assert summary.unassessed_check_ids == ["d.error"]
    assert summary.not_applicable_check_ids == ["e.na"]
    assert [p.score for p in summary.trend] == [62.5]


def test_an_acceptance_leaves_score_and_open_priorities_until_it_expires() -> None:
    summary = _scan(STATUSES, PostureSummary(), T0)
    summary.acceptances = {"b.high_fail": T0 + timedelta(days=30)}
    during = effective(summary, T0 + timedelta(days=1))
    assert during.score == round(100 * 10 / 11, 1)
    assert during.open_priority_count == 0
    assert during.accepted_check_ids == {"b.high_fail"}
    after = effective(summary, T0 + timedelta(days=31))
    assert after.score == 62.5
    assert after.open_priority_count == 1
    assert after.accepted_check_ids == frozenset()


def test_acceptances_carry_over_while_the_finding_still_fails_and_trend_keeps_twelve() -> None:
    summary = _scan(STATUSES, PostureSummary(), T0)
    summary.acceptances = {"b.high_fail": T0 + timedelta(days=300), "c.low_fail": T0 + timedelta(days=300)}
    fixed = {**STATUSES, "c.low_fail": (Severity.LOW, Status.PASS)}
    for day in range(1, 14):
        summary = _scan(fixed, summary, T0 + timedelta(days=day))
    assert set(summary.acceptances) == {"b.high_fail"}
    assert len(summary.trend) == 12
    assert summary.score_change == 0.0
