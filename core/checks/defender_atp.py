"""Defender for Office 365 (Plan 1 or Plan 2): impersonation protection, Safe Links, Safe Attachments,
protection of SharePoint, OneDrive and Teams files, and priority account protection (Plan 2 only: "What
you need: Microsoft Defender for Office 365 Plan 2 (included as part of E5 plans)", learn.microsoft.com/
defender-office-365/step-by-step-guides/protect-your-c-suite-with-priority-account-protection).

Without a plan that carries ATP_ENTERPRISE (or THREAT_INTELLIGENCE, which includes it) in the tenant's
own subscribedSkus these checks are not_applicable; Exchange does not even know their cmdlets then
(core/collect/failures.py). Shapes (learn.microsoft.com/powershell/module/exchange/): Get-AntiPhishPolicy
{EnableMailboxIntelligence, EnableMailboxIntelligenceProtection, MailboxIntelligenceProtectionAction,
EnableOrganizationDomainsProtection, EnableTargetedUserProtection, TargetedUsersToProtect,
TargetedUserProtectionAction, TargetedDomainProtectionAction, PhishThresholdLevel,
EnableSimilarUsersSafetyTips, EnableSimilarDomainsSafetyTips, EnableUnusualCharactersSafetyTips};
Get-SafeLinksPolicy {EnableSafeLinksForEmail, EnableSafeLinksForTeams, EnableSafeLinksForOffice,
ScanUrls, DeliverMessageAfterScan, TrackClicks, AllowClickThrough, EnableForInternalSenders};
Get-SafeAttachmentPolicy {Enable, Action}; Get-AtpPolicyForO365 {EnableATPForSPOTeamsODB};
Get-EmailTenantSettings {EnablePriorityAccountProtection}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.defender_policies import (
    ACCEPTED_DOMAINS,
    ATP_PRESETS,
    CATEGORY,
    THREAT_POLICIES,
    empty,
    judge,
    one_of,
    resolution,
    setting_gaps,
)
from core.checks.helpers import check, first_object, has_service_plan, is_false, is_true, metadata, steps
from core.checks.licensing import SUBSCRIBED_SKUS
from core.checks.model import Outcome, Severity, TenantSnapshot, error, failed, not_applicable, passed
from core.collect.sources import DEFENDER_P1, DEFENDER_P2

ANTIPHISH = ("defender_antiphish_policies", "defender_antiphish_rules")
SAFE_LINKS = ("defender_safe_links_policies", "defender_safe_links_rules")
SAFE_ATTACHMENTS = ("defender_safe_attachment_policies", "defender_safe_attachment_rules")
ATP_O365 = "defender_atp_o365"
TENANT_SETTINGS = "defender_email_tenant_settings"
BASE = (ACCEPTED_DOMAINS, ATP_PRESETS)
NO_PLAN = (
    "not licensed: the tenant's subscriptions have no active Defender for Office 365 plan "
    f"({DEFENDER_P1} or THREAT_INTELLIGENCE)"
)
NO_PLAN_2 = (
    "not licensed: priority account protection needs Defender for Office 365 Plan 2 "
    f"({DEFENDER_P2}, included in Microsoft 365 E5), which the tenant's subscriptions lack"
)
ACTED_ON = ("MoveToJmf", "Quarantine", "Redirect", "Delete")


def _unlicensed(snapshot: TenantSnapshot, plan: str = DEFENDER_P1) -> Outcome | None:
    """not_applicable without a Defender plan; subscriptions that could not be read make the check an
    error (reading them raises), since EOP tenants answer the anti-phishing cmdlets too."""
    snapshot.get(SUBSCRIBED_SKUS)
    if has_service_plan(snapshot, plan) is False:
        return not_applicable(NO_PLAN if plan == DEFENDER_P1 else NO_PLAN_2)
    return None


def _impersonation_gaps(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    threshold = policy.get("PhishThresholdLevel")
    found = setting_gaps(
        policy,
        {
            "EnableMailboxIntelligence": is_true,
            "EnableMailboxIntelligenceProtection": is_true,
            "MailboxIntelligenceProtectionAction": one_of(*ACTED_ON),
            "EnableOrganizationDomainsProtection": is_true,
            "EnableTargetedUserProtection": is_true,
            "TargetedUsersToProtect": lambda v: not empty(v),
            "TargetedUserProtectionAction": one_of(*ACTED_ON),
            "TargetedDomainProtectionAction": one_of(*ACTED_ON),
            "EnableSimilarUsersSafetyTips": is_true,
            "EnableSimilarDomainsSafetyTips": is_true,
            "EnableUnusualCharactersSafetyTips": is_true,
        },
    )
    if not (str(threshold).isdigit() and int(str(threshold)) >= 2):
        found.append({"setting": "PhishThresholdLevel", "value": threshold})
    return found


@check(
    metadata(
        id="defender.antiphish_impersonation",
        title="Anti-phishing protects named users and own domains from impersonation",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(*BASE, *ANTIPHISH),
        rationale=(
            "Business email compromise imitates executives and the organisation's own domains from "
            "look-alike addresses that pass SPF and DKIM. Defender's impersonation protection for named "
            "users and owned domains, mailbox intelligence, the similar-user and similar-domain tips and "
            "an aggressive enough phishing threshold catch what spoof checks cannot."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Anti-phishing; open each listed policy > Edit protection settings.",
            "Set the phishing email threshold to 2 or higher; under Impersonation add the executives and "
            "other sensitive users, include the domains you own, enable mailbox intelligence and "
            "intelligence for impersonation protection; set the actions to Quarantine; turn on the "
            "impersonated user, impersonated domain and unusual characters safety tips.",
            "In PowerShell: Set-AntiPhishPolicy -Identity <policy> -PhishThresholdLevel 2 "
            "-EnableTargetedUserProtection $true -TargetedUsersToProtect 'Name;address' "
            "-EnableOrganizationDomainsProtection $true -EnableMailboxIntelligence $true "
            "-EnableMailboxIntelligenceProtection $true -TargetedUserProtectionAction Quarantine "
            "-TargetedDomainProtectionAction Quarantine -MailboxIntelligenceProtectionAction Quarantine "
            "-EnableSimilarUsersSafetyTips $true -EnableSimilarDomainsSafetyTips $true "
            "-EnableUnusualCharactersSafetyTips $true.",
        ),
        licence=DEFENDER_P1,
        references=(
            "https://learn.microsoft.com/en-us/defender-office-365/anti-phishing-policies-mdo-configure",
        ),
    )
)
def antiphish_impersonation(snapshot: TenantSnapshot) -> Outcome:
    if (unlicensed := _unlicensed(snapshot)) is not None:
        return unlicensed
    found = resolution(snapshot, *ANTIPHISH, ATP_PRESETS, policy_key="AntiPhishPolicy")
    return judge(found, _impersonation_gaps, what="impersonation protection")


TIPS = (
    "EnableSimilarUsersSafetyTips",
    "EnableSimilarDomainsSafetyTips",
    "EnableUnusualCharactersSafetyTips",
    "EnableViaTag",
    "EnableUnauthenticatedSender",
)


def _tips_gaps(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The warnings users see. A preset policy is Microsoft's own choice for the first-contact tip;
    a custom or default policy must show it too (as ScubaGear's HasSafetyTipsEnabled wants)."""
    wanted = dict.fromkeys(TIPS, is_true)
    if str(policy.get("RecommendedPolicyType")) not in ("Standard", "Strict"):
        wanted["EnableFirstContactSafetyTips"] = is_true
    return setting_gaps(policy, wanted)


