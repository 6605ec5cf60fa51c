"""Tenant defaults, group owner consent, hybrid password settings, Temporary Access Pass and device
registration."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import auth_hardening, devices, tenant_policies
from core.checks.model import Check, SourceFailure, Status
from tests.unit.checks.support import FORBIDDEN, by_id, mutated, run, values, without_plan

AUTHZ = "authorization_policy"
DEVICES = "device_registration_policy"
SETTINGS = "directory_settings"
BETA = "authentication_methods_policy_beta"
ALL = {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}
CHECKS_AND_SOURCES = [
    pytest.param(tenant_policies.group_owner_consent_off, AUTHZ, id="group_owner_consent"),
    pytest.param(tenant_policies.default_user_permissions, AUTHZ, id="default_user_permissions"),
    pytest.param(tenant_policies.password_hash_sync, "organization", id="password_hash_sync"),
    pytest.param(auth_hardening.temporary_access_pass_one_time, "authentication_methods_policy", id="tap"),
    pytest.param(auth_hardening.report_suspicious_activity, BETA, id="report_suspicious_activity"),
    pytest.param(auth_hardening.onprem_protection_lockout, SETTINGS, id="onprem_protection"),
    pytest.param(devices.device_join_restricted, DEVICES, id="device_join"),
    pytest.param(devices.device_local_admins_limited, DEVICES, id="local_admins"),
    pytest.param(devices.laps_enabled, DEVICES, id="laps"),
]


@pytest.mark.parametrize(("check", "source"), CHECKS_AND_SOURCES)
def test_good_tenant_passes_and_an_unreadable_source_is_an_error(check: Check, source: str) -> None:
    assert run(check).status is Status.PASS
    outcome = run(check, **{source: FORBIDDEN})
    assert outcome.status is Status.ERROR
    assert source in outcome.summary


def hybrid(data: dict[str, Any]) -> None:
    data["organization"][0]["onPremisesSyncEnabled"] = True


def rule_values(data: dict[str, Any]) -> list[dict[str, str]]:
    setting = next(s for s in data[SETTINGS] if s["displayName"] == "Password Rule Settings")
    return list(setting["values"])


def set_rule(data: dict[str, Any], name: str, value: str) -> None:
    by_name = {v["name"]: v for v in rule_values(data)}
    by_name[name]["value"] = value


# --- group owner consent --------------------------------------------------------------------------------


def test_group_owner_consent_fails_on_a_group_policy() -> None:
    grant = "managePermissionGrantsForOwnedResource.microsoft-all-application-permissions-for-group"
    outcome = run(
        tenant_policies.group_owner_consent_off,
        mutated(
            lambda d: d[AUTHZ]["defaultUserRolePermissions"]["permissionGrantPoliciesAssigned"].append(grant)
        ),
    )
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "permissionGrantPolicy") == [grant]


def test_group_owner_consent_keeps_teams_rsc_and_user_consent_apart() -> None:
    def others(data: dict[str, Any]) -> None:
        data[AUTHZ]["defaultUserRolePermissions"]["permissionGrantPoliciesAssigned"] = [
            "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-chat",
            "managePermissionGrantsForSelf.microsoft-user-default-low",
        ]

    assert run(tenant_policies.group_owner_consent_off, mutated(others)).status is Status.PASS


# --- default user permissions ---------------------------------------------------------------------------


def test_default_user_permissions_list_every_allowance() -> None:
    def loose(data: dict[str, Any]) -> None:
        data[AUTHZ]["allowedToSignUpEmailBasedSubscriptions"] = True
        data[AUTHZ]["defaultUserRolePermissions"]["allowedToReadBitlockerKeysForOwnedDevice"] = True

    outcome = run(tenant_policies.default_user_permissions, mutated(loose))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "setting") == [
        "defaultUserRolePermissions.allowedToReadBitlockerKeysForOwnedDevice",
        "allowedToSignUpEmailBasedSubscriptions",
    ]


def test_default_user_permissions_treat_a_missing_value_as_allowed() -> None:
    outcome = run(
        tenant_policies.default_user_permissions,
        mutated(lambda d: d[AUTHZ]["defaultUserRolePermissions"].pop("allowedToCreateSecurityGroups")),
    )
    assert outcome.status is Status.FAIL
    assert "create security groups" in outcome.summary


# --- password hash sync ---------------------------------------------------------------------------------


def test_password_hash_sync_passes_a_cloud_only_tenant() -> None:
    outcome = run(tenant_policies.password_hash_sync)
    assert "cloud-only" in outcome.summary


def test_password_hash_sync_asks_a_person_in_a_hybrid_tenant() -> None:
    outcome = run(tenant_policies.password_hash_sync, mutated(hybrid))
    assert outcome.status is Status.MANUAL
    assert "cannot be read with application permissions" in outcome.summary


def test_password_hash_sync_never_passes_an_empty_organization() -> None:
    outcome = run(tenant_policies.password_hash_sync, mutated(lambda d: d.update(organization=[])))
    assert outcome.status is Status.MANUAL


# --- Temporary Access Pass ------------------------------------------------------------------------------


def tap(data: dict[str, Any]) -> dict[str, Any]:
    return by_id(
        data["authentication_methods_policy"]["authenticationMethodConfigurations"], "TemporaryAccessPass"
    )


def test_tap_fails_when_reusable() -> None:
    outcome = run(
        auth_hardening.temporary_access_pass_one_time, mutated(lambda d: tap(d).update(isUsableOnce=False))
    )
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "value") == [False]


def test_tap_passes_when_disabled() -> None:
    def off(data: dict[str, Any]) -> None:
        tap(data).update(state="disabled", isUsableOnce=False)

    outcome = run(auth_hardening.temporary_access_pass_one_time, mutated(off))
    assert outcome.status is Status.PASS
    assert "not enabled" in outcome.summary


# --- report suspicious activity ------------------------------------------------------------------------


def report(data: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = data[BETA]["reportSuspiciousActivitySettings"]
    return settings


def test_report_suspicious_activity_fails_when_microsoft_managed() -> None:
    outcome = run(
        auth_hardening.report_suspicious_activity, mutated(lambda d: report(d).update(state="default"))
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary == "Report suspicious activity is off."


def test_report_suspicious_activity_fails_for_a_pilot_group() -> None:
    def pilot(data: dict[str, Any]) -> None:
        report(data)["includeTarget"] = {"targetType": "group", "id": "g-pilot"}

    outcome = run(auth_hardening.report_suspicious_activity, mutated(pilot))
    assert outcome.status is Status.FAIL
    assert "covers only group g-pilot" in outcome.summary


# --- on-premises password protection and lockout --------------------------------------------------------


def test_onprem_protection_fails_a_hybrid_tenant_in_audit_mode() -> None:
    def audit(data: dict[str, Any]) -> None:
        hybrid(data)
        set_rule(data, "EnableBannedPasswordCheckOnPremises", "True")
        set_rule(data, "BannedPasswordCheckOnPremisesMode", "Audit")

    outcome = run(auth_hardening.onprem_protection_lockout, mutated(audit))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "BannedPasswordCheckOnPremisesMode") == ["Audit"]


def test_onprem_protection_passes_a_hybrid_tenant_that_enforces() -> None:
    def enforce(data: dict[str, Any]) -> None:
        hybrid(data)
        set_rule(data, "EnableBannedPasswordCheckOnPremises", "True")

    outcome = run(auth_hardening.onprem_protection_lockout, mutated(enforce))
    assert outcome.status is Status.PASS
    assert "On-premises password protection is enforced" in outcome.summary


def test_onprem_protection_fails_a_short_lockout_even_when_cloud_only() -> None:
    outcome = run(
        auth_hardening.onprem_protection_lockout,
        mutated(lambda d: set_rule(d, "LockoutDurationInSeconds", "30")),
    )
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "LockoutDurationInSeconds") == ["30"]


def test_onprem_protection_fails_a_hybrid_tenant_that_never_configured_it() -> None:
    def unconfigured(data: dict[str, Any]) -> None:
        hybrid(data)
        data[SETTINGS] = [s for s in data[SETTINGS] if s["displayName"] != "Password Rule Settings"]

    assert run(auth_hardening.onprem_protection_lockout, mutated(unconfigured)).status is Status.FAIL


def test_onprem_protection_is_not_applicable_to_a_hybrid_tenant_without_p1() -> None:
    def no_p1(data: dict[str, Any]) -> None:
        hybrid(data)
        without_plan(data, "AAD_PREMIUM")

    assert run(auth_hardening.onprem_protection_lockout, mutated(no_p1)).status is Status.NOT_APPLICABLE


def test_onprem_protection_needs_the_organization() -> None:
    failure = SourceFailure("forbidden", "Organization.Read.All missing")
    outcome = run(auth_hardening.onprem_protection_lockout, organization=failure)
    assert outcome.status is Status.ERROR


# --- device registration --------------------------------------------------------------------------------


def join(data: dict[str, Any]) -> dict[str, Any]:
    joined: dict[str, Any] = data[DEVICES]["azureADJoin"]
    return joined


def test_device_join_fails_when_everyone_may_join() -> None:
    outcome = run(devices.device_join_restricted, mutated(lambda d: join(d).update(allowedToJoin=ALL)))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "membership") == ["all"]


def test_device_join_does_not_trust_an_unknown_membership() -> None:
    outcome = run(devices.device_join_restricted, mutated(lambda d: join(d).update(allowedToJoin={})))
    assert outcome.status is Status.FAIL
    assert "not recognised" in outcome.summary


def test_local_admins_fail_on_global_admins_and_registering_users() -> None:
    def defaults(data: dict[str, Any]) -> None:
        join(data)["localAdmins"] = {"enableGlobalAdmins": True, "registeringUsers": ALL}

    outcome = run(devices.device_local_admins_limited, mutated(defaults))
    assert outcome.status is Status.FAIL
    assert "Global Administrators and the registering user" in outcome.summary
    assert len(outcome.evidence) == 2


def test_local_admins_accept_selected_registering_users() -> None:
    def selected(data: dict[str, Any]) -> None:
        join(data)["localAdmins"]["registeringUsers"] = {
            "@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership",
            "users": [],
            "groups": ["g-desktop-support"],
        }

    assert run(devices.device_local_admins_limited, mutated(selected)).status is Status.PASS


def test_laps_fails_when_off() -> None:
    outcome = run(
        devices.laps_enabled, mutated(lambda d: d[DEVICES]["localAdminPassword"].update(isEnabled=False))
    )
    assert outcome.status is Status.FAIL
