"""Identity data through the real request path: the scanner's own collector (msgraph-sdk request
adapter, paging, error classification) against the Graph simulator over HTTPS, then the catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.checks.model import Status
from core.collect.connection import open_connection
from core.scan.assess import Assessment, assess_tenant
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant

NORTHWIND = "10e36c9e-9dda-40fb-ab2f-b1889571e188"  # mixed posture, Entra ID P1


async def assess(graphsim: GraphSimulator, tenant_id: str) -> Assessment:
    settings = Settings(**{k.lower(): v for k, v in graphsim.env().items()})  # type: ignore[arg-type]
    connection = open_connection(settings, tenant_id)
    try:
        return await assess_tenant(connection, settings)
    finally:
        await connection.close()


def result(assessment: Assessment, check_id: str) -> Any:
    return next(r.outcome for r in assessment.results if r.check.id == check_id)


@pytest.fixture
def loaded(graphsim: GraphSimulator) -> Iterator[list[str]]:
    """Tenants a test loads into the shared simulator, removed afterwards."""
    tenant_ids: list[str] = []
    yield tenant_ids
    for tenant_id in tenant_ids:
        graphsim.remove_tenant(tenant_id)


async def test_a_sprayed_dormant_account_is_inactive_and_sign_ins_come_500_to_a_page(
    graphsim: GraphSimulator,
) -> None:
    graphsim.reset_request_log(NORTHWIND)
    assessment = await assess(graphsim, NORTHWIND)
    sprayed = [
        e
        for e in result(assessment, "entra.inactive_users").evidence
        if e["lastSignInFrom"] == "lastSuccessfulSignInDateTime"
    ]
    records = {r["id"]: r["signInActivity"] for r in assessment.snapshot.data["user_sign_ins"]}
    # The demo's sprayed member: failed attempts yesterday, last success long ago.
    recent_attempt = [
        e
        for e in sprayed
        if (records[e["id"]]["lastSignInDateTime"] or "")
        > (records[e["id"]]["lastSuccessfulSignInDateTime"] or "")
    ]
    assert len(recent_attempt) == 1, sprayed
    sign_in_pages = [
        e["path"]
        for e in graphsim.request_log(NORTHWIND)
        if "signInActivity" in e["path"] and e["status"] == 200
    ]
    assert sign_in_pages and all("$top=500" in path for path in sign_in_pages)


async def test_graph_spelling_of_grant_policy_ids_fails_user_consent(graphsim: GraphSimulator) -> None:
    assessment = await assess(graphsim, NORTHWIND)
    policy = assessment.snapshot.data["authorization_policy"]["defaultUserRolePermissions"]
    assert policy["permissionGrantPoliciesAssigned"] == [
        "managePermissionGrantsForSelf.microsoft-user-default-low"
    ]
    outcome = result(assessment, "apps.user_consent_restricted")
    assert outcome.status is Status.FAIL


async def test_authenticator_otp_codes_fail_the_context_check(graphsim: GraphSimulator) -> None:
    assessment = await assess(graphsim, NORTHWIND)
    outcome = result(assessment, "auth.authenticator_context_shown")
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"setting": "isSoftwareOathEnabled", "value": True},)


FABRIKAM = "fb716fe6-4338-4787-a12c-a6bde4eb4568"  # strong posture, a tenant created after 2021


async def test_a_new_tenant_with_unset_password_expiry_never_expires(graphsim: GraphSimulator) -> None:
    assessment = await assess(graphsim, FABRIKAM)
    created = assessment.snapshot.data["organization"][0]["createdDateTime"]
    assert created > "2021-01-01"
    assert {d["passwordValidityPeriodInDays"] for d in assessment.snapshot.data["domains"]} == {None}
    assert result(assessment, "passwords.never_expire").status is Status.PASS


def with_subdomain(fixture: dict[str, Any], *, created: str, root_days: int | None) -> str:
    """An older tenant with a verified subdomain whose own value Graph shows as unset."""
    fixture["organization"]["createdDateTime"] = created
    root = next(d for d in fixture["domains"] if not d["isInitial"])
    for domain in fixture["domains"]:
        domain["passwordValidityPeriodInDays"] = 2147483647 if domain is not root else root_days
    child = dict(
        root, id=f"eu.{root['id']}", isRoot=False, isDefault=False, passwordValidityPeriodInDays=None
    )
    fixture["domains"].append(child)
    return str(child["id"])


@pytest.mark.parametrize(("root_days", "status"), [(2147483647, Status.PASS), (None, Status.FAIL)])
async def test_a_subdomain_follows_its_root_domain(
    graphsim: GraphSimulator, loaded: list[str], root_days: int | None, status: Status
) -> None:
    fixture = synthetic_tenant(8, seed=1601, posture="strong")
    child = with_subdomain(fixture, created="2019-03-01T10:00:00Z", root_days=root_days)
    loaded.append(graphsim.load_tenant(fixture))
    outcome = result(await assess(graphsim, loaded[-1]), "passwords.never_expire")
    assert outcome.status is status
    if status is Status.FAIL:  # the unset root means 90 days in a tenant from 2019, and so for its child
        assert {"domain": child, "passwordValidityPeriodInDays": 90, "inheritedFrom": child[3:],
                "tenantDefault": True} in outcome.evidence  # fmt: skip
