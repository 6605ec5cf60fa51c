"""Exchange Online mail flow rules, direct send, sharing, add-ins, storage providers, Customer Lockbox,
shared mailbox sign-in and mailbox auditing (core/checks/exchange_policies.py, exchange_mailboxes.py)."""

from __future__ import annotations

from typing import Any

from core.checks import compliance, exchange_mailboxes, exchange_policies
from core.checks.model import SourceFailure, Status
from tests.unit.checks.support import mutated, run, values

RULES = "exo_transport_rules"
ORG = "exo_organization_config"
FORBIDDEN = SourceFailure("forbidden", "Get-TransportRule: the app needs Exchange.ManageAsApp")


def rule(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in data[RULES] if r["Name"] == name)


# -- exo.transport_rules_safe --------------------------------------------------------------------


def test_transport_rules_safe_passes_internal_copies_and_disabled_allow_rules() -> None:
    outcome = run(exchange_policies.transport_rules_safe)
    assert outcome.status is Status.PASS
    assert outcome.summary == "None of 3 mail flow rules sends mail outside or skips spam filtering."


def test_transport_rules_safe_flags_a_blind_copy_to_an_outside_address() -> None:
    data = mutated(lambda d: rule(d, "Archive copy").update(BlindCopyTo=["drop@evil.example"]))
    outcome = run(exchange_policies.transport_rules_safe, data)
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {
            "rule": "Archive copy",
            "issue": "sends mail outside",
            "targets": ["BlindCopyTo: drop@evil.example"],
        },
    )


def test_transport_rules_safe_flags_an_enabled_spam_bypass_by_sender_domain() -> None:
    data = mutated(lambda d: rule(d, "Old partner allow").update(State="Enabled"))
    outcome = run(exchange_policies.transport_rules_safe, data)
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0]["for"] == ["fabrikam.com"]  # type: ignore[index]


def test_transport_rules_safe_ignores_rules_in_test_mode() -> None:
    def audit_only(d: dict[str, Any]) -> None:
        rule(d, "Old partner allow").update(State="Enabled", Mode="AuditAndNotify")

    assert run(exchange_policies.transport_rules_safe, mutated(audit_only)).status is Status.PASS


def test_transport_rules_safe_is_an_error_when_the_rules_or_domains_are_unreadable() -> None:
    outcome = run(exchange_policies.transport_rules_safe, **{RULES: FORBIDDEN})
    assert outcome.status is Status.ERROR and "Exchange.ManageAsApp" in outcome.summary
    outcome = run(exchange_policies.transport_rules_safe, domains=SourceFailure("unavailable", "HTTP 503"))
    assert outcome.status is Status.ERROR


# -- exo.external_sender_tag_rule ----------------------------------------------------------------


def test_external_sender_tag_rule_passes_on_an_enforced_subject_tag() -> None:
    outcome = run(exchange_policies.external_sender_tag_rule)
    assert outcome.status is Status.PASS
    assert outcome.evidence == ({"rule": "External sender tag", "PrependSubject": "[EXTERNAL] "},)


def test_external_sender_tag_rule_fails_when_the_rule_is_only_audited() -> None:
    data = mutated(lambda d: rule(d, "External sender tag").update(Mode="Audit"))
    outcome = run(exchange_policies.external_sender_tag_rule, data)
    assert outcome.status is Status.FAIL
    assert "disabled or only in test mode" in outcome.summary
    assert values(outcome.evidence, "Mode") == ["Audit"]


def test_external_sender_tag_rule_fails_without_any_rule() -> None:
    outcome = run(exchange_policies.external_sender_tag_rule, mutated(lambda d: d.update({RULES: []})))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "No enforced mail flow rule that tags mail from outside exists."


def test_external_sender_tag_rule_is_an_error_when_rules_are_unreadable() -> None:
    assert run(exchange_policies.external_sender_tag_rule, **{RULES: FORBIDDEN}).status is Status.ERROR


# -- exo.direct_send_rejected and exo.customer_lockbox -------------------------------------------


def test_direct_send_rejected_fails_when_the_setting_is_off_or_absent() -> None:
    outcome = run(exchange_policies.direct_send_rejected, mutated(lambda d: d[ORG].pop("RejectDirectSend")))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"RejectDirectSend": None},)


def test_direct_send_rejected_is_an_error_on_an_empty_answer() -> None:
    outcome = run(exchange_policies.direct_send_rejected, mutated(lambda d: d.update({ORG: []})))
    assert outcome.status is Status.ERROR
    assert run(exchange_policies.direct_send_rejected, **{ORG: FORBIDDEN}).status is Status.ERROR