@check(
    metadata(
        id="defender.antiphish_safety_tips",
        title="Users are warned about impersonation and unusual senders",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(*BASE, *ANTIPHISH),
        rationale=(
            "Safety tips put a warning on the message itself: a sender who writes for the first time, a "
            "name or domain resembling a colleague's or the organisation's, unusual characters, a "
            "sender that failed authentication. They help people stop where filtering let something "
            "through, but only where the anti-phishing policy that applies to them shows them."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Anti-phishing; open each listed policy > Edit protection settings.",
            "Under Safety tips & indicators tick 'Show first contact safety tip', 'Show user "
            "impersonation safety tip', 'Show domain impersonation safety tip', 'Show user impersonation "
            "unusual characters safety tip', 'Show (?) for unauthenticated senders' and 'Show via tag'.",
            "In PowerShell: Set-AntiPhishPolicy -Identity <policy> -EnableFirstContactSafetyTips $true "
            "-EnableSimilarUsersSafetyTips $true -EnableSimilarDomainsSafetyTips $true "
            "-EnableUnusualCharactersSafetyTips $true -EnableUnauthenticatedSender $true "
            "-EnableViaTag $true.",
        ),
        licence=DEFENDER_P1,
        references=("https://learn.microsoft.com/en-us/defender-office-365/anti-phishing-policies-about",),
    )
)
def antiphish_safety_tips(snapshot: TenantSnapshot) -> Outcome:
    if (unlicensed := _unlicensed(snapshot)) is not None:
        return unlicensed
    found = resolution(snapshot, *ANTIPHISH, ATP_PRESETS, policy_key="AntiPhishPolicy")
    return judge(found, _tips_gaps, what="safety tip")


