"""Tailwind Traders, the demo tenant built from the traps of issue #16 (devtools/graphsim/traps.py),
scanned through the real request path: each trap gets the verdict CIS and SCuBA would give it, and
what cannot be read is said, never passed."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from core.bootstrap import Services
from core.customers import ConnectionState, get_customer, register_customer
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from devtools.graphsim.admin import read_demo_fixtures
from devtools.graphsim.launcher import GraphSimulator
from tests.world import tenant_data

TAILWIND = "7a3c9e21-4b6d-4f80-a2c5-9d1e3f5b7c04"


def _fixture() -> dict[str, Any]:
    return next(f for f in read_demo_fixtures() if f["id"] == TAILWIND)


@pytest.fixture(scope="module")
async def findings(graphsim: GraphSimulator, scan_services: Services) -> dict[str, dict[str, Any]]:
    org_id = f"org-{uuid.uuid4().hex[:10]}"
    await register_customer(
        scan_services.store.org(org_id),
        tenant_id=TAILWIND,
        display_name="Tailwind Traders",
        primary_domain="tailwind-traders.example",
        connected=True,
    )
    request = ScanRequest(org_id=org_id, tenant_id=TAILWIND, request_id="traps-1", reason="manual")
    outcome = await handle_scan_request(scan_services, json.dumps(request.to_message()))
    assert outcome.startswith("completed"), outcome
    # No Exchange Online is no revoked consent: the customer stays connected.
    customer, _ = await get_customer(scan_services.store.org(org_id), TAILWIND)
    assert customer.connection.state is ConnectionState.CONNECTED
    documents = await (await tenant_data(scan_services, TAILWIND)).query_all("c.type = @t", {"@t": "finding"})
    return {d["checkId"]: d for d in documents}


def _verdict(findings: dict[str, dict[str, Any]], check_id: str) -> tuple[str, str]:
    return findings[check_id]["status"], findings[check_id]["summary"]


@pytest.mark.parametrize(
    ("check_id", "status", "said"),
    [
        # "MFA for all users" that leaves out the Global Administrator role covers not all users.
        ("entra.mfa_all_users", "fail", "excludes the Global Administrator role"),
        # Blocking legacy authentication for everyone but guests leaves guests' old protocols open.
        ("entra.legacy_auth_blocked", "fail", "excludes guest or external users"),
        # A custom strength that a password alone meets is not MFA, let alone phishing-resistant.
        ("entra.mfa_admins", "fail", "not covered"),
        ("entra.phishing_resistant_mfa_admins", "fail", "not required to use phishing-resistant MFA"),
        # The only device code flow block uses a beta-only session control: read from beta, it counts.
        ("entra.device_code_flow_blocked", "pass", "CA004 Block device code flow"),
        # Global Administrators through a role-assignable group: a guest and an account still
        # anchored to on-premises AD (onPremisesImmutableId) among them.
        ("privileged.no_guest_admins", "fail", "1 guest account"),
        ("privileged.admins_cloud_only", "fail", "synchronised from on-premises"),
        ("privileged.global_admin_count", "fail", "5 users hold Global Administrator"),
    ],
)
def test_each_trap_gets_the_frameworks_verdict(
    findings: dict[str, dict[str, Any]], check_id: str, status: str, said: str
) -> None:
    got, summary = _verdict(findings, check_id)
    assert (got, said in summary) == (status, True), summary


def test_the_sprayed_dormant_account_is_inactive(findings: dict[str, dict[str, Any]]) -> None:
    fixture = _fixture()
    as_of = dt.datetime.fromisoformat(fixture["asOf"].replace("Z", "+00:00"))
    sprayed = next(
        u["userPrincipalName"]
        for u in fixture["users"]
        if (activity := u.get("signInActivity") or {}).get("lastSignInDateTime")
        and as_of - dt.datetime.fromisoformat(activity["lastSignInDateTime"].replace("Z", "+00:00"))
        < dt.timedelta(days=1)
        and as_of - dt.datetime.fromisoformat(activity["lastSuccessfulSignInDateTime"].replace("Z", "+00:00"))
        > dt.timedelta(days=180)
    )
    status, _ = _verdict(findings, "entra.inactive_users")
    assert status == "fail"
    assert sprayed in json.dumps(findings["entra.inactive_users"]["evidence"])


def test_without_exchange_online_the_exchange_checks_say_why_and_never_pass(
    findings: dict[str, dict[str, Any]],
) -> None:
    exchange = {
        c: f
        for c, f in findings.items()
        if c.startswith(("exo.", "defender.")) or c == "monitoring.unified_audit_log"
    }
    assert len(exchange) >= 10
    for check_id, finding in exchange.items():
        assert finding["status"] == "error", (check_id, finding["summary"])
        assert "AADSTS500011" in finding["summary"], (check_id, finding["summary"])


def test_nothing_passes_on_data_that_was_not_read(findings: dict[str, dict[str, Any]]) -> None:
    # SharePoint is licensed on its own SKU, so its settings are read and judged, not excused.
    assert {f["status"] for c, f in findings.items() if c.startswith("sharepoint.")} <= {"pass", "fail"}
    errors = {c for c, f in findings.items() if f["status"] == "error"}
    assert errors == {c for c in findings if c.startswith(("exo.", "defender."))} | {
        "monitoring.unified_audit_log",
        "monitoring.alert_policies",  # Security & Compliance lives on the Exchange service principal
        "monitoring.audit_retention",
        "compliance.dlp_policies_enabled",
        "dns.dkim_enabled",
    }
