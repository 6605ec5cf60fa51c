"""PIM settings, app governance, emergency access and administrators' licences through the real
request path: the scanner's collector (msgraph-sdk adapter, paging, the per-administrator method
reads, error classification) against the Graph simulator over HTTPS, then the new checks."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks.model import Status
from core.scan.assess import Assessment
from devtools.graphsim.launcher import GraphSimulator
from tests.reading import assess

CONTOSO = "babd5d49-1067-4712-813b-d4f179d61913"  # weak, no Entra ID P1 or P2
NORTHWIND = "10e36c9e-9dda-40fb-ab2f-b1889571e188"  # mixed, P1
FABRIKAM = "fb716fe6-4338-4787-a12c-a6bde4eb4568"  # strong, P2
TAILWIND = "7a3c9e21-4b6d-4f80-a2c5-9d1e3f5b7c04"  # looks strong, P2
NEW_CHECKS = (
    "pim.approval_required",
    "pim.assignment_alerts",
    "pim.activation_alerts",
    "pim.assignments_through_pim",
    "entra.emergency_access_accounts",
    "entra.admins_unlicensed",
    "apps.password_addition_blocked",
    "apps.password_lifetime_limited",
    "apps.certificate_lifetime_limited",
    "apps.risky_delegated_grants",
    "entra.access_reviews_guests",
    "entra.access_reviews_privileged_roles",
)
N, P, F, M = Status.NOT_APPLICABLE, Status.PASS, Status.FAIL, Status.MANUAL
EXPECTED = {
    CONTOSO: (N, N, N, N, F, F, F, F, F, F, N, N),
    NORTHWIND: (N, N, N, N, F, F, F, F, F, P, N, N),
    # Fabrikam's helpdesk and user administrators work from their licensed daily accounts.
    FABRIKAM: (P, P, P, P, P, F, P, P, P, P, P, P),
    # Tailwind: secrets blocked only for new apps, so the 181-day lifetime is what holds them;
    # and its guest review ran once.
    TAILWIND: (F, P, P, F, P, P, F, P, P, F, F, P),
}


def outcomes(assessment: Assessment) -> dict[str, Any]:
    return {r.check.id: r.outcome for r in assessment.results if r.check.id in NEW_CHECKS}


@pytest.mark.parametrize("tenant_id", list(EXPECTED), ids=["contoso", "northwind", "fabrikam", "tailwind"])
async def test_each_demo_tenant_gets_its_posture(graphsim: GraphSimulator, tenant_id: str) -> None:
    found = outcomes(await assess(graphsim, tenant_id))
    got = {check: found[check].status for check in NEW_CHECKS}
    assert got == dict(zip(NEW_CHECKS, EXPECTED[tenant_id], strict=True)), {
        c: found[c].summary for c in NEW_CHECKS
    }


async def refused(graphsim: GraphSimulator, removed: list[str]) -> dict[str, Any]:
    graphsim.set_faults(FABRIKAM, removed_permissions=removed)
    try:
        return outcomes(await assess(graphsim, FABRIKAM))
    finally:
        graphsim.clear_faults(FABRIKAM)


async def test_refused_permissions_make_the_checks_errors_naming_why(graphsim: GraphSimulator) -> None:
    # Without UserAuthenticationMethod.Read.All Graph refuses every Global Administrator's methods.
    emergency = (await refused(graphsim, ["UserAuthenticationMethod.Read.All"]))[
        "entra.emergency_access_accounts"
    ]
    assert emergency.status is Status.ERROR
    assert (
        "admin_auth_methods" in emergency.summary and "UserAuthenticationMethod.Read.All" in emergency.summary
    )
    # RoleManagement.Read.Directory also opens the PIM settings, so both must go for them to be refused.
    removed = ["RoleManagementPolicy.Read.Directory", "RoleManagement.Read.Directory"]
    approval = (await refused(graphsim, removed))["pim.approval_required"]
    assert approval.status is Status.ERROR
    assert "pim_role_policies" in approval.summary