SAFE_LINKS_WANTED = {
    "EnableSafeLinksForEmail": is_true,
    "EnableSafeLinksForTeams": is_true,
    "EnableSafeLinksForOffice": is_true,
    "ScanUrls": is_true,
    "DeliverMessageAfterScan": is_true,
    "TrackClicks": is_true,
    "AllowClickThrough": is_false,
    "EnableForInternalSenders": is_true,
}


@check(
    metadata(
        id="defender.safe_links",
        title="Safe Links checks links in email, Teams and Office apps for everyone",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(*BASE, *SAFE_LINKS),
        rationale=(
            "Safe Links checks a link against known-bad sites when it is clicked, not only on arrival, "
            "which catches links that turn malicious after delivery. It must cover email, Teams and Office "
            "apps, scan before delivering, record clicks for investigations and not let users click "
            "through a warning."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Safe Links; open the listed policy (or create one for all recipients).",
            "Turn on Safe Links for email, Teams and Office apps; apply real-time URL scanning and wait "
            "for it before delivering; apply to internal messages; track user clicks; do not let users "
            "click through to the original URL.",
            "In PowerShell: Set-SafeLinksPolicy -Identity <policy> -EnableSafeLinksForEmail $true "
            "-EnableSafeLinksForTeams $true -EnableSafeLinksForOffice $true -ScanUrls $true "
            "-DeliverMessageAfterScan $true -EnableForInternalSenders $true -TrackClicks $true "
            "-AllowClickThrough $false.",
        ),
        licence=DEFENDER_P1,
        references=("https://learn.microsoft.com/en-us/defender-office-365/safe-links-policies-configure",),
    )
)
def safe_links(snapshot: TenantSnapshot) -> Outcome:
    if (unlicensed := _unlicensed(snapshot)) is not None:
        return unlicensed
    found = resolution(snapshot, *SAFE_LINKS, ATP_PRESETS, policy_key="SafeLinksPolicy")
    return judge(found, lambda p: setting_gaps(p, SAFE_LINKS_WANTED), what="Safe Links")