def test_customer_lockbox_fails_when_off_in_a_licensed_tenant() -> None:
    outcome = run(
        exchange_policies.customer_lockbox, mutated(lambda d: d[ORG].update(CustomerLockBoxEnabled=False))
    )
    assert outcome.status is Status.FAIL


def _drop_lockbox(data: dict[str, Any]) -> None:
    for sku in data["subscribed_skus"]:
        sku["servicePlans"] = [p for p in sku["servicePlans"] if p["servicePlanName"] != "LOCKBOX_ENTERPRISE"]
    data[ORG]["CustomerLockBoxEnabled"] = False


def test_customer_lockbox_is_not_applicable_without_the_plan() -> None:
    outcome = run(exchange_policies.customer_lockbox, mutated(_drop_lockbox))
    assert outcome.status is Status.NOT_APPLICABLE
    assert "LOCKBOX_ENTERPRISE" in outcome.summary


def test_customer_lockbox_is_an_error_when_the_subscriptions_are_unreadable() -> None:
    outcome = run(exchange_policies.customer_lockbox, subscribed_skus=SourceFailure("forbidden", "no"))
    assert outcome.status is Status.ERROR
    assert run(exchange_policies.customer_lockbox, **{ORG: FORBIDDEN}).status is Status.ERROR


# -- exo.calendar_sharing, exo.outlook_addins_restricted, exo.owa_storage_providers_restricted ----


def test_calendar_sharing_fails_on_anonymous_publishing_in_an_enabled_policy() -> None:
    def anonymous(d: dict[str, Any]) -> None:
        d["exo_sharing_policies"][0]["Domains"].append("Anonymous:CalendarSharingFreeBusyReviewer")

    outcome = run(exchange_policies.calendar_sharing, mutated(anonymous))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {"policy": "Default Sharing Policy", "Domains": ["Anonymous:CalendarSharingFreeBusyReviewer"]},
    )


def test_calendar_sharing_fails_when_the_open_policy_is_turned_on() -> None:
    data = mutated(lambda d: d["exo_sharing_policies"][1].update(Enabled=True))
    outcome = run(exchange_policies.calendar_sharing, data)
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "policy") == ["Old open policy"]


def test_calendar_sharing_is_an_error_when_unreadable() -> None:
    outcome = run(exchange_policies.calendar_sharing, exo_sharing_policies=FORBIDDEN)
    assert outcome.status is Status.ERROR


def test_outlook_addins_restricted_lists_the_add_in_roles_granted() -> None:
    def grant(d: dict[str, Any]) -> None:
        d["exo_role_assignment_policies"][0]["AssignedRoles"] += ["My Marketplace Apps", "My Custom Apps"]

    outcome = run(exchange_policies.outlook_addins_restricted, mutated(grant))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {"policy": "Default Role Assignment Policy", "roles": ["My Marketplace Apps", "My Custom Apps"]},
    )
    assert run(
        exchange_policies.outlook_addins_restricted, exo_role_assignment_policies=FORBIDDEN
    ).status is (Status.ERROR)


def test_owa_storage_providers_restricted() -> None:
    data = mutated(
        lambda d: d["exo_owa_mailbox_policies"][0].update(AdditionalStorageProvidersAvailable=True)
    )
    assert run(exchange_policies.owa_storage_providers_restricted, data).status is Status.FAIL
    empty = mutated(lambda d: d.update(exo_owa_mailbox_policies=[]))
    assert run(exchange_policies.owa_storage_providers_restricted, empty).status is Status.ERROR
    unreadable = run(exchange_policies.owa_storage_providers_restricted, exo_owa_mailbox_policies=FORBIDDEN)
    assert unreadable.status is Status.ERROR


# -- exo.shared_mailbox_signin_blocked -----------------------------------------------------------


def _info_account(enabled: bool) -> Any:
    def change(d: dict[str, Any]) -> None:
        d["users"].append(
            {
                "id": "5f0c1d2e-0000-4000-8000-00000000f00d",
                "userPrincipalName": "info@contoso.com",
                "accountEnabled": enabled,
                "userType": "Member",
            }
        )
        d["exo_mailboxes"][2]["ExternalDirectoryObjectId"] = "5F0C1D2E-0000-4000-8000-00000000F00D"

    return change


def test_shared_mailbox_signin_blocked_passes_when_the_account_is_disabled() -> None:
    outcome = run(exchange_mailboxes.shared_mailbox_signin_blocked, mutated(_info_account(False)))
    assert outcome.status is Status.PASS
    assert outcome.summary == "Sign-in is blocked for all 1 shared mailbox."


