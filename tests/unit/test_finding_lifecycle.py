from datetime import UTC, datetime, timedelta

from core.checks.model import CheckMetadata, Outcome, Severity, Status, error, failed, passed
from core.scan.findings import MAX_EVIDENCE, CheckResult, Finding, next_finding

CHECK = CheckMetadata(
    id="exo.smtp_auth_disabled",
    title="SMTP AUTH is disabled",
    category="Exchange Online",
    severity=Severity.HIGH,
    rationale="r",
    remediation="1. do it",
    sources=("exo_transport_config",),
    permissions=("Exchange.ManageAsApp",),
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _step(outcome: Outcome, previous: dict | None, at: datetime) -> tuple[dict, str]:
    """`next_finding` between stored documents: the previous one read as the store reads it, the
    next one as the store writes it."""
    before = Finding.model_validate(previous) if previous is not None else None
    finding, change = next_finding(CheckResult(CHECK, outcome), before, f"scan-{at:%d}", at)
    return finding.to_document(), change


def test_first_failure_is_new_then_persisting_then_resolved() -> None:
    first, change = _step(failed("on", [{"mailbox": "a@x.test"}]), None, T0)
    assert change == "new"
    assert (first["state"], first["firstSeenAt"], first["lastSeenAt"]) == (
        "open",
        T0.isoformat(),
        T0.isoformat(),
    )
    assert first["priority"] == "P1"
    assert first["frameworks"] == {"cis": "6.5.4", "scuba": "MS.EXO.5.1v1"}  # from core/frameworks

    t1 = T0 + timedelta(days=1)
    second, change = _step(failed("on"), first, t1)
    assert change == "persisting"
    assert (second["firstSeenAt"], second["lastSeenAt"]) == (T0.isoformat(), t1.isoformat())

    t2 = T0 + timedelta(days=2)
    third, change = _step(passed("off"), second, t2)
    assert change == "resolved"
    assert (third["state"], third["resolvedAt"], third["lastSeenAt"]) == (
        "resolved",
        t2.isoformat(),
        t1.isoformat(),
    )


def test_a_check_that_could_not_run_neither_resolves_nor_reopens() -> None:
    opened, _ = _step(failed("on"), None, T0)
    unseen, change = _step(error("permission missing"), opened, T0 + timedelta(days=1))
    assert change == "unassessed"
    assert unseen["state"] == "open"
    assert unseen["status"] == Status.ERROR.value
    assert unseen["firstSeenAt"] == T0.isoformat()


def test_a_resolved_finding_that_fails_again_is_new_again() -> None:
    opened, _ = _step(failed("on"), None, T0)
    resolved, _ = _step(passed("off"), opened, T0 + timedelta(days=1))
    t2 = T0 + timedelta(days=2)
    again, change = _step(failed("on"), resolved, t2)
    assert change == "new"
    assert (again["firstSeenAt"], again["resolvedAt"]) == (t2.isoformat(), None)


def test_passing_from_the_start_is_ok_and_unchanged() -> None:
    document, change = _step(passed("off"), None, T0)
    assert (document["state"], change) == ("ok", "unchanged")


def test_evidence_is_capped_but_counted_and_acceptance_is_kept() -> None:
    evidence = [{"mailbox": f"user{i}@x.test"} for i in range(MAX_EVIDENCE + 25)]
    opened, _ = _step(failed("on"), None, T0 - timedelta(days=1))
    acceptance = {
        "justification": "relay until the migration",
        "acceptedAt": "2026-12-01T00:00:00+00:00",
        "expiresAt": "2027-01-01T00:00:00+00:00",
        "acceptedBy": {"kind": "user", "name": "Ada"},
    }
    previous = {**opened, "acceptance": acceptance}
    document, _ = _step(failed("many", evidence), previous, T0)
    assert len(document["evidence"]) == MAX_EVIDENCE
    assert document["evidenceCount"] == MAX_EVIDENCE + 25
    assert document["acceptance"] == previous["acceptance"]
