"""Conditional Access in depth: phishing-resistant MFA for everyone, managed devices, security-info
registration, administrator sessions and whether exclusions are sound."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import ca_enrollment, ca_exclusions, ca_session
from core.checks.model import Check, SourceFailure, Status
from core.checks.well_known import GLOBAL_ADMINISTRATOR
from tests.unit.checks.support import BREAK_GLASS, FORBIDDEN, NOT_LICENSED, by_id, mutated, run, values

CA = "conditional_access_policies"
GROUPS = "role_assignable_groups"
CA_CHECKS = [
    pytest.param(ca_session.phishing_resistant_mfa_all, id="phishing_resistant_all"),
    pytest.param(ca_session.managed_device_required, id="managed_device"),
    pytest.param(ca_session.security_info_registration, id="security_info"),
    pytest.param(ca_session.admin_signin_frequency, id="admin_sessions"),
    pytest.param(ca_exclusions.ca_exclusions_sound, id="exclusions"),
    pytest.param(ca_enrollment.intune_enrollment_reauth, id="intune_enrollment"),
]


def policy(data: dict[str, Any], policy_id: str) -> dict[str, Any]:
    return by_id(data[CA], policy_id)


@pytest.mark.parametrize("check", CA_CHECKS)
def test_the_good_tenant_passes_each(check: Check) -> None:
    assert run(check).status is Status.PASS


@pytest.mark.parametrize("check", CA_CHECKS)
def test_unreadable_policies_are_an_error_and_no_licence_not_applicable(check: Check) -> None:
    assert run(check, **{CA: FORBIDDEN}).status is Status.ERROR
    outcome = run(check, **{CA: NOT_LICENSED})
    assert outcome.status is Status.NOT_APPLICABLE
    assert "AAD_PREMIUM" in outcome.summary


# --- phishing-resistant MFA for all users ---------------------------------------------------------------


def test_phishing_resistant_all_passes_on_ca01() -> None:
    outcome = run(ca_session.phishing_resistant_mfa_all)
    assert "CA01 - Require MFA for all users" in outcome.summary
    assert "2 user/group exclusions" in outcome.summary  # the two emergency-access accounts


def test_phishing_resistant_all_fails_with_plain_mfa() -> None:
    def plain(data: dict[str, Any]) -> None:
        policy(data, "ca-01")["grantControls"].update(builtInControls=["mfa"], authenticationStrength=None)

    assert run(ca_session.phishing_resistant_mfa_all, mutated(plain)).status is Status.FAIL


def test_phishing_resistant_all_names_a_report_only_policy() -> None:
    outcome = run(
        ca_session.phishing_resistant_mfa_all,
        mutated(lambda d: policy(d, "ca-01").update(state="enabledForReportingButNotEnforced")),
    )
    assert outcome.status is Status.FAIL
    gaps = dict(zip(values(outcome.evidence, "id"), values(outcome.evidence, "gap"), strict=True))
    assert gaps == {"ca-01": "report-only, not enforced", "ca-03": "does not target all users"}


def test_phishing_resistant_all_rejects_a_role_exclusion() -> None:
    outcome = run(
        ca_session.phishing_resistant_mfa_all,
        mutated(
            lambda d: policy(d, "ca-01")["conditions"]["users"].update(excludeRoles=[GLOBAL_ADMINISTRATOR])
        ),
    )
    assert outcome.status is Status.FAIL
    assert "excludes the Global Administrator role" in outcome.summary


def test_phishing_resistant_all_cannot_judge_a_strength_it_cannot_look_up() -> None:
    def by_reference(data: dict[str, Any]) -> None:
        policy(data, "ca-01")["grantControls"]["authenticationStrength"] = {"id": "5e8a1f2c-custom"}

    failure = SourceFailure("forbidden", "Policy.Read.All missing")
    outcome = run(
        ca_session.phishing_resistant_mfa_all, mutated(by_reference), authentication_strength_policies=failure
    )
    assert outcome.status is Status.ERROR
    assert "authentication_strength_policies" in outcome.summary


# --- managed device -------------------------------------------------------------------------------------


def test_managed_device_fails_when_mfa_is_an_alternative() -> None:
    outcome = run(
        ca_session.managed_device_required,
        mutated(lambda d: policy(d, "ca-11")["grantControls"]["builtInControls"].append("mfa")),
    )
    assert outcome.status is Status.FAIL
    gaps = dict(zip(values(outcome.evidence, "id"), values(outcome.evidence, "gap"), strict=True))
    assert gaps["ca-11"] == "a device that is not managed still gets in (OR with another control)"


def test_managed_device_accepts_mfa_and_a_device_under_and() -> None:
    def both(data: dict[str, Any]) -> None:
        policy(data, "ca-11")["grantControls"].update(
            operator="AND", builtInControls=["mfa", "compliantDevice"]
        )

    assert run(ca_session.managed_device_required, mutated(both)).status is Status.PASS


def test_managed_device_rejects_a_policy_for_some_platforms_only() -> None:
    def windows_only(data: dict[str, Any]) -> None:
        policy(data, "ca-11")["conditions"]["platforms"] = {
            "includePlatforms": ["windows"],
            "excludePlatforms": [],
        }

    outcome = run(ca_session.managed_device_required, mutated(windows_only))
    assert outcome.status is Status.FAIL
    assert "limited by platforms" in values(outcome.evidence, "gap")


def test_managed_device_ignores_the_report_only_pilot() -> None:
    outcome = run(ca_session.managed_device_required, mutated(lambda d: d[CA].remove(policy(d, "ca-11"))))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "id") == ["ca-09", "ca-12"]


# --- security info registration -------------------------------------------------------------------------


def test_security_info_registration_fails_without_a_policy() -> None:
    outcome = run(ca_session.security_info_registration, mutated(lambda d: d[CA].remove(policy(d, "ca-12"))))
    assert outcome.status is Status.FAIL
    assert "0 registration policies fall short" in outcome.summary


def test_security_info_registration_rejects_plain_mfa() -> None:
    def mfa(data: dict[str, Any]) -> None:
        policy(data, "ca-12")["grantControls"]["builtInControls"] = ["mfa"]

    outcome = run(ca_session.security_info_registration, mutated(mfa))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "gap") == [
        "grant does not require a managed device (nor blocks outside trusted locations)"
    ]


def test_security_info_registration_accepts_a_block_outside_trusted_locations() -> None:
    def template(data: dict[str, Any]) -> None:
        registration = policy(data, "ca-12")
        registration["grantControls"]["builtInControls"] = ["block"]
        registration["conditions"]["locations"] = {
            "includeLocations": ["All"],
            "excludeLocations": ["AllTrusted"],
        }

    outcome = run(ca_session.security_info_registration, mutated(template))
    assert outcome.status is Status.PASS
    assert "outside trusted locations" in outcome.summary


def test_security_info_registration_rejects_a_block_with_no_trusted_exception() -> None:
    def locations_only(data: dict[str, Any]) -> None:
        registration = policy(data, "ca-12")
        registration["conditions"]["locations"] = {"includeLocations": ["a1b2"], "excludeLocations": []}

    outcome = run(ca_session.security_info_registration, mutated(locations_only))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "gap") == ["limited by locations"]


def test_security_info_registration_rejects_a_guest_exclusion() -> None:
    def guests(data: dict[str, Any]) -> None:
        policy(data, "ca-12")["conditions"]["users"]["excludeUsers"].append("GuestsOrExternalUsers")

    outcome = run(ca_session.security_info_registration, mutated(guests))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "gap") == ["excludes all guest and external users"]


# --- administrator sessions -----------------------------------------------------------------------------


def test_admin_sessions_fail_when_frequency_is_a_day() -> None:
    def daily(data: dict[str, Any]) -> None:
        policy(data, "ca-13")["sessionControls"]["signInFrequency"].update(value=1, type="days")

    outcome = run(ca_session.admin_signin_frequency, mutated(daily))
    assert outcome.status is Status.FAIL
    assert len(outcome.evidence) == 16
    assert values(outcome.evidence, "gap")[0] == "no sign-in frequency of 4 hours or less"


def test_admin_sessions_accept_every_time() -> None:
    def every_time(data: dict[str, Any]) -> None:
        policy(data, "ca-13")["sessionControls"]["signInFrequency"].update(
            frequencyInterval="everyTime", value=None, type=None
        )

    assert run(ca_session.admin_signin_frequency, mutated(every_time)).status is Status.PASS


def test_admin_sessions_fail_when_browser_sessions_persist() -> None:
    def persistent(data: dict[str, Any]) -> None:
        policy(data, "ca-13")["sessionControls"]["persistentBrowser"]["mode"] = "always"

    outcome = run(ca_session.admin_signin_frequency, mutated(persistent))
    assert outcome.status is Status.FAIL
    assert set(values(outcome.evidence, "gap")) == {"browser sessions may persist"}


def test_admin_sessions_name_an_excluded_role() -> None:
    def exclude(data: dict[str, Any]) -> None:
        policy(data, "ca-13")["conditions"]["users"]["excludeRoles"] = [GLOBAL_ADMINISTRATOR]

    outcome = run(ca_session.admin_signin_frequency, mutated(exclude))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "role") == ["Global Administrator"]


def test_admin_sessions_do_not_count_a_disabled_setting() -> None:
    def off(data: dict[str, Any]) -> None:
        policy(data, "ca-13")["sessionControls"]["signInFrequency"]["isEnabled"] = False

    assert run(ca_session.admin_signin_frequency, mutated(off)).status is Status.FAIL


# --- exclusions -----------------------------------------------------------------------------------------


def test_exclusions_pass_names_the_emergency_accounts() -> None:
    outcome = run(ca_exclusions.ca_exclusions_sound)
    assert "limited to 2 emergency-access accounts" in outcome.summary


def test_exclusions_fail_on_an_ordinary_group() -> None:
    def loose_group(data: dict[str, Any]) -> None:
        policy(data, "ca-02")["conditions"]["users"]["excludeGroups"] = ["g-service-accounts"]

    outcome = run(ca_exclusions.ca_exclusions_sound, mutated(loose_group))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "gap") == [
        "excludes 1 group that is not role-assignable (g-service-accounts)"
    ]


def test_exclusions_accept_a_role_assignable_group() -> None:
    def tier0(data: dict[str, Any]) -> None:
        policy(data, "ca-02")["conditions"]["users"]["excludeGroups"] = ["G-TIER0-BREAKGLASS"]

    assert run(ca_exclusions.ca_exclusions_sound, mutated(tier0)).status is Status.PASS


def test_exclusions_fail_on_roles_and_guests() -> None:
    def both(data: dict[str, Any]) -> None:
        users = policy(data, "ca-04")["conditions"]["users"]
        users.update(
            excludeRoles=[GLOBAL_ADMINISTRATOR],
            excludeGuestsOrExternalUsers={
                "guestOrExternalUserTypes": "b2bCollaborationGuest",
                "externalTenants": {"membershipKind": "all"},
            },
        )

    outcome = run(ca_exclusions.ca_exclusions_sound, mutated(both))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "gap") == [
        "excludes the Global Administrator role and guest or external users (b2bCollaborationGuest)"
    ]


def test_exclusions_fail_on_a_user_left_out_of_one_policy_only() -> None:
    stray = "0f0f0f0f-0000-4000-8000-000000000001"
    outcome = run(
        ca_exclusions.ca_exclusions_sound,
        mutated(lambda d: policy(d, "ca-04")["conditions"]["users"]["excludeUsers"].append(stray)),
    )
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "id") == ["ca-04"]
    assert stray in values(outcome.evidence, "gap")[0]


def test_exclusions_fail_on_too_many_emergency_accounts() -> None:
    extra = [f"0f0f0f0f-0000-4000-8000-00000000000{n}" for n in range(4)]

    def many(data: dict[str, Any]) -> None:
        for item in data[CA]:
            item["conditions"]["users"]["excludeUsers"] = [BREAK_GLASS, *extra]

    outcome = run(ca_exclusions.ca_exclusions_sound, mutated(many))
    assert outcome.status is Status.FAIL
    assert "5 users are excluded from every all-users policy" in values(outcome.evidence, "gap")[0]


def test_exclusions_ignore_disabled_policies() -> None:
    def disabled(data: dict[str, Any]) -> None:
        pilot = policy(data, "ca-09")
        pilot["conditions"]["users"]["excludeRoles"] = [GLOBAL_ADMINISTRATOR]

    assert run(ca_exclusions.ca_exclusions_sound, mutated(disabled)).status is Status.PASS


def test_exclusions_need_the_group_list() -> None:
    outcome = run(ca_exclusions.ca_exclusions_sound, **{GROUPS: FORBIDDEN})
    assert outcome.status is Status.ERROR
    assert GROUPS in outcome.summary


# --- Intune enrollment ----------------------------------------------------------------------------------


def test_intune_enrollment_passes_on_ca14() -> None:
    outcome = run(ca_enrollment.intune_enrollment_reauth)
    assert "CA14 - MFA every time for Intune enrollment" in outcome.summary


def test_intune_enrollment_fails_with_a_periodic_frequency() -> None:
    def hourly(data: dict[str, Any]) -> None:
        policy(data, "ca-14")["sessionControls"]["signInFrequency"].update(
            frequencyInterval="timeBased", value=1, type="hours"
        )

    outcome = run(ca_enrollment.intune_enrollment_reauth, mutated(hourly))
    assert outcome.status is Status.FAIL
    gaps = dict(zip(values(outcome.evidence, "id"), values(outcome.evidence, "gap"), strict=True))
    assert gaps["ca-14"] == "sign-in frequency is not 'Every time'"


def test_intune_enrollment_fails_without_mfa() -> None:
    def device_only(data: dict[str, Any]) -> None:
        policy(data, "ca-14")["grantControls"]["builtInControls"] = ["compliantDevice"]

    outcome = run(ca_enrollment.intune_enrollment_reauth, mutated(device_only))
    assert outcome.status is Status.FAIL
    gaps = dict(zip(values(outcome.evidence, "id"), values(outcome.evidence, "gap"), strict=True))
    assert gaps["ca-14"] == "grant lets users in without MFA (OR with a non-MFA control)"


def test_intune_enrollment_accepts_every_time_for_all_resources() -> None:
    def everything(data: dict[str, Any]) -> None:
        policy(data, "ca-14")["conditions"]["applications"]["includeApplications"] = ["All"]

    assert run(ca_enrollment.intune_enrollment_reauth, mutated(everything)).status is Status.PASS


def test_intune_enrollment_rejects_all_resources_that_exclude_it() -> None:
    def excluded(data: dict[str, Any]) -> None:
        apps = policy(data, "ca-14")["conditions"]["applications"]
        apps.update(includeApplications=["All"], excludeApplications=[ca_enrollment.INTUNE_ENROLLMENT_APP])

    assert run(ca_enrollment.intune_enrollment_reauth, mutated(excluded)).status is Status.FAIL
