"""Identity data through the real request path: the scanner's own collector (msgraph-sdk request
adapter, paging, error classification) against the Graph simulator over HTTPS, then the catalogue."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.checks.directory_roles import holders
from core.checks.model import Status
from core.checks.well_known import EXCHANGE_ADMINISTRATOR
from core.scan.assess import Assessment
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from tests.reading import assess

NORTHWIND = "10e36c9e-9dda-40fb-ab2f-b1889571e188"  # mixed posture, Entra ID P1


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
    # First the user consent policy, then Microsoft's Teams resource-specific consent policies.
    assert (
        policy["permissionGrantPoliciesAssigned"][0]
        == "managePermissionGrantsForSelf.microsoft-user-default-low"
    )
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


# -- roles held through role-assignable groups ---------------------------------------------------

NORTHWIND_HELPDESK = "e684ca68-1b42-5e5e-8722-ddf935c7ff0f"  # active members, Helpdesk Administrator
FABRIKAM_EXCHANGE = "02dafb0b-09f0-5cef-bb56-46e67bc9bc97"  # one PIM-eligible member, Exchange Administrator


@pytest.fixture(scope="module")
def http(graphsim: GraphSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(graphsim.ca_cert)), timeout=30) as client:
        yield client


def graph_get(http: httpx.Client, graphsim: GraphSimulator, tenant: str, path: str) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": graphsim.client_id,
        "client_secret": graphsim.client_secret,
        "scope": "https://graph.microsoft.com/.default",
    }
    token = http.post(f"{graphsim.authority}/{tenant}/oauth2/v2.0/token", data=form).json()["access_token"]
    return http.get(graphsim.graph_url + path, headers={"Authorization": f"Bearer {token}"})


def test_transitive_members_are_directory_objects_with_their_type(
    http: httpx.Client, graphsim: GraphSimulator
) -> None:
    page = graph_get(http, graphsim, NORTHWIND, f"/groups/{NORTHWIND_HELPDESK}/transitiveMembers").json()
    assert page["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#directoryObjects"
    assert len(page["value"]) == 2
    assert {m["@odata.type"] for m in page["value"]} == {"#microsoft.graph.user"}
    assert {"id", "displayName", "userPrincipalName", "businessPhones"} <= set(page["value"][0])
    missing = graph_get(
        http, graphsim, NORTHWIND, "/groups/00000000-0000-0000-0000-0000000000aa/transitiveMembers"
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"
    assert "00000000-0000-0000-0000-0000000000aa" in missing.json()["error"]["message"]


def test_pim_for_groups_eligibility_is_listed_per_group_and_needs_p2(
    http: httpx.Client, graphsim: GraphSimulator
) -> None:
    path = "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
    rows = graph_get(http, graphsim, FABRIKAM, f"{path}?$filter=groupId eq '{FABRIKAM_EXCHANGE}'").json()[
        "value"
    ]
    assert [(r["groupId"], r["accessId"], r["memberType"]) for r in rows] == [
        (FABRIKAM_EXCHANGE, "member", "Direct")
    ]
    assert set(rows[0]) >= {"id", "principalId", "startDateTime", "endDateTime", "eligibilityScheduleId"}
    by_principal = graph_get(
        http, graphsim, FABRIKAM, f"{path}?$filter=principalId eq '{rows[0]['principalId']}'"
    )
    assert by_principal.json()["value"] == rows
    assert graph_get(http, graphsim, FABRIKAM, path).status_code == 400  # unscoped lists are refused
    unlicensed = graph_get(http, graphsim, NORTHWIND, f"{path}?$filter=groupId eq '{NORTHWIND_HELPDESK}'")
    assert (unlicensed.status_code, unlicensed.json()["error"]["code"]) == (400, "AadPremiumLicenseRequired")


def test_pim_for_groups_eligibility_needs_its_own_permission(
    http: httpx.Client, graphsim: GraphSimulator
) -> None:
    path = "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
    path += f"?$filter=groupId eq '{FABRIKAM_EXCHANGE}'"
    graphsim.set_faults(FABRIKAM, removed_permissions=["PrivilegedEligibilitySchedule.Read.AzureADGroup"])
    try:
        assert graph_get(http, graphsim, FABRIKAM, path).status_code == 403
    finally:
        graphsim.clear_faults(FABRIKAM)


async def test_the_scan_reads_role_groups_and_counts_their_members(graphsim: GraphSimulator) -> None:
    northwind = await assess(graphsim, NORTHWIND)
    members = northwind.snapshot.data["role_group_members"]
    assert set(members) == {NORTHWIND_HELPDESK} and len(members[NORTHWIND_HELPDESK]) == 2
    assert northwind.snapshot.failures["role_group_eligibility"].kind == "not_licensed"  # no P2: not asked
    synced = result(northwind, "privileged.admins_cloud_only").evidence
    assert sum(1 for e in synced if e.get("viaGroups") == ["Helpdesk operators"]) == 2

    fabrikam = await assess(graphsim, FABRIKAM)
    eligibility = fabrikam.snapshot.data["role_group_eligibility"][FABRIKAM_EXCHANGE]
    assert [r["accessId"] for r in eligibility] == ["member"]
    assert fabrikam.snapshot.data["role_group_members"][FABRIKAM_EXCHANGE] == []
    found, _ = holders(fabrikam.snapshot, {EXCHANGE_ADMINISTRATOR})
    through_group = found[eligibility[0]["principalId"].lower()]
    assert (through_group.via, through_group.how) == ({"PIM - Exchange operators"}, {"eligible"})


def synced_admins_only_through_a_group(fixture: dict[str, Any], *, role: str) -> list[str]:
    """Move every member of the tenant's role group in as an active member and give the group `role`;
    the first two are synchronised accounts that hold no role of their own."""
    holders = {a["principalId"] for a in fixture["roleAssignments"]}
    synced = [
        u["id"] for u in fixture["users"]
        if u["onPremisesSyncEnabled"] and u["userType"] == "Member" and u["id"] not in holders
    ][:2]  # fmt: skip
    group = next(g for g in fixture["groups"] if g.get("isAssignableToRole"))
    group["members"] = synced
    next(a for a in fixture["roleAssignments"] if a["principalId"] == group["id"])["roleDefinitionId"] = role
    return synced


async def test_global_administrators_in_a_group_change_the_verdicts(
    graphsim: GraphSimulator, loaded: list[str]
) -> None:
    fixture = synthetic_tenant(30, seed=1602, posture="strong")
    synced = synced_admins_only_through_a_group(fixture, role="62e90394-69f5-4237-9190-012177145e10")
    loaded.append(graphsim.load_tenant(fixture))
    assessment = await assess(graphsim, loaded[-1])
    count = result(assessment, "privileged.global_admin_count")
    assert count.status is Status.FAIL  # 2 break-glass, 1 eligible admin, 2 members, 1 eligible member
    eligible = next(g for g in fixture["groups"] if g.get("isAssignableToRole"))["eligibleMembers"]
    assert {e["id"] for e in count.evidence if e.get("viaGroups")} == {*synced, *eligible}
    cloud_only = result(assessment, "privileged.admins_cloud_only")
    assert cloud_only.status is Status.FAIL
    via_group = [e for e in cloud_only.evidence if e.get("viaGroups")]
    assert {e["id"] for e in via_group} == set(synced)
    assert {e["onPremises"] for e in via_group} == {"onPremisesSyncEnabled"}


async def test_an_admin_anchored_by_immutable_id_alone_is_not_cloud_only(
    graphsim: GraphSimulator, loaded: list[str]
) -> None:
    fixture = synthetic_tenant(30, seed=1603, posture="strong")
    admin_id = fixture["roleAssignments"][0]["principalId"]  # a cloud-only break-glass account
    admin = next(u for u in fixture["users"] if u["id"] == admin_id)
    admin.update(onPremisesSyncEnabled=False, onPremisesImmutableId="3q2+7wAAAAAAAAAAAAAAAA==")
    loaded.append(graphsim.load_tenant(fixture))
    assessment = await assess(graphsim, loaded[-1])
    user = next(u for u in assessment.snapshot.data["users"] if u["id"] == admin_id)
    assert user["onPremisesImmutableId"] == "3q2+7wAAAAAAAAAAAAAAAA=="
    outcome = result(assessment, "privileged.admins_cloud_only")
    assert outcome.status is Status.FAIL
    assert (admin_id, "onPremisesImmutableId") in [(e["id"], e["onPremises"]) for e in outcome.evidence]


async def test_a_group_whose_members_cannot_be_read_makes_the_holder_checks_errors(
    graphsim: GraphSimulator,
) -> None:
    graphsim.set_faults(NORTHWIND, removed_permissions=["Directory.Read.All"])
    try:
        assessment = await assess(graphsim, NORTHWIND)
    finally:
        graphsim.clear_faults(NORTHWIND)
    failure = assessment.snapshot.failures["role_group_members"]
    assert failure.kind == "forbidden" and f"group {NORTHWIND_HELPDESK}" in failure.reason
    for check_id in (
        "privileged.global_admin_count",
        "privileged.admins_cloud_only",
        "privileged.global_admin_least_privilege",
        "privileged.no_guest_admins",
        "privileged.no_app_tenant_takeover_roles",
    ):
        outcome = result(assessment, check_id)
        assert outcome.status is Status.ERROR and "role_group_members" in outcome.summary, check_id
