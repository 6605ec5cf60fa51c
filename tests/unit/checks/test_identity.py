"""Security defaults / Conditional Access checks: MFA, legacy auth, device code, phishing-resistant MFA."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import identity
from core.checks.model import Status
from core.checks.well_known import GLOBAL_ADMINISTRATOR, GLOBAL_READER
from tests.unit.checks.support import FORBIDDEN, NOT_LICENSED, by_id, mutated, run, values

CA = "conditional_access_policies"
SD_CHECKS = [
    identity.mfa_baseline_present,
    identity.legacy_auth_blocked,
    identity.mfa_all_users,
    identity.mfa_admins,
]


def policy(data: dict[str, Any], policy_id: str) -> dict[str, Any]:
    return by_id(data[CA], policy_id)


def security_defaults_on(data: dict[str, Any]) -> None:
    data["security_defaults"]["isEnabled"] = True
    data[CA] = []


@pytest.mark.parametrize("check", SD_CHECKS, ids=lambda c: c.id)
def test_security_defaults_satisfy_the_baseline_checks(check: Any) -> None:
    outcome = run(check, mutated(security_defaults_on))
    assert outcome.status is Status.PASS
    assert "Security defaults are enabled" in outcome.summary


@pytest.mark.parametrize("check", SD_CHECKS, ids=lambda c: c.id)
def test_no_security_defaults_and_no_conditional_access_licence_fails(check: Any) -> None:
    outcome = run(check, **{CA: NOT_LICENSED})
    assert outcome.status is Status.FAIL
    assert "no Conditional Access licence" in outcome.summary


@pytest.mark.parametrize("check", SD_CHECKS, ids=lambda c: c.id)
def test_unreadable_conditional_access_is_an_error_not_a_pass(check: Any) -> None:
    outcome = run(check, **{CA: FORBIDDEN})
    assert outcome.status is Status.ERROR
    assert "conditional_access_policies" in outcome.summary
    assert "Policy.Read.All missing" in outcome.summary


def test_mfa_baseline_present_fails_when_every_policy_is_report_only_or_off() -> None:
    def only_report_only(data: dict[str, Any]) -> None:
        for item in data[CA]:
            item["state"] = "enabledForReportingButNotEnforced"
        data[CA][0]["state"] = "disabled"

    outcome = run(identity.mfa_baseline_present, mutated(only_report_only))
    assert outcome.status is Status.FAIL
    assert "none of 13 Conditional Access policies is enabled (12 report-only)" in outcome.summary
    assert values(outcome.evidence, "id")[0] == "ca-01"


def test_legacy_auth_pass_names_the_policy_and_its_exclusions() -> None:
    outcome = run(identity.legacy_auth_blocked)
    assert "CA02 - Block legacy authentication" in outcome.summary
    assert "2 user/group exclusions" in outcome.summary


@pytest.mark.parametrize(
    ("change", "gap"),
    [
        (lambda p: p.update(state="enabledForReportingButNotEnforced"), "report-only, not enforced"),
        (
            lambda p: p["conditions"].update(clientAppTypes=["exchangeActiveSync"]),
            "does not cover legacy clients",
        ),
        (lambda p: p["conditions"]["users"].update(includeUsers=["u-alice"]), "does not target all users"),
        (
            lambda p: p["conditions"]["applications"].update(excludeApplications=["app-x"]),
            "does not target all",
        ),
        (
            lambda p: p["conditions"].update(
                locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}
            ),
            "limited by locations",
        ),
    ],
    ids=["report-only", "eas-only", "some-users", "excluded-app", "trusted-locations"],
)
def test_legacy_auth_blocked_fails_for_each_gap(change: Any, gap: str) -> None:
    outcome = run(identity.legacy_auth_blocked, mutated(lambda d: change(policy(d, "ca-02"))))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "id") == ["ca-02"]
    assert values(outcome.evidence, "gap")[0].startswith(gap)


def test_mfa_all_users_fails_when_the_grant_offers_a_non_mfa_alternative() -> None:
    def or_compliant_device(data: dict[str, Any]) -> None:
        policy(data, "ca-01")["grantControls"]["builtInControls"] = ["mfa", "compliantDevice"]

    outcome = run(identity.mfa_all_users, mutated(or_compliant_device))
    assert outcome.status is Status.FAIL
    assert "No enabled Conditional Access policy requires MFA" in outcome.summary
    assert outcome.evidence[0] == {
        "id": "ca-01",
        "displayName": "CA01 - Require MFA for all users",
        "state": "enabled",
        "gap": identity.MFA_OPTIONAL,
    }
    # the admin and Intune enrollment policies ask for MFA too, but only for roles or one app;
    # risk-based MFA policies are not listed
    assert values(outcome.evidence, "id") == ["ca-01", "ca-03", "ca-14"]
    assert values(outcome.evidence, "gap")[1] == "does not target all users"


def test_mfa_all_users_accepts_and_with_other_controls() -> None:
    def and_device(data: dict[str, Any]) -> None:
        grant = policy(data, "ca-01")["grantControls"]
        grant.update(builtInControls=["mfa", "compliantDevice"], operator="AND")

    assert run(identity.mfa_all_users, mutated(and_device)).status is Status.PASS


def test_mfa_all_users_fails_when_only_browsers_are_covered() -> None:
    outcome = run(
        identity.mfa_all_users,
        mutated(lambda d: policy(d, "ca-01")["conditions"].update(clientAppTypes=["browser"])),
    )
    assert outcome.status is Status.FAIL
    assert {"id": "ca-01", "displayName": "CA01 - Require MFA for all users", "state": "enabled"}.items() <= (
        outcome.evidence[0].items()  # type: ignore[union-attr]
    )


def test_mfa_admins_lists_roles_excluded_from_every_mfa_policy() -> None:
    def exclude_global_admins(data: dict[str, Any]) -> None:
        for item in data[CA]:
            item["conditions"]["users"]["excludeRoles"] = [GLOBAL_ADMINISTRATOR, GLOBAL_READER]

    outcome = run(identity.mfa_admins, mutated(exclude_global_admins))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "role") == ["Global Administrator", "Global Reader"]
    assert outcome.summary.startswith("2 administrator roles of 16")


def test_mfa_admins_is_met_by_an_all_users_mfa_policy_alone() -> None:
    outcome = run(identity.mfa_admins, mutated(lambda d: d[CA].remove(policy(d, "ca-03"))))
    assert outcome.status is Status.PASS


def plain_mfa_for_all_users(data: dict[str, Any]) -> None:
    """CA01 asks all users for phishing-resistant MFA, which covers administrators too; make it plain
    MFA so that CA03 alone decides the administrator checks."""
    grant = policy(data, "ca-01")["grantControls"]
    grant.update(builtInControls=["mfa"], authenticationStrength=None)


def test_phishing_resistant_mfa_admins_fails_with_plain_mfa_as_an_alternative() -> None:
    def add_mfa(data: dict[str, Any]) -> None:
        plain_mfa_for_all_users(data)
        policy(data, "ca-03")["grantControls"]["builtInControls"] = ["mfa"]

    outcome = run(identity.phishing_resistant_mfa_admins, mutated(add_mfa))
    assert outcome.status is Status.FAIL
    assert len(outcome.evidence) == 16
    assert "Global Administrator" in values(outcome.evidence, "role")


def test_phishing_resistant_mfa_admins_accepts_a_custom_strength_of_phishing_resistant_methods() -> None:
    def custom(data: dict[str, Any]) -> None:
        policy(data, "ca-03")["grantControls"]["authenticationStrength"] = {
            "id": "5e8a1f2c-custom",
            "displayName": "Admins: passkeys only",
            "policyType": "custom",
            "allowedCombinations": ["fido2"],
        }

    assert run(identity.phishing_resistant_mfa_admins, mutated(custom)).status is Status.PASS


def test_phishing_resistant_mfa_admins_rejects_a_weaker_custom_strength() -> None:
    def weak(data: dict[str, Any]) -> None:
        plain_mfa_for_all_users(data)
        policy(data, "ca-03")["grantControls"]["authenticationStrength"] = {
            "id": "5e8a1f2c-custom",
            "displayName": "Admins: anything MFA",
            "policyType": "custom",
            "allowedCombinations": ["fido2", "password,sms"],
        }

    outcome = run(identity.phishing_resistant_mfa_admins, mutated(weak))
    assert outcome.status is Status.FAIL


def test_device_code_flow_blocked_fails_for_a_report_only_policy() -> None:
    outcome = run(
        identity.device_code_flow_blocked,
        mutated(lambda d: policy(d, "ca-04").update(state="enabledForReportingButNotEnforced")),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {
            "id": "ca-04",
            "displayName": "CA04 - Block device code flow",
            "state": "enabledForReportingButNotEnforced",
            "gap": "report-only, not enforced",
        },
    )


def test_device_code_flow_blocked_understands_combined_transfer_methods() -> None:
    def combined(data: dict[str, Any]) -> None:
        policy(data, "ca-04")["conditions"]["authenticationFlows"]["transferMethods"] = (
            "deviceCodeFlow,authenticationTransfer"
        )

    assert run(identity.device_code_flow_blocked, mutated(combined)).status is Status.PASS


def test_device_code_flow_blocked_fails_without_any_policy() -> None:
    outcome = run(identity.device_code_flow_blocked, mutated(lambda d: d[CA].remove(policy(d, "ca-04"))))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ()
