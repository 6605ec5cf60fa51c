"""Emergency-access accounts (CIS 1.1.2) and administrators without productivity licences (CIS 1.1.4)."""

from __future__ import annotations

from typing import Any

from core.checks import emergency_access
from core.checks.model import SourceFailure, Status
from tests.unit.checks.support import BREAK_GLASS, BREAK_GLASS_2, NOT_LICENSED, by_id, mutated, run, values

CA = "conditional_access_policies"
METHODS = "admin_auth_methods"
E5 = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
EXCHANGE_PLAN = "efb87545-963c-4e0d-99df-69c6916d9eb0"
SHAREPOINT_PLAN = "5dbe027f-2339-4123-9542-606e4d348a72"
TEAMS_PLAN_ID = "57ff2da0-773e-42df-b2af-ffb7a2317929"  # TEAMS1, in the good tenant's E5


def test_two_ready_emergency_accounts_pass() -> None:
    outcome = run(emergency_access.emergency_access_accounts)
    assert outcome.status is Status.PASS
    assert outcome.summary == "2 emergency-access accounts ready."
    assert set(values(outcome.evidence, "id")) == {BREAK_GLASS, BREAK_GLASS_2}


def test_an_emergency_account_without_a_phishing_resistant_method_does_not_count() -> None:
    def password_only(data: dict[str, Any]) -> None:
        data[METHODS][BREAK_GLASS_2] = data[METHODS][BREAK_GLASS_2][:1]

    outcome = run(emergency_access.emergency_access_accounts, mutated(password_only))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("Only 1 Global Administrator would serve as emergency access")
    second = next(e for e in outcome.evidence if e["id"] == BREAK_GLASS_2)  # type: ignore[index]
    assert second["problems"] == ["no FIDO2 or certificate sign-in method"]  # type: ignore[index]


def test_a_certificate_counts_as_a_strong_method() -> None:
    def certificate(data: dict[str, Any]) -> None:
        data[METHODS][BREAK_GLASS_2][1] = {
            "@odata.type": "#microsoft.graph.x509CertificateAuthenticationMethod"
        }

    assert run(emergency_access.emergency_access_accounts, mutated(certificate)).status is Status.PASS


def test_an_account_conditional_access_reaches_or_a_synced_one_does_not_count() -> None:
    def included(data: dict[str, Any]) -> None:
        data[CA][0]["conditions"]["users"]["excludeUsers"].remove(BREAK_GLASS_2)
        by_id(data["users"], BREAK_GLASS)["onPremisesSyncEnabled"] = True

    outcome = run(emergency_access.emergency_access_accounts, mutated(included))
    assert outcome.status is Status.FAIL
    problems = {e["id"]: e["problems"] for e in outcome.evidence}  # type: ignore[index]
    assert problems[BREAK_GLASS_2] == ["subject to Conditional Access"]
    assert problems[BREAK_GLASS] == ["synchronised from on-premises"]


def test_an_exclusion_through_a_group_is_manual() -> None:
    def by_group(data: dict[str, Any]) -> None:
        users = data[CA][0]["conditions"]["users"]
        users["excludeUsers"].remove(BREAK_GLASS_2)
        users["excludeGroups"] = ["g-break-glass"]

    outcome = run(emergency_access.emergency_access_accounts, mutated(by_group))
    assert outcome.status is Status.MANUAL
    assert "through a group" in outcome.summary


def test_without_conditional_access_licence_there_is_nothing_to_be_excluded_from() -> None:
    outcome = run(emergency_access.emergency_access_accounts, conditional_access_policies=NOT_LICENSED)
    assert outcome.status is Status.PASS
    assert "no Conditional Access licence" in outcome.summary


def test_unreadable_conditional_access_or_methods_are_an_error() -> None:
    refused = SourceFailure("forbidden", "Policy.Read.All missing")
    outcome = run(emergency_access.emergency_access_accounts, conditional_access_policies=refused)
    assert outcome.status is Status.ERROR
    assert "conditional_access_policies" in outcome.summary
    refused = SourceFailure("forbidden", "UserAuthenticationMethod.Read.All missing")
    outcome = run(emergency_access.emergency_access_accounts, admin_auth_methods=refused)
    assert outcome.status is Status.ERROR
    assert "UserAuthenticationMethod.Read.All missing" in outcome.summary


def test_admins_unlicensed_passes_when_only_non_admins_hold_suites() -> None:
    outcome = run(emergency_access.admins_unlicensed)
    assert outcome.status is Status.PASS


def test_admins_unlicensed_fails_on_an_admin_with_a_mailbox_plan() -> None:
    def licensed(data: dict[str, Any]) -> None:
        by_id(data["users"], "u-admin1")["assignedLicenses"] = [{"skuId": E5, "disabledPlans": []}]

    outcome = run(emergency_access.admins_unlicensed, mutated(licensed))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "1 administrator account can use mail, Teams or SharePoint."
    assert values(outcome.evidence, "plans") == [["EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "TEAMS1"]]


def test_admins_unlicensed_counts_only_the_plans_left_on() -> None:
    def trimmed(data: dict[str, Any]) -> None:
        by_id(data["users"], "u-admin1")["assignedLicenses"] = [
            {"skuId": E5, "disabledPlans": [EXCHANGE_PLAN, SHAREPOINT_PLAN, TEAMS_PLAN_ID]}
        ]

    assert run(emergency_access.admins_unlicensed, mutated(trimmed)).status is Status.PASS


def test_admins_unlicensed_is_manual_for_a_licence_not_among_the_subscriptions() -> None:
    def unknown(data: dict[str, Any]) -> None:
        by_id(data["users"], "u-admin1")["assignedLicenses"] = [{"skuId": "0000-gone", "disabledPlans": []}]

    outcome = run(emergency_access.admins_unlicensed, mutated(unknown))
    assert outcome.status is Status.MANUAL
    assert values(outcome.evidence, "unknownSkus") == [["0000-gone"]]


def test_admins_unlicensed_is_an_error_when_subscriptions_are_unreadable() -> None:
    outcome = run(
        emergency_access.admins_unlicensed,
        subscribed_skus=SourceFailure("forbidden", "Organization.Read.All missing"),
    )
    assert outcome.status is Status.ERROR
    assert "subscribed_skus" in outcome.summary
