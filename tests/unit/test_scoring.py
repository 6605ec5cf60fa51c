from core.checks.model import Severity, Status
from core.scan.scoring import Scored, open_priority_count, posture_score, priority_for

C, H, M, L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW


def test_score_is_severity_weighted_over_pass_and_fail_only() -> None:
    results = [
        Scored(Status.PASS, C),  # 10 earned of 10
        Scored(Status.FAIL, H),  # 0 of 5
        Scored(Status.PASS, L),  # 1 of 1
        Scored(Status.ERROR, C),  # ignored
        Scored(Status.NOT_APPLICABLE, H),  # ignored
        Scored(Status.MANUAL, M),  # ignored
    ]
    assert posture_score(results) == round(100 * 11 / 16, 1)


def test_nothing_assessable_gives_no_score_rather_than_a_perfect_one() -> None:
    assert posture_score([Scored(Status.ERROR, C), Scored(Status.NOT_APPLICABLE, H)]) is None
    assert posture_score([]) is None


def test_accepted_failures_leave_the_score() -> None:
    failing = [Scored(Status.PASS, M), Scored(Status.FAIL, C)]
    accepted = [Scored(Status.PASS, M), Scored(Status.FAIL, C, accepted=True)]
    assert posture_score(failing) == round(100 * 3 / 13, 1)
    assert posture_score(accepted) == 100.0


def test_priorities_follow_severity() -> None:
    assert [priority_for(s) for s in (C, H, M, L)] == ["P1", "P1", "P2", "P3"]


def test_open_priority_count_counts_unaccepted_p1_failures() -> None:
    results = [
        Scored(Status.FAIL, C),
        Scored(Status.FAIL, H),
        Scored(Status.FAIL, H, accepted=True),
        Scored(Status.FAIL, M),
        Scored(Status.PASS, C),
        Scored(Status.ERROR, C),
    ]
    assert open_priority_count(results) == 2
