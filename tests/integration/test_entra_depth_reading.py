"""The Entra ID checks of issue 20 (part A) through the real request path: the scanner's collector
against the Graph simulator, for each demo tenant, then the catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.checks.model import Status
from core.scan.assess import Assessment
from devtools.graphsim.launcher import GraphSimulator
from tests.reading import assess

CONTOSO = "babd5d49-1067-4712-813b-d4f179d61913"  # weak, no Entra ID P1
NORTHWIND = "10e36c9e-9dda-40fb-ab2f-b1889571e188"  # mixed, P1
FABRIKAM = "fb716fe6-4338-4787-a12c-a6bde4eb4568"  # strong, P2
TAILWIND = "7a3c9e21-4b6d-4f80-a2c5-9d1e3f5b7c04"  # looks strong, is not
P, F, NA, M = Status.PASS, Status.FAIL, Status.NOT_APPLICABLE, Status.MANUAL
# What each demo tenant's posture (devtools/graphsim/entra_depth.py, policies.py, traps.py) must show.
EXPECTED: dict[str, dict[str, Status]] = {
    "entra.phishing_resistant_mfa_all": {CONTOSO: NA, NORTHWIND: F, FABRIKAM: F, TAILWIND: F},
    "entra.managed_device_required": {CONTOSO: NA, NORTHWIND: F, FABRIKAM: P, TAILWIND: F},
    "entra.security_info_registration": {CONTOSO: NA, NORTHWIND: F, FABRIKAM: P, TAILWIND: P},
    # The simulator's administrator policies leave out three of the sixteen roles the check wants.
    "entra.admin_signin_frequency": {CONTOSO: NA, NORTHWIND: F, FABRIKAM: F, TAILWIND: F},
    "auth.temporary_access_pass_one_time": {CONTOSO: P, NORTHWIND: P, FABRIKAM: P, TAILWIND: P},
    "auth.report_suspicious_activity": {CONTOSO: F, NORTHWIND: F, FABRIKAM: P, TAILWIND: P},
    "entra.intune_enrollment_reauth": {CONTOSO: NA, NORTHWIND: F, FABRIKAM: P, TAILWIND: F},
    "entra.ca_exclusions_sound": {CONTOSO: NA, NORTHWIND: F, FABRIKAM: P, TAILWIND: F},
    "apps.group_owner_consent_off": {CONTOSO: F, NORTHWIND: P, FABRIKAM: P, TAILWIND: P},
    "entra.default_user_permissions": {CONTOSO: F, NORTHWIND: F, FABRIKAM: P, TAILWIND: P},
    "entra.password_hash_sync": {CONTOSO: M, NORTHWIND: M, FABRIKAM: M, TAILWIND: M},
    "passwords.onprem_protection_lockout": {CONTOSO: NA, NORTHWIND: F, FABRIKAM: P, TAILWIND: P},
    "entra.device_join_restricted": {CONTOSO: F, NORTHWIND: P, FABRIKAM: P, TAILWIND: P},
    "entra.device_local_admins_limited": {CONTOSO: F, NORTHWIND: F, FABRIKAM: P, TAILWIND: F},
    "entra.laps_enabled": {CONTOSO: F, NORTHWIND: P, FABRIKAM: P, TAILWIND: P},
}


def result(assessment: Assessment, check_id: str) -> Any:
    return next(r.outcome for r in assessment.results if r.check.id == check_id)


@pytest.fixture
def faults(graphsim: GraphSimulator) -> Iterator[GraphSimulator]:
    yield graphsim
    graphsim.clear_faults(FABRIKAM)


@pytest.mark.parametrize("tenant_id", [CONTOSO, NORTHWIND, FABRIKAM, TAILWIND])
async def test_each_demo_tenant_shows_its_posture(graphsim: GraphSimulator, tenant_id: str) -> None:
    assessment = await assess(graphsim, tenant_id)
    seen = {check_id: result(assessment, check_id).status for check_id in EXPECTED}
    assert seen == {check_id: statuses[tenant_id] for check_id, statuses in EXPECTED.items()}


async def test_role_assignable_groups_and_the_device_policy_are_read_as_graph_answers(
    graphsim: GraphSimulator,
) -> None:
    graphsim.reset_request_log(NORTHWIND)
    assessment = await assess(graphsim, NORTHWIND)
    groups = assessment.snapshot.data["role_assignable_groups"]
    assert groups and all(set(g) == {"id", "displayName", "isAssignableToRole"} for g in groups)
    device = assessment.snapshot.data["device_registration_policy"]
    assert device["localAdminPassword"] == {"isEnabled": True}
    paths = [e["path"] for e in graphsim.request_log(NORTHWIND) if e["status"] == 200]
    assert any(p.startswith("/v1.0/groups?$filter=isAssignableToRole eq true") for p in paths)
    assert "/v1.0/policies/deviceRegistrationPolicy" in paths
    assert any(p.startswith("/beta/policies/authenticationMethodsPolicy?$select=") for p in paths)
    # v1.0 leaves the beta-only setting out, as Graph does; the beta read carries it.
    assert "reportSuspiciousActivitySettings" not in assessment.snapshot.data["authentication_methods_policy"]
    beta = assessment.snapshot.data["authentication_methods_policy_beta"]
    assert beta["reportSuspiciousActivitySettings"]["state"] == "enabled"
    # Northwind's MFA policy leaves out an ordinary group, which anyone who manages it can fill.
    gaps = [e.get("gap", "") for e in result(assessment, "entra.ca_exclusions_sound").evidence]
    assert any("not role-assignable" in gap for gap in gaps)


async def test_without_the_device_permission_only_the_device_checks_error(faults: GraphSimulator) -> None:
    faults.set_faults(FABRIKAM, removed_permissions=["Policy.Read.DeviceConfiguration"])
    assessment = await assess(faults, FABRIKAM)
    assert "device_registration_policy" in assessment.snapshot.failures
    for check_id in (
        "entra.device_join_restricted",
        "entra.device_local_admins_limited",
        "entra.laps_enabled",
    ):
        outcome = result(assessment, check_id)
        assert outcome.status is Status.ERROR
        assert "Policy.Read.DeviceConfiguration" in outcome.summary
    assert result(assessment, "entra.managed_device_required").status is Status.PASS


async def test_tailwind_traps_are_named(graphsim: GraphSimulator) -> None:
    assessment = await assess(graphsim, TAILWIND)
    device = result(assessment, "entra.managed_device_required")
    assert "CA008 Require compliant or hybrid joined device" in [e["displayName"] for e in device.evidence]
    exclusions = " ".join(e.get("gap", "") for e in result(assessment, "entra.ca_exclusions_sound").evidence)
    assert "excludes the Global Administrator role" in exclusions
    assert "guest or external users" in exclusions