def test_shared_mailbox_signin_blocked_fails_when_the_account_can_sign_in() -> None:
    outcome = run(exchange_mailboxes.shared_mailbox_signin_blocked, mutated(_info_account(True)))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"mailbox": "info@contoso.com", "userPrincipalName": "info@contoso.com"},)


def test_shared_mailbox_signin_blocked_is_an_error_without_users() -> None:
    outcome = run(
        exchange_mailboxes.shared_mailbox_signin_blocked, users=SourceFailure("forbidden", "User.Read.All")
    )
    assert outcome.status is Status.ERROR


# -- exo.mailbox_audit_actions and exo.mailbox_audit_bypass --------------------------------------


def test_mailbox_audit_actions_lists_what_each_user_mailbox_misses() -> None:
    def defaults(d: dict[str, Any]) -> None:
        owner = d["exo_mailboxes"][0]["AuditOwner"]
        owner.remove("MailboxLogin")
        owner.remove("Create")
        d["exo_mailboxes"][2]["AuditOwner"] = []  # the shared mailbox is not judged here

    outcome = run(exchange_mailboxes.mailbox_audit_actions, mutated(defaults))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "1 user mailbox of 2 does not audit every recommended action."
    assert outcome.evidence == (
        {"mailbox": "adele.admin@contoso.com", "missing": {"AuditOwner": ["Create", "MailboxLogin"]}},
    )
    assert run(exchange_mailboxes.mailbox_audit_actions, exo_mailboxes=FORBIDDEN).status is Status.ERROR


def test_mailbox_audit_actions_judges_each_mailbox_though_many_share_one_set() -> None:
    """Distinct audit sets are worked out once per scan: mailboxes with the same list share the
    answer, a different list gets its own, and a malformed entry still counts for nothing."""

    def shared(d: dict[str, Any]) -> None:
        first, second = d["exo_mailboxes"][0], d["exo_mailboxes"][1]
        second["AuditOwner"] = list(first["AuditOwner"])  # equal lists, not the same object
        first["AuditOwner"].remove("Create")
        second["AuditAdmin"] = [*second["AuditAdmin"], {"not": "an action"}]
        second["AuditAdmin"].remove("Update")

    outcome = run(exchange_mailboxes.mailbox_audit_actions, mutated(shared))
    assert outcome.summary == "2 user mailboxes of 2 do not audit every recommended action."
    assert [e["missing"] for e in outcome.evidence] == [  # type: ignore[index]
        {"AuditOwner": ["Create"]},
        {"AuditAdmin": ["Update"]},
    ]


def test_mailbox_audit_bypass_lists_bypassing_accounts() -> None:
    data = mutated(lambda d: d["exo_mailbox_audit_bypass"][1].update(AuditBypassEnabled="True"))
    outcome = run(exchange_mailboxes.mailbox_audit_bypass, data)
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"account": "Alice Smith", "AuditBypassEnabled": True},)
    assert (
        run(exchange_mailboxes.mailbox_audit_bypass, exo_mailbox_audit_bypass=FORBIDDEN).status
        is Status.ERROR
    )


# -- Security & Compliance: monitoring.alert_policies and monitoring.audit_retention -------------


def _alert(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in data["sc_protection_alerts"] if a["Name"] == name)


def test_alert_policies_pass_when_every_required_alert_is_on_and_notifies() -> None:
    outcome = run(compliance.alert_policies)
    assert outcome.status is Status.PASS
    assert outcome.summary == "All 6 required alert policies are on and notify someone."


def test_alert_policies_list_what_is_off_missing_or_silent() -> None:
    def weaken(d: dict[str, Any]) -> None:
        _alert(d, "Suspicious connector activity")["Disabled"] = True
        _alert(d, "Messages have been delayed")["NotifyUser"] = []
        d["sc_protection_alerts"] = [
            a for a in d["sc_protection_alerts"] if a["Name"] != "Tenant restricted from sending email"
        ]
        d["sc_protection_alerts"].append(
            {"Name": compliance.URL_CLICK_ALERT, "Disabled": "True", "NotifyUser": []}
        )

    outcome = run(compliance.alert_policies, mutated(weaken))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "4 required alert policies of 7 are missing, off or notify nobody."
    assert {(e["alert"], e["issue"]) for e in outcome.evidence} == {  # type: ignore[index]
        ("Suspicious connector activity", "disabled"),
        ("Messages have been delayed", "nobody is notified"),
        ("Tenant restricted from sending email", "missing"),
        (compliance.URL_CLICK_ALERT, "disabled"),
    }


