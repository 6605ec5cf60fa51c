"""Defender for Office 365 / EOP checks: pass on the good tenant (Standard preset for all recipients),
fail on what Microsoft would apply, and never pass what could not be read. The good tenant's pass,
every source's error and licence refusal are covered for every check by test_catalogue.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.checks import defender, defender_atp, defender_filters
from core.checks.licensing import SUBSCRIBED_SKUS
from core.checks.model import Check, SourceFailure, Status
from tests.unit.checks.support import good_data, mutated, run, without_plan

DATA = Callable[[dict[str, Any]], object]
PRESET = "Standard Preset Security Policy1685455563123"


def preset_policy(data: dict[str, Any], source: str) -> dict[str, Any]:
    return next(p for p in data[source] if p["Name"] == PRESET)


def eop_preset_off(data: dict[str, Any]) -> None:
    data["defender_eop_preset_rules"][0]["State"] = "Disabled"


def atp_preset_off(data: dict[str, Any]) -> None:
    data["defender_atp_preset_rules"][0]["State"] = "Disabled"


def custom_for_main_domain(data: dict[str, Any], kind: str, key: str, **settings: Any) -> None:
    policy = {"Name": "Main domain", "Identity": "Main domain", "IsDefault": False, **settings}
    data[f"defender_{kind}_policies"].append(policy)
    data[f"defender_{kind}_rules"] = [
        {
            "Name": "Main domain",
            "State": "Enabled",
            "Priority": 0,
            key: "Main domain",
            "RecipientDomainIs": ["contoso.com"],
        }
    ]


# -- preset policies ---------------------------------------------------------------------------------


def test_preset_policies_pass_when_standard_covers_every_domain() -> None:
    outcome = run(defender.preset_policies)
    assert outcome.status is Status.PASS
    assert "Defender for Office 365" in outcome.summary


def test_preset_policies_fail_when_the_preset_is_off() -> None:
    outcome = run(defender.preset_policies, mutated(eop_preset_off))
    assert outcome.status is Status.FAIL
    assert "Exchange Online Protection: contoso.com" in outcome.summary


def test_preset_policies_fail_for_domains_a_scoped_preset_leaves_out() -> None:
    data = mutated(lambda d: d["defender_atp_preset_rules"][0].update(RecipientDomainIs=["contoso.com"]))
    outcome = run(defender.preset_policies, data)
    assert outcome.status is Status.FAIL
    assert "Defender for Office 365: contoso.onmicrosoft.com" in outcome.summary
    assert "Exchange Online Protection" not in outcome.summary


def test_preset_policies_judge_only_eop_without_a_defender_plan() -> None:
    refused = SourceFailure(
        "not_licensed", "Exchange Online does not know it", "CommandNotFound", "ATP_ENTERPRISE"
    )
    outcome = run(defender.preset_policies, defender_atp_preset_rules=refused)
    assert outcome.status is Status.PASS
    assert "Defender for Office 365" not in outcome.summary


def test_preset_policies_are_an_error_when_the_defender_rule_could_not_be_read() -> None:
    outcome = run(
        defender.preset_policies, defender_atp_preset_rules=SourceFailure("forbidden", "role missing")
    )
    assert outcome.status is Status.ERROR
    assert "role missing" in outcome.summary


# -- anti-phishing -----------------------------------------------------------------------------------


def test_antiphish_fails_on_the_default_policy_once_the_preset_is_off() -> None:
    def change(d: dict[str, Any]) -> None:
        eop_preset_off(d)
        next(p for p in d["defender_antiphish_policies"] if p["IsDefault"]).update(
            EnableSpoofIntelligence=False
        )

    outcome = run(defender.antiphish, mutated(change))
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0]["kind"] == "default"  # type: ignore[index]
    assert {"setting": "EnableSpoofIntelligence", "value": False} in outcome.evidence[0]["gaps"]  # type: ignore[index]


def test_antiphish_passes_naming_the_preset() -> None:
    outcome = run(defender.antiphish)
    assert outcome.status is Status.PASS
    assert "Standard preset" in outcome.summary


def test_impersonation_fails_on_a_weak_custom_policy_for_the_main_domain() -> None:
    data = mutated(atp_preset_off)
    data["defender_antiphish_policies"] = [
        preset_policy(good_data(), "defender_antiphish_policies") | {"Name": "Default", "IsDefault": True}
    ]
    custom_for_main_domain(
        data, "antiphish", "AntiPhishPolicy", PhishThresholdLevel=1, EnableTargetedUserProtection=False
    )
    outcome = run(defender_atp.antiphish_impersonation, data)
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0]["policy"] == "Main domain"  # type: ignore[index]
    assert "default policy (Default) decides" in outcome.summary


@pytest.mark.parametrize(
    "check",
    [
        defender_atp.antiphish_impersonation,
        defender_atp.antiphish_safety_tips,
        defender_atp.safe_links,
        defender_atp.safe_attachments,
        defender_atp.safe_attachments_cloud_apps,
        defender_atp.priority_account_protection,
    ],
)
def test_defender_checks_are_not_applicable_without_a_plan_even_when_data_came_back(check: Check) -> None:
    outcome = run(check, mutated(lambda d: without_plan(d, "ATP_ENTERPRISE")))
    assert outcome.status is Status.NOT_APPLICABLE
    assert outcome.summary.startswith("not licensed") and "Defender for Office 365" in outcome.summary


def test_priority_account_protection_needs_plan_two() -> None:
    plan_one = mutated(lambda d: without_plan(d, "THREAT_INTELLIGENCE"))
    outcome = run(defender_atp.priority_account_protection, plan_one)
    assert outcome.status is Status.NOT_APPLICABLE
    assert "THREAT_INTELLIGENCE" in outcome.summary
    assert run(defender_atp.safe_links, plan_one).status is Status.PASS


def test_plan_two_alone_counts_as_defender() -> None:
    def plan_two(d: dict[str, Any]) -> None:
        without_plan(d, "ATP_ENTERPRISE")
        d[SUBSCRIBED_SKUS][0]["servicePlans"].append(
            {"servicePlanName": "THREAT_INTELLIGENCE", "provisioningStatus": "Success"}
        )

    assert run(defender_atp.safe_links, mutated(plan_two)).status is Status.PASS


def test_impersonation_is_an_error_when_subscriptions_could_not_be_read() -> None:
    outcome = run(
        defender_atp.antiphish_impersonation,
        subscribed_skus=SourceFailure("forbidden", "no Organization.Read.All"),
    )
    assert outcome.status is Status.ERROR


def test_safety_tips_pass_on_the_preset_without_the_first_contact_tip() -> None:
    assert preset_policy(good_data(), "defender_antiphish_policies")["EnableFirstContactSafetyTips"] is False
    outcome = run(defender_atp.antiphish_safety_tips)
    assert outcome.status is Status.PASS and "Standard preset" in outcome.summary


def test_safety_tips_want_the_first_contact_tip_in_a_custom_policy() -> None:
    data = mutated(atp_preset_off)
    tips = dict.fromkeys(defender_atp.TIPS, True)
    custom_for_main_domain(data, "antiphish", "AntiPhishPolicy", EnableFirstContactSafetyTips=False, **tips)
    outcome = run(defender_atp.antiphish_safety_tips, data)
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0]["policy"] == "Main domain"  # type: ignore[index]
    assert {"setting": "EnableFirstContactSafetyTips", "value": False} in outcome.evidence[0]["gaps"]  # type: ignore[index]


# -- anti-spam ---------------------------------------------------------------------------------------


def test_antispam_actions_fail_when_spam_is_only_tagged() -> None:
    data = mutated(lambda d: preset_policy(d, "defender_antispam_policies").update(SpamAction="AddXHeader"))
    outcome = run(defender.antispam_actions, data)
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0]["gaps"] == [{"setting": "SpamAction", "value": "AddXHeader"}]  # type: ignore[index]


def test_antispam_actions_want_phishing_quarantined() -> None:
    data = mutated(
        lambda d: preset_policy(d, "defender_antispam_policies").update(PhishSpamAction="MoveToJmf")
    )
    assert run(defender.antispam_actions, data).status is Status.FAIL


def test_antispam_allowed_senders_fail_on_the_default_when_the_preset_is_off() -> None:
    def change(d: dict[str, Any]) -> None:
        eop_preset_off(d)
        next(p for p in d["defender_antispam_policies"] if p["IsDefault"])["AllowedSenderDomains"] = [
            "gmail.com"
        ]

    outcome = run(defender.antispam_no_allowed_senders, mutated(change))
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0]["gaps"] == [{"setting": "AllowedSenderDomains", "value": ["gmail.com"]}]  # type: ignore[index]


def test_an_allowed_domain_in_a_policy_that_never_applies_does_not_fail() -> None:
    # The preset covers everyone, so the default policy's allow list is never used.
    data = mutated(
        lambda d: next(p for p in d["defender_antispam_policies"] if p["IsDefault"]).update(
            AllowedSenderDomains=["x.com"]
        )
    )
    assert run(defender.antispam_no_allowed_senders, data).status is Status.PASS


# -- filters -----------------------------------------------------------------------------------------


def test_connection_filter_fails_on_an_allowed_ip_or_the_safe_list() -> None:
    data = mutated(
        lambda d: d["defender_connection_filter"][0].update(IPAllowList=["203.0.113.9"], EnableSafeList=True)
    )
    outcome = run(defender_filters.connection_filter, data)
    assert outcome.status is Status.FAIL
    assert len(outcome.evidence[0]["gaps"]) == 2  # type: ignore[index]


def test_connection_filter_is_an_error_when_no_policy_came_back() -> None:
    assert (
        run(
            defender_filters.connection_filter, mutated(lambda d: d.update(defender_connection_filter=[]))
        ).status
        is Status.ERROR
    )


def test_malware_filter_wants_the_click_to_run_types() -> None:
    data = mutated(lambda d: preset_policy(d, "defender_malware_policies").update(FileTypes=["exe", "cmd"]))
    outcome = run(defender_filters.malware_filter, data)
    assert outcome.status is Status.FAIL
    assert {"setting": "FileTypes", "missing": ["vbe"]} in outcome.evidence[0]["gaps"]  # type: ignore[index]


def test_malware_filter_wants_zero_hour_purge() -> None:
    data = mutated(lambda d: preset_policy(d, "defender_malware_policies").update(ZapEnabled=False))
    assert run(defender_filters.malware_filter, data).status is Status.FAIL


def test_malware_admin_notify_wants_an_address() -> None:
    data = mutated(
        lambda d: preset_policy(d, "defender_malware_policies").update(InternalSenderAdminAddress=None)
    )
    assert run(defender_filters.malware_admin_notify, data).status is Status.FAIL


def test_outbound_spam_limits_fail_on_unset_limits_and_alert_only() -> None:
    data = mutated(
        lambda d: d["exo_outbound_spam_policies"][0].update(
            RecipientLimitPerDay=0, ActionWhenThresholdReached="Alert"
        )
    )
    outcome = run(defender_filters.outbound_spam_limits, data)
    assert outcome.status is Status.FAIL
    gaps = {g["setting"] for g in outcome.evidence[0]["gaps"]}  # type: ignore[index]
    assert gaps == {"RecipientLimitPerDay", "ActionWhenThresholdReached"}


def test_outbound_spam_limits_want_someone_notified() -> None:
    data = mutated(lambda d: d["exo_outbound_spam_policies"][1].update(NotifyOutboundSpamRecipients=[]))
    assert run(defender_filters.outbound_spam_limits, data).status is Status.FAIL


# -- Safe Links, Safe Attachments, cloud apps, priority accounts -------------------------------------


def test_safe_links_falls_back_to_built_in_protection_which_allows_click_through() -> None:
    outcome = run(defender_atp.safe_links, mutated(atp_preset_off))
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0]["kind"] == "Built-in protection"  # type: ignore[index]
    assert {"setting": "AllowClickThrough", "value": True} in outcome.evidence[0]["gaps"]  # type: ignore[index]


def test_safe_links_fails_when_teams_is_left_out() -> None:
    data = mutated(
        lambda d: preset_policy(d, "defender_safe_links_policies").update(EnableSafeLinksForTeams=False)
    )
    assert run(defender_atp.safe_links, data).status is Status.FAIL


def test_safe_attachments_built_in_protection_blocks() -> None:
    outcome = run(defender_atp.safe_attachments, mutated(atp_preset_off))
    assert outcome.status is Status.PASS
    assert "Built-in protection" in outcome.summary


def test_safe_attachments_fail_on_a_monitoring_policy() -> None:
    def change(d: dict[str, Any]) -> None:
        custom_for_main_domain(d, "safe_attachment", "SafeAttachmentPolicy", Enable=True, Action="Allow")
        atp_preset_off(d)

    outcome = run(defender_atp.safe_attachments, mutated(change))
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0]["gaps"] == [{"setting": "Action", "value": "Allow"}]  # type: ignore[index]


def test_cloud_apps_and_priority_protection_fail_when_off() -> None:
    data = mutated(
        lambda d: (
            d["defender_atp_o365"][0].update(EnableATPForSPOTeamsODB=False),
            d["defender_email_tenant_settings"][0].update(EnablePriorityAccountProtection=False),
        )
    )
    assert run(defender_atp.safe_attachments_cloud_apps, data).status is Status.FAIL
    assert run(defender_atp.priority_account_protection, data).status is Status.FAIL


def test_cloud_apps_is_an_error_when_nothing_came_back() -> None:
    outcome = run(defender_atp.safe_attachments_cloud_apps, mutated(lambda d: d.update(defender_atp_o365=[])))
    assert outcome.status is Status.ERROR
    assert "Get-AtpPolicyForO365" in outcome.summary


# -- how an unknown Defender cmdlet is read -------------------------------------------------------------


def _unknown(cmdlet: str) -> BaseException:
    from msgraph.generated.models.o_data_errors.main_error import MainError
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    message = (
        f"The term '{cmdlet}' is not recognized as a name of a cmdlet, function, script file, or program."
    )
    error = ODataError(error=MainError(code="BadRequest", message=message))
    error.response_status_code = 400
    return error


def test_an_unknown_defender_cmdlet_is_a_licence_refusal_settled_by_the_subscriptions() -> None:
    from core.checks.model import settle_licence
    from core.collect.failures import classify_exchange
    from core.collect.sources import EXCHANGE_SOURCES

    source = next(s for s in EXCHANGE_SOURCES if s.cmdlet == "Get-SafeLinksPolicy")
    failure = classify_exchange(_unknown(source.cmdlet), source, 3)
    assert (failure.kind, failure.plan) == ("not_licensed", "ATP_ENTERPRISE")
    assert settle_licence(failure, [], None) == failure  # no subscription holds the plan
    licensed = [
        {
            "capabilityStatus": "Enabled",
            "servicePlans": [{"servicePlanName": "ATP_ENTERPRISE", "provisioningStatus": "Success"}],
        }
    ]
    settled = settle_licence(failure, licensed, None)
    assert settled.kind == "unavailable" and "Exchange Online answered" in settled.reason


def test_an_unknown_cmdlet_without_a_plan_is_an_error() -> None:
    from core.collect.failures import classify_exchange
    from core.collect.sources import EXCHANGE_SOURCES

    source = next(s for s in EXCHANGE_SOURCES if s.cmdlet == "Get-AntiPhishPolicy")
    assert classify_exchange(_unknown(source.cmdlet), source, 3).kind == "unavailable"