def _attachment_gaps(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    enabled = policy.get("Enable")
    wanted = {"Action": one_of("Block", "DynamicDelivery")}
    found = setting_gaps(policy, wanted)
    if is_false(enabled):
        found.insert(0, {"setting": "Enable", "value": enabled})
    return found


@check(
    metadata(
        id="defender.safe_attachments",
        title="Safe Attachments blocks malicious attachments for everyone",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(*BASE, *SAFE_ATTACHMENTS),
        rationale=(
            "Safe Attachments opens attachments in a sandbox before delivery and catches malware no "
            "signature knows yet. A policy that only monitors, or is off, delivers what it finds."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Safe Attachments; open the listed policy (or create one for all "
            "recipients).",
            "Set 'Safe Attachments unknown malware response' to Block (or Dynamic Delivery) and quarantine "
            "what it finds.",
            "In PowerShell: Set-SafeAttachmentPolicy -Identity <policy> -Enable $true -Action Block.",
        ),
        licence=DEFENDER_P1,
        references=(
            "https://learn.microsoft.com/en-us/defender-office-365/safe-attachments-policies-configure",
        ),
    )
)
def safe_attachments(snapshot: TenantSnapshot) -> Outcome:
    if (unlicensed := _unlicensed(snapshot)) is not None:
        return unlicensed
    found = resolution(snapshot, *SAFE_ATTACHMENTS, ATP_PRESETS, policy_key="SafeAttachmentPolicy")
    return judge(found, _attachment_gaps, what="Safe Attachments")


def _single_setting(
    snapshot: TenantSnapshot, source: str, cmdlet: str, setting: str, plan: str = DEFENDER_P1
) -> tuple[bool, Any] | Outcome:
    if (unlicensed := _unlicensed(snapshot, plan)) is not None:
        return unlicensed
    found = first_object(snapshot.get(source))
    if found is None:
        return error(f"{cmdlet} returned no object.")
    value = found.get(setting)
    return is_true(value), value


@check(
    metadata(
        id="defender.safe_attachments_cloud_apps",
        title="Files in SharePoint, OneDrive and Teams are scanned for malware",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(ATP_O365,),
        rationale=(
            "Shared files are as good a way to spread malware as attachments. Defender for Office 365 "
            "scans files in SharePoint, OneDrive and Teams and blocks those it finds malicious, but only "
            "when this organisation-wide setting is on."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Safe Attachments > Global settings.",
            "Turn on 'Defender for Office 365 for SharePoint, OneDrive, and Microsoft Teams' and Save.",
            "In PowerShell: Set-AtpPolicyForO365 -EnableATPForSPOTeamsODB $true.",
        ),
        licence=DEFENDER_P1,
        references=(
            "https://learn.microsoft.com/en-us/defender-office-365/safe-attachments-for-spo-odfb-teams-configure",
        ),
    )
)
def safe_attachments_cloud_apps(snapshot: TenantSnapshot) -> Outcome:
    read = _single_setting(snapshot, ATP_O365, "Get-AtpPolicyForO365", "EnableATPForSPOTeamsODB")
    if isinstance(read, Outcome):
        return read
    on, value = read
    if on:
        return passed("Defender for Office 365 scans files in SharePoint, OneDrive and Teams.")
    return failed(
        "Files in SharePoint, OneDrive and Teams are not scanned.", [{"EnableATPForSPOTeamsODB": value}]
    )


@check(
    metadata(
        id="defender.priority_account_protection",
        title="Priority account protection is on",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(TENANT_SETTINGS,),
        rationale=(
            "Executives and administrators tagged as priority accounts are the first targets of phishing. "
            "Priority account protection gives them Defender's extra heuristics and makes them stand out "
            "in alerts, reports and investigations."
        ),
        remediation=steps(
            "Microsoft Defender portal > Settings > Email & collaboration > Priority account protection: "
            "turn it on.",
            "Tag the organisation's sensitive users as priority accounts (Microsoft 365 admin center > "
            "Users > Active users > select > Manage priority accounts, or Set-User -Identity <user> "
            "-VIP $true).",
            "In PowerShell: Set-EmailTenantSettings -EnablePriorityAccountProtection $true.",
        ),
        licence=DEFENDER_P2,
        references=(
            "https://learn.microsoft.com/en-us/defender-office-365/priority-accounts-turn-on-priority-account-protection",
        ),
    )
)
def priority_account_protection(snapshot: TenantSnapshot) -> Outcome:
    read = _single_setting(
        snapshot, TENANT_SETTINGS, "Get-EmailTenantSettings", "EnablePriorityAccountProtection", DEFENDER_P2
    )
    if isinstance(read, Outcome):
        return read
    on, value = read
    if on:
        return passed("Priority account protection is on.")
    return failed("Priority account protection is off.", [{"EnablePriorityAccountProtection": value}])


CHECKS = (
    antiphish_impersonation,
    antiphish_safety_tips,
    safe_links,
    safe_attachments,
    safe_attachments_cloud_apps,
    priority_account_protection,
)
