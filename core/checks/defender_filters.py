"""Exchange Online Protection filters every tenant has: connection filtering, anti-malware and outbound
spam limits. Anti-malware is judged on the policies Microsoft applies (core/checks/defender_policies.py).

Shapes (learn.microsoft.com/powershell/module/exchange/): Get-HostedConnectionFilterPolicy {Name,
IsDefault, IPAllowList, EnableSafeList}; Get-MalwareFilterPolicy {Name, IsDefault, EnableFileFilter,
FileTypes, ZapEnabled, EnableInternalSenderAdminNotifications, InternalSenderAdminAddress};
Get-HostedOutboundSpamFilterPolicy {Name, IsDefault, RecipientLimitExternalPerHour,
RecipientLimitInternalPerHour, RecipientLimitPerDay, ActionWhenThresholdReached, NotifyOutboundSpam,
NotifyOutboundSpamRecipients, BccSuspiciousOutboundMail, BccSuspiciousOutboundAdditionalRecipients}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.defender_policies import (
    ACCEPTED_DOMAINS,
    CATEGORY,
    EOP_PRESETS,
    THREAT_POLICIES,
    empty,
    judge,
    one_of,
    resolution,
    setting_gaps,
    values,
)
from core.checks.helpers import check, is_false, is_true, metadata, objects, plural, steps, verb
from core.checks.model import Outcome, Severity, TenantSnapshot, error, failed, passed

CONNECTION = "defender_connection_filter"
MALWARE = ("defender_malware_policies", "defender_malware_rules")
OUTBOUND = "exo_outbound_spam_policies"
# SCuBA MS.SECURITYSUITE.1.1v1: click-to-run attachments blocked, at least these.
REQUIRED_FILE_TYPES = ("exe", "cmd", "vbe")
MALWARE_DOCS = "https://learn.microsoft.com/en-us/defender-office-365/anti-malware-policies-configure"


@check(
    metadata(
        id="defender.connection_filter",
        title="The connection filter trusts no IP addresses and no third-party safe list",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(CONNECTION,),
        rationale=(
            "Mail from an IP address on the connection filter's allow list, or on Microsoft's safe list, "
            "skips spam filtering. A shared or re-assigned address on that list hands attackers a "
            "filter-free path into every mailbox."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Anti-spam > Connection filter policy (Default) > Edit connection filter.",
            "Remove every address under 'Always allow messages from the following IP addresses', clear "
            "'Turn on safe list' and Save.",
            "In PowerShell: Set-HostedConnectionFilterPolicy -Identity Default -IPAllowList @{} "
            "-EnableSafeList $false.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/defender-office-365/connection-filter-policies-configure",
        ),
    )
)
def connection_filter(snapshot: TenantSnapshot) -> Outcome:
    policies = objects(snapshot.get(CONNECTION))
    if not policies:
        return error("Get-HostedConnectionFilterPolicy returned no policy.")
    gaps = [
        {"policy": p.get("Name") or p.get("Identity"), "gaps": found}
        for p in policies
        if (found := setting_gaps(p, {"IPAllowList": empty, "EnableSafeList": is_false}))
    ]
    if not gaps:
        return passed("The connection filter allows no IP addresses and the safe list is off.")
    return failed("The connection filter lets some senders skip spam filtering.", gaps)


def _malware_gaps(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = setting_gaps(policy, {"EnableFileFilter": is_true, "ZapEnabled": is_true})
    types = {t.lower().lstrip(".") for t in values(policy.get("FileTypes"))}
    missing = [t for t in REQUIRED_FILE_TYPES if t not in types]
    if missing:
        found.append({"setting": "FileTypes", "missing": missing})
    return found


@check(
    metadata(
        id="defender.malware_filter",
        title="Anti-malware blocks click-to-run attachments and purges malware after delivery",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ACCEPTED_DOMAINS, EOP_PRESETS, *MALWARE),
        rationale=(
            "The common attachments filter blocks file types that run when clicked (.exe, .cmd, .vbe "
            "and similar), a staple of malware delivery; zero-hour auto purge removes messages found "
            "malicious after they were delivered. Every anti-malware policy that applies to someone "
            "needs both."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Anti-malware; open each listed policy > Edit protection settings.",
            "Tick 'Enable the common attachments filter' and make sure the file types include at least "
            ".exe, .cmd and .vbe; tick 'Enable zero-hour auto purge for malware'. Save.",
            "In PowerShell: Set-MalwareFilterPolicy -Identity <policy> -EnableFileFilter $true "
            "-FileTypes @{Add='exe','cmd','vbe'} -ZapEnabled $true.",
        ),
        references=(MALWARE_DOCS,),
    )
)
def malware_filter(snapshot: TenantSnapshot) -> Outcome:
    found = resolution(snapshot, *MALWARE, EOP_PRESETS, policy_key="MalwareFilterPolicy")
    return judge(found, _malware_gaps, what="anti-malware")


def _notify_gaps(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    return setting_gaps(
        policy,
        {
            "EnableInternalSenderAdminNotifications": is_true,
            "InternalSenderAdminAddress": lambda v: bool(str(v or "").strip()),
        },
    )


@check(
    metadata(
        id="defender.malware_admin_notify",
        title="Administrators are told when an internal sender sends malware",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(ACCEPTED_DOMAINS, EOP_PRESETS, *MALWARE),
        rationale=(
            "Malware sent from inside the organisation usually means a compromised account or device. "
            "A notification to an administrator starts the investigation the same day."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Anti-malware; open each listed policy > Edit protection settings.",
            "Under Notifications tick 'Notify an admin about undelivered messages from internal senders' "
            "and enter a monitored address. Save.",
            "In PowerShell: Set-MalwareFilterPolicy -Identity <policy> "
            "-EnableInternalSenderAdminNotifications $true -InternalSenderAdminAddress <address>.",
        ),
        references=(MALWARE_DOCS,),
    )
)
def malware_admin_notify(snapshot: TenantSnapshot) -> Outcome:
    found = resolution(snapshot, *MALWARE, EOP_PRESETS, policy_key="MalwareFilterPolicy")
    return judge(found, _notify_gaps, what="anti-malware notification")


def _positive(value: Any) -> bool:
    """A recipient limit that is set: 0 means the service's own (much higher) limit."""
    if isinstance(value, bool):
        return False
    return str(value).strip().isdigit() and int(str(value).strip()) > 0