def test_alert_policies_are_an_error_when_the_compliance_endpoint_refused() -> None:
    refused = SourceFailure(
        "forbidden", "Entra refused the app a token for Security & Compliance (AADSTS500014)"
    )
    outcome = run(compliance.alert_policies, sc_protection_alerts=refused)
    assert outcome.status is Status.ERROR and "Security & Compliance" in outcome.summary


def test_audit_retention_passes_on_a_year_long_policy() -> None:
    outcome = run(compliance.audit_retention)
    assert outcome.status is Status.PASS
    assert outcome.evidence == ({"policy": "Keep all audit records", "RetentionDuration": "TwelveMonths"},)


def test_audit_retention_fails_when_records_are_kept_less_than_a_year() -> None:
    def shorten(d: dict[str, Any]) -> None:
        d["sc_audit_retention_policies"][0]["RetentionDuration"] = "SixMonths"

    outcome = run(compliance.audit_retention, mutated(shorten))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "RetentionDuration") == ["SixMonths", "ThreeMonths"]
    disabled = mutated(lambda d: d["sc_audit_retention_policies"][0].update(Enabled=False))
    assert run(compliance.audit_retention, disabled).status is Status.FAIL


def test_audit_retention_is_not_applicable_without_audit_premium() -> None:
    def unlicensed(d: dict[str, Any]) -> None:
        for sku in d["subscribed_skus"]:
            sku["servicePlans"] = [
                p for p in sku["servicePlans"] if p["servicePlanName"] != "M365_ADVANCED_AUDITING"
            ]

    outcome = run(compliance.audit_retention, mutated(unlicensed))
    assert outcome.status is Status.NOT_APPLICABLE and "M365_ADVANCED_AUDITING" in outcome.summary


def test_audit_retention_is_an_error_when_licences_or_policies_are_unreadable() -> None:
    assert (
        run(compliance.audit_retention, subscribed_skus=SourceFailure("forbidden", "no")).status
        is Status.ERROR
    )
    unreadable = run(compliance.audit_retention, sc_audit_retention_policies=FORBIDDEN)
    assert unreadable.status is Status.ERROR


# -- compliance.dlp_policies_enabled -------------------------------------------------------------


def test_dlp_policies_enabled_passes_on_one_enforced_policy() -> None:
    outcome = run(compliance.dlp_policies_enabled)
    assert outcome.status is Status.PASS
    assert outcome.evidence == ({"policy": "U.S. Financial Data", "Mode": "Enable"},)


def test_dlp_policies_enabled_fails_when_every_policy_is_in_test_mode_or_none_exists() -> None:
    data = mutated(lambda d: d["sc_dlp_policies"][0].update(Mode="TestWithoutNotifications"))
    outcome = run(compliance.dlp_policies_enabled, data)
    assert outcome.status is Status.FAIL and "none is enforced" in outcome.summary
    outcome = run(compliance.dlp_policies_enabled, mutated(lambda d: d.update(sc_dlp_policies=[])))
    assert outcome.status is Status.FAIL and "there are none" in outcome.summary


def _plans(names: set[str]) -> Any:
    def keep(d: dict[str, Any]) -> None:
        for sku in d["subscribed_skus"]:
            sku["servicePlans"] = [p for p in sku["servicePlans"] if p["servicePlanName"] not in names]

    return keep


def test_dlp_policies_enabled_is_not_applicable_without_a_dlp_plan() -> None:
    outcome = run(compliance.dlp_policies_enabled, mutated(_plans({"EXCHANGE_S_ENTERPRISE"})))
    assert outcome.status is Status.NOT_APPLICABLE and "BPOS_S_DlpAddOn" in outcome.summary


def test_dlp_policies_enabled_counts_business_premiums_dlp_plan() -> None:
    def business_premium(d: dict[str, Any]) -> None:
        _plans({"EXCHANGE_S_ENTERPRISE"})(d)
        d["subscribed_skus"][0]["servicePlans"].append(
            {"servicePlanName": "BPOS_S_DlpAddOn", "provisioningStatus": "Success"}
        )

    assert run(compliance.dlp_policies_enabled, mutated(business_premium)).status is Status.PASS


def test_dlp_policies_enabled_is_an_error_when_unreadable() -> None:
    assert (
        run(compliance.dlp_policies_enabled, subscribed_skus=SourceFailure("forbidden", "x")).status
        is Status.ERROR
    )
    assert run(compliance.dlp_policies_enabled, sc_dlp_policies=FORBIDDEN).status is Status.ERROR
