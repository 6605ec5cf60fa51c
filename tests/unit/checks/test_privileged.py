"""Privileged access checks over role assignments and PIM schedules."""

from __future__ import annotations

from typing import Any

from core.checks import privileged
from core.checks.model import Status
from core.checks.well_known import GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR, USER_ADMINISTRATOR
from tests.unit.checks.support import BREAK_GLASS, BREAK_GLASS_2, by_id, mutated, run, values

ACTIVE = "role_assignments"


def assign(data: dict[str, Any], role: str, principal_id: str, kind: str = "user", scope: str = "/") -> None:
    user: dict[str, Any] = next((u for u in data["users"] if u["id"] == principal_id), {})
    principal = {
        "@odata.type": f"#microsoft.graph.{kind}",
        "id": principal_id,
        "displayName": user.get("displayName", principal_id),
    }
    if kind == "user":
        principal["userPrincipalName"] = user.get("userPrincipalName")
    data[ACTIVE].append(
        {
            "id": f"ra-{principal_id}-{role[:4]}",
            "principalId": principal_id,
            "roleDefinitionId": role,
            "directoryScopeId": scope,
            "appScopeId": None,
            "principal": principal,
        }
    )


def test_global_admin_count_counts_active_and_eligible_users() -> None:
    outcome = run(privileged.global_admin_count)
    assert outcome.status is Status.PASS
    assert outcome.summary == "3 users hold Global Administrator."
    assert set(values(outcome.evidence, "userPrincipalName")) == {
        "adele.admin@contoso.com",
        "breakglass@contoso.onmicrosoft.com",
        "breakglass2@contoso.onmicrosoft.com",
    }


def test_global_admin_count_fails_above_four_including_eligible_assignments() -> None:
    def five(data: dict[str, Any]) -> None:  # with the two emergency accounts and Adele
        for user_id in ("u-admin2",):
            assign(data, GLOBAL_ADMINISTRATOR, user_id)
        eligible = dict(data["role_eligibility_schedules"][0], roleDefinitionId=GLOBAL_ADMINISTRATOR)
        data["role_eligibility_schedules"].append(eligible)

    outcome = run(privileged.global_admin_count, mutated(five))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("5 users hold Global Administrator (at most four recommended)")
    alice = next(e for e in outcome.evidence if e["id"] == "u-alice")  # type: ignore[index]
    assert alice["assignment"] == ["eligible"]  # type: ignore[index]


def test_global_admin_count_fails_with_a_single_admin_and_notes_missing_pim_data() -> None:
    emergency = (BREAK_GLASS, BREAK_GLASS_2)
    data = mutated(lambda d: d.update({ACTIVE: [a for a in d[ACTIVE] if a["principalId"] not in emergency]}))
    del data["role_eligibility_schedules"]
    outcome = run(privileged.global_admin_count, data)
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "Only 1 user holds Global Administrator (at least two recommended) "
        "(PIM eligible assignments not collected: active assignments only)."
    )


def test_admins_cloud_only_lists_synchronised_admins_but_ignores_scoped_roles() -> None:
    outcome = run(privileged.admins_cloud_only, mutated(lambda d: assign(d, USER_ADMINISTRATOR, "u-bob")))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "userPrincipalName") == ["bob@contoso.com"]
    assert values(outcome.evidence, "roles") == [["User Administrator"]]
    # Bob's administrative-unit scoped Security Administrator role alone does not count
    assert run(privileged.admins_cloud_only).status is Status.PASS


def test_admins_cloud_only_is_manual_when_an_admin_is_missing_from_the_user_list() -> None:
    outcome = run(
        privileged.admins_cloud_only, mutated(lambda d: d["users"].remove(by_id(d["users"], "u-carol")))
    )
    assert outcome.status is Status.MANUAL
    assert values(outcome.evidence, "userPrincipalName") == ["carol@contoso.com"]


