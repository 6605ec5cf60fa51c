"""PIM role settings (approval and alerts) and whether highly privileged roles are assigned through PIM."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import pim_settings
from core.checks.model import Check, SourceFailure, Status
from core.checks.well_known import EXCHANGE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR
from tests.unit.checks.support import mutated, run, values

POLICIES = "pim_role_policies"
INSTANCES = "role_assignment_instances"
P2_REFUSED = SourceFailure(
    "not_licensed",
    "The tenant needs to have Microsoft Entra ID P2",
    "AadPremiumLicenseRequired",
    "AAD_PREMIUM_P2",
)
SETTINGS_CHECKS = [
    pim_settings.approval_required,
    pim_settings.assignment_alerts,
    pim_settings.activation_alerts,
]


def rule(data: dict[str, Any], role: str, rule_id: str) -> dict[str, Any]:
    assignment = next(a for a in data[POLICIES] if a["roleDefinitionId"] == role)
    return next(r for r in assignment["policy"]["rules"] if r["id"] == rule_id)


def test_approval_required_passes_when_both_roles_need_approval() -> None:
    outcome = run(pim_settings.approval_required)
    assert outcome.status is Status.PASS


def test_approval_required_fails_naming_the_role_that_activates_alone() -> None:
    def no_approval(data: dict[str, Any]) -> None:
        rule(data, PRIVILEGED_ROLE_ADMINISTRATOR, "Approval_EndUser_Assignment")["setting"][
            "isApprovalRequired"
        ] = False

    outcome = run(pim_settings.approval_required, mutated(no_approval))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "Privileged Role Administrator can be activated without approval."
    assert values(outcome.evidence, "isApprovalRequired") == [False]


def test_approval_required_treats_a_missing_approval_rule_as_not_required() -> None:
    def drop(data: dict[str, Any]) -> None:
        assignment = next(a for a in data[POLICIES] if a["roleDefinitionId"] == GLOBAL_ADMINISTRATOR)
        assignment["policy"]["rules"] = [
            r for r in assignment["policy"]["rules"] if r["id"] != "Approval_EndUser_Assignment"
        ]

    outcome = run(pim_settings.approval_required, mutated(drop))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("Global Administrator can be activated")


@pytest.mark.parametrize("check", SETTINGS_CHECKS, ids=lambda c: c.id)
def test_a_role_without_settings_in_the_answer_is_an_error_never_a_pass(check: Check) -> None:
    def without_global_admin(data: dict[str, Any]) -> None:
        data[POLICIES] = [a for a in data[POLICIES] if a["roleDefinitionId"] != GLOBAL_ADMINISTRATOR]

    outcome = run(check, mutated(without_global_admin))
    assert outcome.status is Status.ERROR
    assert "no role settings for Global Administrator" in outcome.summary


@pytest.mark.parametrize("check", SETTINGS_CHECKS, ids=lambda c: c.id)
def test_settings_without_p2_are_not_applicable_and_unreadable_ones_an_error(check: Check) -> None:
    assert run(check, pim_role_policies=P2_REFUSED).status is Status.NOT_APPLICABLE
    refused = SourceFailure("forbidden", "RoleManagementPolicy.Read.Directory missing")
    outcome = run(check, pim_role_policies=refused)
    assert outcome.status is Status.ERROR
    assert "RoleManagementPolicy.Read.Directory missing" in outcome.summary


def test_assignment_alerts_fail_when_eligible_assignments_alert_nobody() -> None:
    def silent(data: dict[str, Any]) -> None:
        rule(data, EXCHANGE_ADMINISTRATOR, "Notification_Admin_Admin_Eligibility")[
            "notificationRecipients"
        ] = []

    outcome = run(pim_settings.assignment_alerts, mutated(silent))
    assert outcome.status is Status.FAIL
    assert (
        outcome.summary
        == "1 highly privileged role can be assigned without alerting anyone: Exchange Administrator."
    )
    assert values(outcome.evidence, "rule") == ["Notification_Admin_Admin_Eligibility"]
    assert run(pim_settings.assignment_alerts).status is Status.PASS


def test_activation_alerts_do_not_count_default_recipients_alone() -> None:
    def defaults_only(data: dict[str, Any]) -> None:
        alert = rule(data, GLOBAL_ADMINISTRATOR, "Notification_Admin_EndUser_Assignment")
        alert.update(notificationRecipients=[], isDefaultRecipientsEnabled=True)

    outcome = run(pim_settings.activation_alerts, mutated(defaults_only))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "role") == ["Global Administrator"]
    assert run(pim_settings.activation_alerts).status is Status.PASS


def test_assignments_through_pim_fail_on_an_instance_without_a_start() -> None:
    def direct(data: dict[str, Any]) -> None:
        data[INSTANCES][0]["startDateTime"] = None

    outcome = run(pim_settings.assignments_through_pim, mutated(direct))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "1 highly privileged role assignment was made outside PIM."
    assert values(outcome.evidence, "userPrincipalName") == ["adele.admin@contoso.com"]
    assert run(pim_settings.assignments_through_pim).status is Status.PASS


def test_assignments_through_pim_ignore_roles_outside_the_highly_privileged_set() -> None:
    def reader(data: dict[str, Any]) -> None:
        data[INSTANCES].append(
            {
                "id": "rai-reader",
                "principalId": "u-alice",
                "roleDefinitionId": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",  # Global Reader
                "directoryScopeId": "/",
                "startDateTime": None,
            }
        )

    assert run(pim_settings.assignments_through_pim, mutated(reader)).status is Status.PASS


def test_assignments_through_pim_without_p2_or_permission() -> None:
    assert run(pim_settings.assignments_through_pim, role_assignment_instances=P2_REFUSED).status is (
        Status.NOT_APPLICABLE
    )
    refused = SourceFailure("forbidden", "RoleManagement.Read.Directory missing")
    assert run(pim_settings.assignments_through_pim, role_assignment_instances=refused).status is Status.ERROR
