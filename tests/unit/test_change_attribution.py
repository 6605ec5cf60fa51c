"""Change attribution in the scan use case, over the in-memory adapters: a check that passed and
now fails is attributed from the directory audit log (FakeTenant.audit), which is read only then."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from ipaddress import ip_address

import pytest

from core.checks.catalogue import get_check
from core.checks.model import Outcome, Status, TenantSnapshot
from core.messages import WebhookDelivery
from core.scan.assess import Assessment
from core.scan.attribution import (
    Attribution,
    AuditEntry,
    AuditTarget,
    ChangeLog,
    PropertyChange,
    find_regressions,
)
from core.scan.findings import CheckResult, Finding, next_finding
from core.scan.requests import ScanRequest
from core.scan.service import scan_tenant
from core.webhooks.egress import EgressPolicy
from core.webhooks.endpoints import create_endpoint
from tests.unit.fakes import FakeServices, fake_services
from tests.unit.use_case_world import ORG, TENANT, new_customer

CA_CHECK = get_check("entra.device_code_flow_blocked").metadata  # reads conditional_access_policies
EXO_CHECK = get_check("exo.smtp_auth_disabled").metadata  # reads an Exchange cmdlet
POLICY_ID = "5f1c2b9e-0000-4000-8000-00000000ca01"


@pytest.fixture
def services() -> FakeServices:
    return fake_services()


def _assessment(ca: Status, exo: Status = Status.PASS) -> Assessment:
    snapshot = TenantSnapshot(TENANT, datetime.now().astimezone(), data={})
    return Assessment(
        snapshot,
        [
            CheckResult(CA_CHECK, Outcome(ca, f"{ca.value}: device code")),
            CheckResult(EXO_CHECK, Outcome(exo, f"{exo.value}: smtp")),
        ],
    )


def _policy(state: str) -> str:
    return json.dumps({"id": POLICY_ID, "displayName": "Block device code flow", "state": state})


def _disabled_at(at: datetime, *, category: str = "Policy", who: str = "bob@contoso.test") -> AuditEntry:
    change = PropertyChange("ConditionalAccessPolicy", _policy("enabled"), _policy("disabled"))
    target = AuditTarget(POLICY_ID, "Block device code flow", "Policy", (change,))
    return AuditEntry("audit-1", at, "Update conditional access policy", category, who, (target,))


async def _scan(services: FakeServices, customer_id: str, request_id: str) -> None:
    request = ScanRequest(
        org_id=ORG, tenant_id=TENANT, customer_id=customer_id, request_id=request_id, reason="schedule"
    )
    outcome = await scan_tenant(services, request)
    assert outcome.status == "completed", outcome


async def _findings(services: FakeServices, relationship_id: str) -> dict[str, Finding]:
    return {f.check_id: f for f in await services.store.relationship(relationship_id).findings()}


async def _scan_twice(services: FakeServices, audit: ChangeLog, second: Assessment) -> dict[str, Finding]:
    customer = await new_customer(services)
    services.tenants.add(TENANT, assessment=_assessment(Status.PASS))
    await _scan(services, customer.customer_id, "s-1")
    services.clock.advance(hours=6)
    tenant = services.tenants.tenants[TENANT]
    tenant.assessment, tenant.audit = second, audit
    await _scan(services, customer.customer_id, "s-2")
    return await _findings(services, customer.relationship_id)


async def test_a_regression_names_who_changed_what_and_when(services: FakeServices) -> None:
    address = "203.0.113.7"
    await create_endpoint(
        services.store.org(ORG),
        url=f"https://{address}/hook",
        events=["finding.opened"],
        description="PSA",
        policy=EgressPolicy(also_allow=frozenset({ip_address(address)})),
    )
    changed_at = services.clock.now() + timedelta(hours=2)
    outside = services.clock.now() - timedelta(days=1)  # before the first scan: not this regression
    audit = ChangeLog((_disabled_at(changed_at), _disabled_at(outside, who="old@contoso.test")))
    findings = await _scan_twice(services, audit, _assessment(Status.FAIL))

    attribution = findings[CA_CHECK.id].attribution
    assert attribution is not None and attribution.status == "attributed"
    assert "bob@contoso.test" in attribution.text and "'Block device code flow'" in attribution.text
    assert "enabled → disabled" in attribution.text and f"{changed_at:%Y-%m-%d %H:%M} UTC" in attribution.text
    assert attribution.matched == 1 and "old@contoso.test" not in attribution.text
    reads = services.tenants.tenants[TENANT].audit_reads
    assert [categories for _, _, categories in reads] == [("Policy",)]  # one read, the check's category

    (queued,) = [q for q in services.webhook_queue.sent if "finding.opened" in json.dumps(q)]
    payload = WebhookDelivery.model_validate(queued).event["data"]
    assert payload["checkId"] == CA_CHECK.id
    assert payload["attribution"]["entries"][0]["initiator"] == "bob@contoso.test"
    assert payload["attribution"]["text"] == attribution.text


async def test_an_unreadable_log_is_said_on_the_finding(services: FakeServices) -> None:
    why = "permission AuditLog.Read.All missing or not granted (HTTP 403 Authorization_RequestDenied)"
    findings = await _scan_twice(services, ChangeLog(unreadable=why), _assessment(Status.FAIL))
    attribution = findings[CA_CHECK.id].attribution
    assert attribution is not None and attribution.status == "unreadable"
    assert attribution.text == f"The directory audit log could not be read: {why}."


async def test_no_entry_between_the_scans_is_said_and_not_guessed(services: FakeServices) -> None:
    wrong_category = _disabled_at(services.clock.now() + timedelta(hours=1), category="UserManagement")
    findings = await _scan_twice(services, ChangeLog((wrong_category,)), _assessment(Status.FAIL))
    attribution = findings[CA_CHECK.id].attribution
    assert attribution is not None and attribution.status == "no_entries" and not attribution.entries
    assert "No Policy change was recorded" in attribution.text


async def test_without_a_regression_the_log_is_not_read(services: FakeServices) -> None:
    findings = await _scan_twice(services, ChangeLog(), _assessment(Status.PASS))
    assert services.tenants.tenants[TENANT].audit_reads == []
    assert findings[CA_CHECK.id].attribution is None


async def test_a_failure_on_the_first_scan_is_not_a_regression(services: FakeServices) -> None:
    customer = await new_customer(services)
    audit = ChangeLog((_disabled_at(services.clock.now()),))
    services.tenants.add(TENANT, assessment=_assessment(Status.FAIL), audit=audit)
    await _scan(services, customer.customer_id, "s-1")
    findings = await _findings(services, customer.relationship_id)
    assert findings[CA_CHECK.id].change == "new" and findings[CA_CHECK.id].attribution is None
    assert services.tenants.tenants[TENANT].audit_reads == []


async def test_an_exchange_regression_says_why_it_is_not_attributed(services: FakeServices) -> None:
    findings = await _scan_twice(services, ChangeLog(), _assessment(Status.PASS, exo=Status.FAIL))
    attribution = findings[EXO_CHECK.id].attribution
    assert attribution is not None and attribution.status == "not_attributed"
    assert attribution.text.startswith("Not attributed: Exchange changes are not attributed")
    assert services.tenants.tenants[TENANT].audit_reads == []  # nothing in Entra's log to read


def test_the_attribution_stays_while_open_and_goes_when_fixed() -> None:
    at = datetime.now().astimezone()
    passed = next_finding(CheckResult(CA_CHECK, Outcome(Status.PASS, "ok")), None, "s-1", at)[0]
    attribution = Attribution(status="no_entries", text="none", since=at, until=at + timedelta(hours=1))
    failing = CheckResult(CA_CHECK, Outcome(Status.FAIL, "bad"))
    regressed, change = next_finding(failing, passed, "s-2", at + timedelta(hours=1), attribution)
    assert change == "new" and regressed.attribution == attribution
    still, change = next_finding(failing, regressed, "s-3", at + timedelta(hours=2))
    assert change == "persisting" and still.attribution == attribution
    fixed, _ = next_finding(CheckResult(CA_CHECK, Outcome(Status.PASS, "ok")), still, "s-4", at)
    assert fixed.attribution is None
    assert Finding.model_validate(regressed.to_document()).attribution == attribution  # stored, read back


def test_a_regression_is_measured_from_the_last_pass_across_unassessed_scans() -> None:
    at = datetime.now().astimezone()

    def step(status: Status, previous: Finding | None, hours: int) -> Finding:
        result = CheckResult(CA_CHECK, Outcome(status, status.value))
        return next_finding(result, previous, f"s-{hours}", at + timedelta(hours=hours))[0]

    passed = step(Status.PASS, None, 0)
    errored = step(Status.ERROR, passed, 1)  # could not be assessed: neither pass nor fail
    failing = CheckResult(CA_CHECK, Outcome(Status.FAIL, "fail"))
    (regression,) = find_regressions({CA_CHECK.id: errored}, [failing])
    assert regression.since == at  # the pass, not the scan that could not assess it
    already_failing = step(Status.ERROR, step(Status.FAIL, passed, 1), 2)
    assert find_regressions({CA_CHECK.id: already_failing}, [failing]) == []
    assert find_regressions({}, [failing]) == []  # a first scan


async def test_a_failed_read_never_fails_the_scan_and_is_said(
    services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable(*args: object, **kwargs: object) -> ChangeLog:
        raise TimeoutError("Graph did not answer")

    monkeypatch.setattr(services.tenants, "directory_changes", unreachable)
    findings = await _scan_twice(services, ChangeLog(), _assessment(Status.FAIL))
    attribution = findings[CA_CHECK.id].attribution
    assert attribution is not None and attribution.status == "unreadable"
    assert "TimeoutError: Graph did not answer" in attribution.text
