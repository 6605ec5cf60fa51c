"""`record_scan` is pure: from the findings before, the customer and the assessment it decides every
document and event of a scan, so its rules are tested here in milliseconds, without the stack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.checks.catalogue import CATALOGUE
from core.checks.model import Outcome, SourceFailure, Status, TenantSnapshot
from core.customers import Connection, ConnectionState, Customer, PostureSummary
from core.scan.assess import Assessment
from core.scan.findings import CheckResult
from core.scan.record import ScanDocument, ScanRun, record_scan
from core.store.documents import customer_document_id

STARTED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CHECKS = [c.metadata for c in CATALOGUE[:4]]


def _customer(summary: PostureSummary | None = None) -> Customer:
    return Customer(
        id=customer_document_id("c1"),
        customer_id="c1",
        org_id="org-1",
        tenant_id="t-1",
        display_name="Pure Ltd",
        primary_domain="pure.example",
        connection=Connection(state=ConnectionState.CONNECTED),
        summary=summary or PostureSummary(),
    )


def _assessment(*statuses: Status, users: list[dict[str, Any]] | None = None) -> Assessment:
    snapshot = TenantSnapshot("t-1", STARTED, data={"users": users} if users is not None else {})
    snapshot.failures["exo_transport_config"] = SourceFailure("forbidden", "permission missing")
    results = [
        CheckResult(meta, Outcome(status, f"{status.value}: {meta.id}"))
        for meta, status in zip(CHECKS, statuses, strict=True)
    ]
    return Assessment(snapshot, results)


def _run(scan_id: str = "s1") -> ScanRun:
    claim = ScanDocument(
        id=f"scan:{scan_id}",
        scan_id=scan_id,
        org_id="o-1",
        reason="schedule",
        status="running",
        started_at=STARTED,
    )
    return ScanRun(claim, STARTED, STARTED + timedelta(seconds=3), 3000)


def test_a_first_scan_records_new_findings_a_scored_scan_and_its_events() -> None:
    users = [{"accountEnabled": True, "userType": "Member"}, {"accountEnabled": True, "userType": "Guest"}]
    record = record_scan(
        {}, _customer(), _assessment(Status.PASS, Status.FAIL, Status.ERROR, Status.PASS, users=users), _run()
    )
    assert [f.check_id for f in record.findings] == [c.id for c in CHECKS]
    assert record.scan.changes == {"new": 1, "persisting": 0, "resolved": 0}
    assert record.scan.counts["pass"] == 2 and record.scan.counts["error"] == 1
    assert record.scan.score == record.summary.score is not None
    assert record.scan.source_failures == {"exo_transport_config": "permission missing"}
    assert (record.scan.managed_users, record.scan.guest_users) == (1, 1)
    assert record.usage is not None and record.usage.managed == 1
    assert record.summary.failing_check_ids == [CHECKS[1].id]
    assert {kind for kind, _ in record.events} >= {"scan.completed"}


def test_a_second_scan_sees_what_persisted_and_what_was_resolved() -> None:
    first = record_scan(
        {}, _customer(), _assessment(Status.FAIL, Status.FAIL, Status.PASS, Status.PASS), _run()
    )
    before = {f.check_id: f for f in first.findings}
    second = record_scan(
        before,
        _customer(first.summary),
        _assessment(Status.FAIL, Status.PASS, Status.PASS, Status.PASS),
        _run("s2"),
    )
    assert second.scan.changes == {"new": 0, "persisting": 1, "resolved": 1}
    assert second.summary.score_change is not None and second.summary.score_change > 0
    assert len(second.summary.trend) == 2


def test_no_users_read_means_no_usage_rather_than_zero() -> None:
    record = record_scan({}, _customer(), _assessment(*[Status.PASS] * 4), _run())
    assert record.usage is None and record.scan.managed_users is None


def test_an_acceptance_made_while_the_scan_ran_is_kept_when_the_summary_is_stored() -> None:
    assessment = _assessment(Status.FAIL, Status.PASS, Status.PASS, Status.PASS)
    record = record_scan({}, _customer(), assessment, _run())
    unchanged = record.summary_over(_customer().summary, assessment)
    assert unchanged is record.summary  # nothing moved meanwhile: computed once
    meanwhile = PostureSummary(acceptances={CHECKS[0].id: STARTED + timedelta(days=30)})
    stored = record.summary_over(meanwhile, assessment)
    assert CHECKS[0].id in stored.acceptances
    # The accepted failure no longer counts: the three passing checks are all that is scored.
    assert record.summary.score is not None and record.summary.score < 100
    assert stored.score == 100.0