OUTBOUND_WANTED = {
    "RecipientLimitExternalPerHour": _positive,
    "RecipientLimitInternalPerHour": _positive,
    "RecipientLimitPerDay": _positive,
    "ActionWhenThresholdReached": one_of("BlockUser", "BlockUserForToday"),
    "NotifyOutboundSpam": is_true,
    "NotifyOutboundSpamRecipients": lambda v: not empty(v),
    "BccSuspiciousOutboundMail": is_true,
    "BccSuspiciousOutboundAdditionalRecipients": lambda v: not empty(v),
}


@check(
    metadata(
        id="defender.outbound_spam_limits",
        title="Outbound spam limits block the sender and notify administrators",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(OUTBOUND,),
        rationale=(
            "A compromised mailbox is soon used to send spam or phishing in bulk. Explicit recipient "
            "limits, blocking the user once they are reached, and copies and notifications to an "
            "administrator stop the run early and tell someone it happened."
        ),
        remediation=steps(
            f"{THREAT_POLICIES} > Anti-spam; open each listed outbound policy > Edit protection settings.",
            "Set the external, internal and daily recipient limits (e.g. 500, 1000, 1000), 'Restriction "
            "placed on users who reach the message limit' to 'Restrict the user from sending mail', and "
            "under Notifications send a copy of suspicious messages and notify a monitored address.",
            "In PowerShell: Set-HostedOutboundSpamFilterPolicy -Identity <policy> "
            "-RecipientLimitExternalPerHour 500 -RecipientLimitInternalPerHour 1000 -RecipientLimitPerDay "
            "1000 -ActionWhenThresholdReached BlockUser -NotifyOutboundSpam $true "
            "-NotifyOutboundSpamRecipients <address> -BccSuspiciousOutboundMail $true "
            "-BccSuspiciousOutboundAdditionalRecipients <address>.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/defender-office-365/outbound-spam-policies-configure",
        ),
    )
)
def outbound_spam_limits(snapshot: TenantSnapshot) -> Outcome:
    policies = objects(snapshot.get(OUTBOUND))
    if not policies:
        return error("Get-HostedOutboundSpamFilterPolicy returned no policy.")
    gaps = [
        {"policy": p.get("Name") or p.get("Identity"), "IsDefault": p.get("IsDefault"), "gaps": found}
        for p in policies
        if (found := setting_gaps(p, OUTBOUND_WANTED))
    ]
    if not gaps:
        return passed(f"Every outbound spam policy ({len(policies)}) limits recipients, blocks and notifies.")
    return failed(
        f"{plural(len(gaps), 'outbound spam policy', 'outbound spam policies')} of {len(policies)} "
        f"{verb(len(gaps), 'falls', 'fall')} short on limits, blocking or notifications.",
        gaps,
    )


CHECKS = (connection_filter, malware_filter, malware_admin_notify, outbound_spam_limits)
