"""Conditional Access through the real request path: the simulator's beta and v1.0 answers, the
authentication strengths it serves, and scans that read them with msgraph-sdk."""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.bootstrap import Services
from core.checks.well_known import GLOBAL_ADMINISTRATOR, PHISHING_RESISTANT_COMBINATIONS
from core.customers import register_customer
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from tests.world import tenant_data

FABRIKAM = "fb716fe6-4338-4787-a12c-a6bde4eb4568"  # strong: its MFA-for-all policy uses a beta-only control
POLICIES = "/identity/conditionalAccess/policies"
STRENGTHS = "/policies/authenticationStrengthPolicies"
BUILT_INS = [f"00000000-0000-0000-0000-00000000000{n}" for n in (2, 3, 4)]
WEAK = {
    "id": "2d5c7e61-0b7a-4f51-9d3e-6a1f0c9b7e01",
    "createdDateTime": "2026-03-02T10:00:00Z",
    "modifiedDateTime": "2026-03-02T10:00:00Z",
    "displayName": "Sign-in for field staff",
    "description": "Password alone on shared kiosks",
    "policyType": "custom",
    "requirementsSatisfied": "none",
    "allowedCombinations": ["password", "password,microsoftAuthenticatorPush"],
}


@pytest.fixture(scope="module")
def http(graphsim: GraphSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(graphsim.ca_cert)), timeout=30) as client:
        yield client


def get(http: httpx.Client, sim: GraphSimulator, tenant: str, version: str, path: str) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
        "scope": "https://graph.microsoft.com/.default",
    }
    token = http.post(f"{sim.authority}/{tenant}/oauth2/v2.0/token", data=form).json()["access_token"]
    return http.get(f"{sim.base_url}/{version}{path}", headers={"Authorization": f"Bearer {token}"})