def test_no_permanent_active_assignments_lists_users_and_apps_but_not_groups() -> None:
    def permanent(data: dict[str, Any]) -> None:
        schedule = by_id(data["role_assignment_schedules"], "ras-2")
        schedule["roleDefinitionId"] = GLOBAL_ADMINISTRATOR
        schedule["scheduleInfo"]["expiration"] = {
            "type": "noExpiration",
            "endDateTime": None,
            "duration": None,
        }
        group = dict(
            schedule,
            id="ras-g",
            principalId="g-tier0",
            principal={"@odata.type": "#microsoft.graph.group", "id": "g-tier0"},
        )
        data["role_assignment_schedules"].append(group)

    outcome = run(privileged.no_permanent_active_assignments, mutated(permanent))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "1 permanent active assignment to highly privileged roles (1 permanent group assignment not judged)."
    )
    assert values(outcome.evidence, "userPrincipalName") == ["bruno.admin@contoso.com"]
    assert values(outcome.evidence, "roles") == [["Global Administrator"]]


def test_no_permanent_active_assignments_ignores_activations_and_time_bound_assignments() -> None:
    outcome = run(privileged.no_permanent_active_assignments)
    assert outcome.status is Status.PASS


def test_global_admin_least_privilege_fails_when_global_admins_outnumber_the_rest() -> None:
    def more_global_admins(data: dict[str, Any]) -> None:
        for user_id in ("u-admin2", "u-carol"):
            assign(data, GLOBAL_ADMINISTRATOR, user_id)

    outcome = run(privileged.global_admin_least_privilege, mutated(more_global_admins))
    assert outcome.status is Status.FAIL
    assert "5 Global Administrators vs 1 in other highly privileged roles" in outcome.summary
    assert len(outcome.evidence) == 5


def test_no_guest_admins_lists_guests_holding_admin_roles() -> None:
    outcome = run(privileged.no_guest_admins, mutated(lambda d: assign(d, USER_ADMINISTRATOR, "u-guest1")))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "userPrincipalName") == ["dan_fabrikam.com#EXT#@contoso.onmicrosoft.com"]


def test_no_app_tenant_takeover_roles_lists_service_principals() -> None:
    outcome = run(
        privileged.no_app_tenant_takeover_roles,
        mutated(lambda d: assign(d, PRIVILEGED_ROLE_ADMINISTRATOR, "sp-backup", kind="servicePrincipal")),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0]["id"] == "sp-backup"  # type: ignore[index]
    assert outcome.evidence[0]["roles"] == ["Privileged Role Administrator"]  # type: ignore[index]


def permanent_global_admin(data: dict[str, Any], principal_id: str) -> None:
    user = by_id(data["users"], principal_id)
    schedule = dict(by_id(data["role_assignment_schedules"], "ras-2"), id=f"ras-{principal_id}")
    schedule.update(
        roleDefinitionId=GLOBAL_ADMINISTRATOR,
        principalId=principal_id,
        principal={
            "@odata.type": "#microsoft.graph.user",
            "id": principal_id,
            "userPrincipalName": user["userPrincipalName"],
        },
        scheduleInfo={
            "startDateTime": "2025-01-01T00:00:00Z",
            "expiration": {"type": "noExpiration", "endDateTime": None},
        },
    )
    data["role_assignment_schedules"].append(schedule)


def test_no_permanent_active_assignments_accepts_emergency_access_accounts() -> None:
    outcome = run(
        privileged.no_permanent_active_assignments, mutated(lambda d: permanent_global_admin(d, BREAK_GLASS))
    )
    assert outcome.status is Status.PASS
    assert "1 emergency-access assignment accepted" in outcome.summary


def test_no_permanent_active_assignments_lists_break_glass_when_it_cannot_be_recognised() -> None:
    data = mutated(lambda d: permanent_global_admin(d, BREAK_GLASS))
    del data["conditional_access_policies"]
    outcome = run(privileged.no_permanent_active_assignments, data)
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "userPrincipalName") == ["breakglass@contoso.onmicrosoft.com"]
    assert "emergency-access accounts were not recognised" in outcome.summary


def test_an_account_excluded_from_only_some_policies_is_not_treated_as_emergency_access() -> None:
    def partial(data: dict[str, Any]) -> None:
        permanent_global_admin(data, "u-admin2")
        by_id(data["conditional_access_policies"], "ca-01")["conditions"]["users"]["excludeUsers"].append(
            "u-admin2"
        )

    outcome = run(privileged.no_permanent_active_assignments, mutated(partial))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "userPrincipalName") == ["bruno.admin@contoso.com"]
