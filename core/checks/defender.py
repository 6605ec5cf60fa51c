"""Exchange Online Protection threat policies every tenant has: preset policies, anti-phishing basics
and inbound anti-spam. Each check judges the policies Microsoft actually applies (Strict preset, then
Standard, then custom rules by priority, then the default: core/checks/defender_policies.py) and names
in its evidence the policy that decided. Defender for Office 365 (Plan 1) checks are in defender_atp.py.

Shapes (PowerShell property names through the Exchange admin API, learn.microsoft.com/powershell/
module/exchange/): Get-AcceptedDomain {DomainName}; Get-EOPProtectionPolicyRule / Get-ATPProtectionPolicyRule
{Identity, State, SentTo, SentToMemberOf, RecipientDomainIs, ExceptIf*}; Get-AntiPhishPolicy {Name,
IsDefault, Enabled, EnableSpoofIntelligence, EnableUnauthenticatedSender, EnableViaTag,
EnableFirstContactSafetyTips, HonorDmarcPolicy, AuthenticationFailAction}; Get-HostedContentFilterPolicy
{Name, IsDefault, RecommendedPolicyType, SpamAction, HighConfidenceSpamAction, PhishSpamAction,
HighConfidencePhishAction, AllowedSenderDomains, AllowedSenders}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.defender_policies import (
    ACCEPTED_DOMAINS,
    ATP_PRESETS,
    CATEGORY,
    EOP_PRESETS,
    THREAT_POLICIES,
    accepted_domain_names,
    empty,
    judge,
    one_of,
    optional_rows,
    resolution,
    rule_scope,
    setting_gaps,
)
from core.checks.helpers import check, has_service_plan, is_true, metadata, objects, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.collect.sources import DEFENDER_P1

ANTIPHISH = ("defender_antiphish_policies", "defender_antiphish_rules")
ANTISPAM = ("defender_antispam_policies", "defender_antispam_rules")
PRESET_DOCS = "https://learn.microsoft.com/en-us/defender-office-365/preset-security-policies"
ANTISPAM_DOCS = "https://learn.microsoft.com/en-us/defender-office-365/anti-spam-policies-configure"
ANTIPHISH_DOCS = "https://learn.microsoft.com/en-us/defender-office-365/anti-phishing-policies-eop-configure"
NOT_DELIVERED = ("MoveToJmf", "Quarantine", "Redirect", "Delete")


def _preset_coverage(
    rules: list[Mapping[str, Any]], accepted: frozenset[str]
) -> tuple[set[str], list[dict[str, Any]]]:
    """Accepted domains every recipient of which an enabled Standard or Strict preset rule covers."""
    covered: set[str] = set()
    shown: list[dict[str, Any]] = []
    for rule in rules:
        name = str(rule.get("Identity") or rule.get("Name"))
        if "preset security policy" not in name.lower():
            continue
        scope = rule_scope(rule, accepted)
        enabled = str(rule.get("State") or "").lower() == "enabled"
        if enabled:
            covered |= scope.domains
        shown.append({"rule": name, "State": rule.get("State"), "appliesTo": scope.described})
    return covered, shown


@check(
    metadata(
        id="defender.preset_policies",
        title="Standard or Strict preset security policies protect every accepted domain",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(ACCEPTED_DOMAINS, EOP_PRESETS),
        rationale=(
            "The Standard and Strict preset security policies carry Microsoft's recommended anti-spam, "
            "anti-malware and anti-phishing settings (and, with Defender for Office 365, Safe Links and "
            "Safe Attachments) and are updated as threats change. Applying one to every recipient keeps "
            "custom or default policies, which drift, from deciding anyone's protection."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Preset security policies.",
            "Under Standard protection (or Strict protection) select Manage protection settings; apply "
            "Exchange Online Protection and, where licensed, Defender for Office 365 protections to All "
            "recipients, and Confirm.",
            "In PowerShell: Enable-EOPProtectionPolicyRule -Identity 'Standard Preset Security Policy' and "
            "Enable-ATPProtectionPolicyRule -Identity 'Standard Preset Security Policy'; remove recipient "
            "conditions with Set-EOPProtectionPolicyRule -Identity 'Standard Preset Security Policy' "
            "-SentTo $null -SentToMemberOf $null -RecipientDomainIs $null.",
        ),
        references=(PRESET_DOCS,),
    )
)
def preset_policies(snapshot: TenantSnapshot) -> Outcome:
    accepted = accepted_domain_names(objects(snapshot.get(ACCEPTED_DOMAINS)))
    eop_covered, evidence = _preset_coverage(objects(snapshot.get(EOP_PRESETS)), accepted)
    gaps = {f"Exchange Online Protection: {d}" for d in accepted - eop_covered}
    atp = optional_rows(snapshot, ATP_PRESETS)
    licensed = has_service_plan(snapshot, DEFENDER_P1) is not False and atp is not None
    if licensed and atp is not None:
        atp_covered, atp_shown = _preset_coverage(atp, accepted)
        gaps |= {f"Defender for Office 365: {d}" for d in accepted - atp_covered}
        evidence += atp_shown
    scope = (
        "Exchange Online Protection and Defender for Office 365" if licensed else "Exchange Online Protection"
    )
    if not accepted:
        return failed("No accepted domains were returned, so preset coverage cannot be shown.", evidence)
    if not gaps:
        return passed(f"A Standard or Strict preset covers every accepted domain for {scope}.", evidence)
    return failed(
        f"Preset security policies leave {len(gaps)} domain protection(s) to custom or default policies: "
        f"{'; '.join(sorted(gaps))}.",
        evidence,
    )


EOP_ANTIPHISH = {
    "Enabled": is_true,
    "EnableSpoofIntelligence": is_true,
    "EnableUnauthenticatedSender": is_true,
    "EnableViaTag": is_true,
    "HonorDmarcPolicy": is_true,
    "AuthenticationFailAction": one_of("Quarantine", "MoveToJmf"),
}


def _antiphish_gaps(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    wanted = dict(EOP_ANTIPHISH)
    if is_true(policy.get("IsDefault")):
        wanted.pop("Enabled")  # the default policy is always on; its Enabled flag is not reported
    return setting_gaps(policy, wanted)


@check(
    metadata(
        id="defender.antiphish",
        title="Anti-phishing policies act on spoofing and show safety tips",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ACCEPTED_DOMAINS, EOP_PRESETS, *ANTIPHISH),
        rationale=(
            "Spoof intelligence, honouring the sender's DMARC policy and the unauthenticated-sender and "
            "via tags are Exchange Online Protection's own defences against forged senders. "
            "Every anti-phishing policy that applies to someone must keep them on and quarantine or junk "
            "spoofed mail, or those recipients read forged mail as genuine."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Anti-phishing; open each listed policy (start with the one that decides).",
            "Spoofing: turn on spoof intelligence, 'Honor DMARC record policy', 'Show (?) for "
            "unauthenticated senders' and 'Show via tag'; set 'If the message is detected as spoof' to "
            "Move to Junk Email or Quarantine.",
            "In PowerShell: Set-AntiPhishPolicy -Identity <policy> -EnableSpoofIntelligence $true "
            "-HonorDmarcPolicy $true -EnableUnauthenticatedSender $true "
            "-EnableViaTag $true -AuthenticationFailAction Quarantine.",
        ),
        references=(ANTIPHISH_DOCS,),
    )
)
def antiphish(snapshot: TenantSnapshot) -> Outcome:
    found = resolution(snapshot, *ANTIPHISH, EOP_PRESETS, policy_key="AntiPhishPolicy")
    return judge(found, _antiphish_gaps, what="anti-phishing")


def _spam_gaps(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    return setting_gaps(
        policy,
        {
            "SpamAction": one_of(*NOT_DELIVERED),
            "HighConfidenceSpamAction": one_of(*NOT_DELIVERED),
            "PhishSpamAction": one_of("Quarantine", "Delete", "Redirect"),
            "HighConfidencePhishAction": one_of("Quarantine", "Delete", "Redirect"),
        },
    )


@check(
    metadata(
        id="defender.antispam_actions",
        title="Spam goes to junk or quarantine and phishing to quarantine",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ACCEPTED_DOMAINS, EOP_PRESETS, *ANTISPAM),
        rationale=(
            "An inbound anti-spam policy whose action for spam or phishing is to add a header or an X-tag "
            "still delivers the message to the inbox, where users act on it. Spam belongs in Junk Email "
            "or quarantine; phishing and high-confidence phishing belong in quarantine."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Anti-spam; open each listed inbound policy > Actions.",
            "Spam and High confidence spam: Move message to Junk Email folder (or Quarantine message); "
            "Phishing and High confidence phishing: Quarantine message. Save.",
            "In PowerShell: Set-HostedContentFilterPolicy -Identity <policy> -SpamAction MoveToJmf "
            "-HighConfidenceSpamAction Quarantine -PhishSpamAction Quarantine -HighConfidencePhishAction "
            "Quarantine.",
        ),
        references=(ANTISPAM_DOCS,),
    )
)
def antispam_actions(snapshot: TenantSnapshot) -> Outcome:
    found = resolution(snapshot, *ANTISPAM, EOP_PRESETS, policy_key="HostedContentFilterPolicy")
    return judge(found, _spam_gaps, what="anti-spam")


def _allow_gaps(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    return setting_gaps(policy, {"AllowedSenderDomains": empty, "AllowedSenders": empty})


@check(
    metadata(
        id="defender.antispam_no_allowed_senders",
        title="Anti-spam policies allow no sender or sender domain past filtering",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(ACCEPTED_DOMAINS, EOP_PRESETS, *ANTISPAM),
        rationale=(
            "Mail from an allowed sender or domain skips spam filtering. Sender addresses are trivially "
            "spoofed, so an allowed domain (often the organisation's own, or a large provider) lets "
            "attackers through unfiltered."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Anti-spam; open each listed inbound policy > Allowed and blocked "
            "senders and domains.",
            "Remove every allowed sender and allowed domain; use the Tenant Allow/Block List for "
            "short-lived, reviewed exceptions instead.",
            "In PowerShell: Set-HostedContentFilterPolicy -Identity <policy> -AllowedSenderDomains $null "
            "-AllowedSenders $null.",
        ),
        references=(ANTISPAM_DOCS,),
    )
)
def antispam_no_allowed_senders(snapshot: TenantSnapshot) -> Outcome:
    found = resolution(snapshot, *ANTISPAM, EOP_PRESETS, policy_key="HostedContentFilterPolicy")
    return judge(found, _allow_gaps, what="anti-spam allow list")


CHECKS = (preset_policies, antiphish, antispam_actions, antispam_no_allowed_senders)
