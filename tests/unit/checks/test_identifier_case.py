"""Identifiers and names are compared without regard to case: a verdict must not turn on how a tenant
(or the tool that wrote a setting) happened to capitalise a GUID, a policy id or a plan name."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import applications, auth_methods, guests, passwords, privileged
from core.checks.model import Status
from core.checks.well_known import GLOBAL_ADMINISTRATOR, GUEST_RESTRICTED, ROLEMANAGEMENT_READWRITE_DIRECTORY
from tests.unit.checks.support import by_id, mutated, run, values


@pytest.mark.parametrize(
    "policy",
    [
        "managePermissionGrantsForSelf.microsoft-user-default-low",  # as Graph documents it
        "ManagePermissionGrantsForSelf.microsoft-user-default-low",
        "MANAGEPERMISSIONGRANTSFORSELF.custom-policy",
    ],
)
def test_user_consent_is_found_whatever_the_case_of_the_grant_policy_id(policy: str) -> None:
    data = mutated(
        lambda d: d["authorization_policy"]["defaultUserRolePermissions"][
            "permissionGrantPoliciesAssigned"
        ].append(policy)
    )
    outcome = run(applications.user_consent_restricted, data)
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"permissionGrantPolicy": policy},)


def test_owner_consent_policies_in_any_case_are_not_user_consent() -> None:
    data = mutated(
        lambda d: d["authorization_policy"]["defaultUserRolePermissions"].update(
            permissionGrantPoliciesAssigned=["managePermissionGrantsForOwnedResource.microsoft-team"]
        )
    )
    assert run(applications.user_consent_restricted, data).status is Status.PASS


def test_role_template_ids_in_upper_case_still_count() -> None:
    def shout(data: dict[str, Any]) -> None:
        for assignment in data["role_assignments"]:
            assignment["roleDefinitionId"] = assignment["roleDefinitionId"].upper()
            assignment["principalId"] = assignment["principalId"].upper()

    outcome = run(privileged.global_admin_count, mutated(shout))
    assert outcome.status is Status.PASS
    assert set(values(outcome.evidence, "userPrincipalName")) == {
        "adele.admin@contoso.com",
        "breakglass@contoso.onmicrosoft.com",
        "breakglass2@contoso.onmicrosoft.com",
    }
    assert {tuple(r) for r in values(outcome.evidence, "roles")} == {("Global Administrator",)}


def test_an_upper_case_admin_id_is_still_found_in_the_user_list() -> None:
    def sync_and_shout(data: dict[str, Any]) -> None:
        by_id(data["users"], "u-admin1")["onPremisesSyncEnabled"] = True
        by_id(data["role_assignments"], "ra-1")["principalId"] = "U-ADMIN1"

    outcome = run(privileged.admins_cloud_only, mutated(sync_and_shout))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "userPrincipalName") == ["adele.admin@contoso.com"]


def test_service_plan_names_match_in_any_case() -> None:
    def lower_plans(data: dict[str, Any]) -> None:
        for sku in data["subscribed_skus"]:
            for plan in sku["servicePlans"]:
                plan["servicePlanName"] = plan["servicePlanName"].lower()

    # With P1 recognised the check is judged (and passes); unrecognised it would be not applicable.
    assert run(passwords.custom_banned_list, mutated(lower_plans)).status is Status.PASS


def test_directory_setting_template_ids_match_in_any_case() -> None:
    def shout(data: dict[str, Any]) -> None:
        setting = by_id(data["directory_settings"], "ds-01")
        setting["templateId"] = setting["templateId"].upper()
        next(v for v in setting["values"] if v["name"] == "LockoutThreshold")["value"] = "50"

    assert run(passwords.smart_lockout_threshold, mutated(shout)).status is Status.FAIL


def test_guest_role_ids_match_in_any_case() -> None:
    data = mutated(lambda d: d["authorization_policy"].update(guestUserRoleId=GUEST_RESTRICTED.upper()))
    assert run(guests.access_restricted, data).status is Status.PASS


def test_authentication_method_ids_match_in_any_case() -> None:
    def lower_ids(data: dict[str, Any]) -> None:
        for method in data["authentication_methods_policy"]["authenticationMethodConfigurations"]:
            method["id"] = method["id"][0].lower() + method["id"][1:]
        by_id(data["authentication_methods_policy"]["authenticationMethodConfigurations"], "sms")["state"] = (
            "enabled"
        )

    data = mutated(lower_ids)
    weak = run(auth_methods.weak_methods_disabled, data)
    assert weak.status is Status.FAIL
    assert values(weak.evidence, "id") == ["sms"]
    assert run(auth_methods.authenticator_context_shown, data).status is Status.PASS


def test_graph_app_role_ids_match_in_any_case() -> None:
    def grant(data: dict[str, Any]) -> None:
        data["graph_app_role_grants"].append(
            {
                "appRoleId": ROLEMANAGEMENT_READWRITE_DIRECTORY.upper(),
                "principalId": "sp-loud",
                "principalDisplayName": "Loud App",
                "principalType": "servicePrincipal",
                "createdDateTime": "2026-01-01T00:00:00Z",
            }
        )

    outcome = run(applications.graph_takeover_permissions, mutated(grant))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "permission") == ["RoleManagement.ReadWrite.Directory"]


def test_role_names_are_found_for_upper_case_template_ids() -> None:
    from core.checks.well_known import role_name

    assert role_name(GLOBAL_ADMINISTRATOR.upper()) == "Global Administrator"


def test_an_emergency_account_is_recognised_whatever_the_case_of_its_id() -> None:
    from tests.unit.checks.support import BREAK_GLASS
    from tests.unit.checks.test_privileged import permanent_global_admin

    def shout(data: dict[str, Any]) -> None:
        permanent_global_admin(data, BREAK_GLASS)
        data["role_assignment_schedules"][-1]["principalId"] = BREAK_GLASS.upper()

    outcome = run(privileged.no_permanent_active_assignments, mutated(shout))
    assert outcome.status is Status.PASS
    assert "1 emergency-access assignment accepted" in outcome.summary
