"""Conditional Access targeting: excluded roles and guest/external user types mean "not all users"."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import ca_users, identity, identity_risk
from core.checks.model import Check, Status
from core.checks.well_known import GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR
from tests.unit.checks.support import by_id, mutated, run, values

CA = "conditional_access_policies"
# Each check that needs an all-users policy, and the good tenant's policy that satisfies it.
ALL_USERS_CHECKS = [
    pytest.param(identity.legacy_auth_blocked, "ca-02", id="legacy_auth"),
    pytest.param(identity.mfa_all_users, "ca-01", id="mfa_all_users"),
    pytest.param(identity.device_code_flow_blocked, "ca-04", id="device_code"),
    pytest.param(identity_risk.user_risk_policy, "ca-05", id="user_risk"),
    pytest.param(identity_risk.high_risk_users_blocked, "ca-06", id="high_risk_users"),
    pytest.param(identity_risk.signin_risk_policy, "ca-07", id="signin_risk"),
    pytest.param(identity_risk.high_risk_signins_blocked, "ca-08", id="high_risk_signins"),
]
GUESTS = {
    "guestOrExternalUserTypes": "b2bCollaborationGuest,internalGuest",
    "externalTenants": {
        "@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
        "membershipKind": "all",
    },
}


def everywhere(**users: Any) -> Any:
    """Apply the same user-scope change to every policy, so no other policy can stand in."""

    def change(data: dict[str, Any]) -> None:
        for policy in data[CA]:
            policy["conditions"]["users"].update(users)

    return change


def name_of(policy_id: str) -> str:
    return str(by_id(mutated(lambda d: None)[CA], policy_id)["displayName"])


@pytest.mark.parametrize(("check", "policy_id"), ALL_USERS_CHECKS)
def test_a_policy_excluding_a_role_does_not_cover_all_users(check: Check, policy_id: str) -> None:
    outcome = run(check, mutated(everywhere(excludeRoles=[GLOBAL_ADMINISTRATOR])))
    assert outcome.status is Status.FAIL
    assert f"'{name_of(policy_id)}' excludes the Global Administrator role" in outcome.summary
    gaps = dict(zip(values(outcome.evidence, "id"), values(outcome.evidence, "gap"), strict=True))
    assert gaps[policy_id] == "excludes the Global Administrator role"


@pytest.mark.parametrize(("check", "policy_id"), ALL_USERS_CHECKS)
def test_a_policy_excluding_guest_types_does_not_cover_all_users(check: Check, policy_id: str) -> None:
    outcome = run(check, mutated(everywhere(excludeGuestsOrExternalUsers=GUESTS)))
    assert outcome.status is Status.FAIL
    assert (
        f"'{name_of(policy_id)}' excludes guest or external users (b2bCollaborationGuest, internalGuest)"
        in outcome.summary
    )


def test_several_roles_and_guests_are_all_named() -> None:
    outcome = run(
        identity.legacy_auth_blocked,
        mutated(
            everywhere(
                excludeRoles=[GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR],
                excludeGuestsOrExternalUsers=GUESTS,
            )
        ),
    )
    assert outcome.status is Status.FAIL
    assert (
        "excludes the Global Administrator, Privileged Role Administrator roles and guest or external "
        "users (b2bCollaborationGuest, internalGuest)"
    ) in outcome.summary


def test_the_older_guests_value_in_excluded_users_is_a_guest_exclusion() -> None:
    outcome = run(
        identity.mfa_all_users,
        mutated(everywhere(excludeUsers=["b6f1c2a0-0000-4000-8000-0000000000b1", "GuestsOrExternalUsers"])),
    )
    assert outcome.status is Status.FAIL
    assert "'CA01 - Require MFA for all users' excludes all guest and external users" in outcome.summary


def test_guest_types_of_none_exclude_nobody() -> None:
    none = {"guestOrExternalUserTypes": "none", "externalTenants": None}
    outcome = run(identity.mfa_all_users, mutated(everywhere(excludeGuestsOrExternalUsers=none)))
    assert outcome.status is Status.PASS


def test_excluded_users_and_groups_are_still_accepted_and_counted() -> None:
    outcome = run(
        identity.device_code_flow_blocked,
        mutated(everywhere(excludeGroups=["g-break-glass"])),
    )
    assert outcome.status is Status.PASS
    assert "3 user/group exclusions: confirm they are emergency-access accounts" in outcome.summary


def test_an_exclusion_on_a_report_only_policy_is_not_named_as_the_reason() -> None:
    def report_only_with_exclusion(data: dict[str, Any]) -> None:
        policy = by_id(data[CA], "ca-02")
        policy["state"] = "enabledForReportingButNotEnforced"
        policy["conditions"]["users"]["excludeRoles"] = [GLOBAL_ADMINISTRATOR]

    outcome = run(identity.legacy_auth_blocked, mutated(report_only_with_exclusion))
    assert outcome.status is Status.FAIL
    assert "excludes" not in outcome.summary
    assert values(outcome.evidence, "gap") == ["report-only, not enforced"]


def test_guest_exclusions_leave_admin_role_coverage_alone() -> None:
    # Administrators are members, so leaving guests out does not uncover an administrator role.
    outcome = run(identity.mfa_admins, mutated(everywhere(excludeGuestsOrExternalUsers=GUESTS)))
    assert outcome.status is Status.PASS


def test_emergency_accounts_ignore_the_guests_value() -> None:
    policies = mutated(everywhere(excludeUsers=["u-break", "GuestsOrExternalUsers"]))[CA]
    assert ca_users.emergency_access_accounts(policies) == {"u-break"}


def test_the_rationales_say_where_scubagear_judges_differently() -> None:
    for param in ALL_USERS_CHECKS:
        check = param.values[0]
        assert "ScubaGear" in check.metadata.rationale, check.id  # type: ignore[attr-defined]


def test_policies_read_the_same_whatever_the_case_of_keywords_and_ids() -> None:
    def shout(data: dict[str, Any]) -> None:
        for policy in data[CA]:
            users = policy["conditions"]["users"]
            users["includeUsers"] = [str(u).upper() for u in users.get("includeUsers") or []]
            users["includeRoles"] = [str(r).upper() for r in users.get("includeRoles") or []]
            apps = policy["conditions"]["applications"]
            apps["includeApplications"] = [str(a).upper() for a in apps.get("includeApplications") or []]
            grant = policy.get("grantControls") or {}
            grant["builtInControls"] = [str(c).upper() for c in grant.get("builtInControls") or []]

    for check, _ in (p.values for p in ALL_USERS_CHECKS):
        assert run(check, mutated(shout)).status is run(check, mutated(lambda d: None)).status, check
    assert run(identity.mfa_admins, mutated(shout)).status is Status.PASS