def by_name(response: httpx.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {p["displayName"]: p for p in response.json()["value"]}


def test_v1_leaves_out_a_policy_that_beta_returns(http: httpx.Client, graphsim: GraphSimulator) -> None:
    beta = get(http, graphsim, FABRIKAM, "beta", POLICIES)
    v1 = get(http, graphsim, FABRIKAM, "v1.0", POLICIES)
    assert beta.json()["@odata.context"] == (
        "https://graph.microsoft.com/beta/$metadata#identity/conditionalAccess/policies"
    )
    assert v1.json()["@odata.context"].startswith("https://graph.microsoft.com/v1.0/$metadata#")
    in_beta, in_v1 = by_name(beta), by_name(v1)
    cae = in_beta["CA001 Require MFA for all users"]["sessionControls"]["continuousAccessEvaluation"]
    assert cae == {"mode": "strictEnforcement"}
    assert set(in_beta) - set(in_v1) == {"CA001 Require MFA for all users"}
    # The rest are in v1.0 too, without the property only beta's types have.
    for policy in in_v1.values():
        assert "continuousAccessEvaluation" not in (policy["sessionControls"] or {})
        assert "deviceStates" not in policy["conditions"]


@pytest.mark.parametrize("version", ["beta", "v1.0"])
def test_a_strength_reference_is_answered_expanded(
    http: httpx.Client, graphsim: GraphSimulator, version: str
) -> None:
    listed = by_name(get(http, graphsim, FABRIKAM, version, POLICIES))
    policy = listed.pop("CA002 Phishing-resistant MFA for administrators")
    grant = policy["grantControls"]
    assert list(grant)[-2:] == ["authenticationStrength@odata.context", "authenticationStrength"]
    assert grant["authenticationStrength@odata.context"] == (
        f"https://graph.microsoft.com/{version}/$metadata#identity/conditionalAccess/policies"
        f"('{policy['id']}')/grantControls/authenticationStrength/$entity"
    )
    strength = grant["authenticationStrength"]
    assert strength["id"] == BUILT_INS[2] and strength["policyType"] == "builtIn"
    assert set(strength["allowedCombinations"]) == PHISHING_RESISTANT_COMBINATIONS
    assert all(p["grantControls"]["authenticationStrength"] is None for p in listed.values())


def test_strength_policies_are_the_built_ins_and_the_tenants_own(
    http: httpx.Client, graphsim: GraphSimulator
) -> None:
    fixture = synthetic_tenant(10, seed=41, posture="strong")
    fixture["authenticationStrengthPolicies"] = [WEAK]
    tenant = graphsim.load_tenant(fixture)
    try:
        body = get(http, graphsim, tenant, "v1.0", STRENGTHS).json()
        assert body["@odata.context"] == (
            "https://graph.microsoft.com/v1.0/$metadata#policies/authenticationStrengthPolicies"
        )
        assert [s["id"] for s in body["value"]] == [*BUILT_INS, WEAK["id"]]
        assert [s["policyType"] for s in body["value"]] == ["builtIn"] * 3 + ["custom"]
        assert body["value"][3]["allowedCombinations"] == WEAK["allowedCombinations"]
        assert all(s["combinationConfigurations"] == [] for s in body["value"])
    finally:
        graphsim.remove_tenant(tenant)


def test_a_graph_fault_hits_both_versions(http: httpx.Client, graphsim: GraphSimulator) -> None:
    graphsim.set_faults(FABRIKAM, fail_status=503, fail_path="graph:/identity/conditionalaccess/policies")
    try:
        assert get(http, graphsim, FABRIKAM, "beta", POLICIES).status_code == 503
        assert get(http, graphsim, FABRIKAM, "v1.0", POLICIES).status_code == 503
        assert get(http, graphsim, FABRIKAM, "v1.0", STRENGTHS).status_code == 200
    finally:
        graphsim.clear_faults(FABRIKAM)


# -- scans --------------------------------------------------------------------------------------


async def _scan_fixture(
    services: Services, graphsim: GraphSimulator, fixture: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    tenant_id = graphsim.load_tenant(fixture)
    org_id = f"org-{uuid.uuid4().hex[:10]}"
    await register_customer(
        services.store.org(org_id),
        tenant_id=tenant_id,
        display_name="CA customer",
        primary_domain="ca.example",
        connected=True,
    )
    graphsim.reset_request_log(tenant_id)
    request = ScanRequest(org_id=org_id, tenant_id=tenant_id, request_id="ca", reason="manual")
    outcome = await handle_scan_request(services, json.dumps(request.to_message()))
    assert outcome.startswith("completed"), outcome
    paths = [entry["path"] for entry in graphsim.request_log(tenant_id)]
    assert "/beta/identity/conditionalAccess/policies" in paths
    assert not any(p.startswith("/v1.0/identity/conditionalAccess") for p in paths)
    documents = await (await tenant_data(services, tenant_id)).query_all("c.type = @t", {"@t": "finding"})
    return {d["checkId"]: d for d in documents}


async def test_a_scan_sees_the_policy_only_beta_returns(
    scan_services: Services, graphsim: GraphSimulator
) -> None:
    findings = await _scan_fixture(scan_services, graphsim, synthetic_tenant(40, seed=4101, posture="strong"))
    mfa = findings["entra.mfa_all_users"]
    assert mfa["status"] == "pass", mfa["summary"]
    assert "'CA001 Require MFA for all users'" in mfa["summary"]


async def test_a_scan_judges_strengths_and_exclusions(
    scan_services: Services, graphsim: GraphSimulator
) -> None:
    fixture = synthetic_tenant(40, seed=4102, posture="strong")
    fixture["authenticationStrengthPolicies"] = [WEAK]
    policies = {p["displayName"]: p for p in fixture["conditionalAccessPolicies"]}
    mfa_grant = policies["CA001 Require MFA for all users"]["grantControls"]
    mfa_grant.update(builtInControls=[], authenticationStrength={"id": WEAK["id"]})
    legacy = policies["CA003 Block legacy authentication"]["conditions"]["users"]
    legacy["excludeRoles"] = [GLOBAL_ADMINISTRATOR]
    findings = await _scan_fixture(scan_services, graphsim, fixture)

    mfa = findings["entra.mfa_all_users"]
    assert mfa["status"] == "fail", mfa["summary"]
    gaps = {e["displayName"]: e.get("gap") for e in mfa["evidence"]}
    assert gaps["CA001 Require MFA for all users"] == (
        "authentication strength 'Sign-in for field staff' can be met with one factor (password)"
    )
    legacy_finding = findings["entra.legacy_auth_blocked"]
    assert legacy_finding["status"] == "fail"
    assert (
        "'CA003 Block legacy authentication' excludes the Global Administrator role"
        in (legacy_finding["summary"])
    )
    assert findings["entra.device_code_flow_blocked"]["status"] == "pass"
