"""Exchange Online: mail flow (transport) rules, direct send, and organisation-wide sharing settings.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md). exo.direct_send_rejected maps to no
control of the cited CIS version: the control (6.5.5) arrives in CIS v6.

Shapes (PowerShell property names through the Exchange admin API):
- Get-TransportRule {Name, State: Enabled | Disabled, Mode: Enforce | Audit | AuditAndNotify,
  FromScope: InOrganization | NotInOrganization | null, PrependSubject, SetSCL (-1 bypasses spam
  filtering), SenderDomainIs, SenderIpRanges, RedirectMessageTo, BlindCopyTo, CopyTo, AddToRecipients}
  (learn.microsoft.com/powershell/module/exchange/get-transportrule; the actions and conditions are
  the parameters of New-TransportRule). ScubaGear's EXOConfig.rego (MS.EXO.7.1v1) passes a rule that
  is Enabled, in Enforce mode, scoped to NotInOrganization and prepends a subject.
- Get-OrganizationConfig {RejectDirectSend, CustomerLockBoxEnabled}.
- Get-SharingPolicy {Name, Enabled, Default, Domains: ["<domain>:<action>,<action>", ...]} where the
  domain "*" means every external domain and "Anonymous" means people without an account
  (learn.microsoft.com/powershell/module/exchange/set-sharingpolicy, -Domains).
- Get-RoleAssignmentPolicy {Name, IsDefault, AssignedRoles} (end-user roles such as "My Custom Apps").
- Get-OwaMailboxPolicy {Name, IsDefault, AdditionalStorageProvidersAvailable}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.helpers import (
    check,
    first_object,
    has_service_plan,
    is_false,
    is_true,
    metadata,
    objects,
    plural,
    steps,
    verb,
)
from core.checks.model import Outcome, Severity, TenantSnapshot, error, failed, not_applicable, passed

CATEGORY = "Exchange Online"
RULES = "exo_transport_rules"
ORG = "exo_organization_config"
LOCKBOX_PLAN = "LOCKBOX_ENTERPRISE"  # Customer Lockbox, in Microsoft 365 / Office 365 E5
RULE_DOCS = (
    "https://learn.microsoft.com/en-us/exchange/security-and-compliance/mail-flow-rules/mail-flow-rules"
)
# Actions that send a copy of the message, or the message itself, to other recipients.
COPY_ACTIONS = ("RedirectMessageTo", "BlindCopyTo", "CopyTo", "AddToRecipients")


def rule_name(rule: Mapping[str, Any]) -> str:
    return str(rule.get("Name") or rule.get("Identity") or "?")


def enforced(rule: Mapping[str, Any]) -> bool:
    """A rule that acts on mail: enabled and not in one of the test (audit) modes."""
    mode = str(rule.get("Mode") or "Enforce")
    return str(rule.get("State") or "").lower() == "enabled" and mode.lower() == "enforce"


def _domain(address: object) -> str:
    text = str(address).strip().lower()
    text = text.split(":", 1)[1] if text.startswith("smtp:") else text
    return text.rsplit("@", 1)[-1] if "@" in text else ""


def _internal(snapshot: TenantSnapshot) -> set[str]:
    return {str(d.get("id") or "").lower() for d in snapshot.get("domains") or [] if d.get("id")}


def _external_targets(rule: Mapping[str, Any], internal: set[str]) -> list[str]:
    found = []
    for action in COPY_ACTIONS:
        for address in rule.get(action) or []:
            domain = _domain(address)
            if domain and not any(domain == d or domain.endswith("." + d) for d in internal):
                found.append(f"{action}: {address}")
    return found


def _bypasses_spam_filter(rule: Mapping[str, Any]) -> bool:
    return str(rule.get("SetSCL")).strip() == "-1"


@check(
    metadata(
        id="exo.transport_rules_safe",
        title="No mail flow rule sends mail outside or skips spam filtering",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(RULES, "domains"),
        rationale=(
            "A mail flow rule acts on every message it matches, silently. Attackers with admin access add "
            "rules that redirect or blind-copy mail to an outside address, and well-meant rules that set "
            "the spam confidence level to -1 for a partner's domain or IP range let anyone who forges that "
            "sender straight past spam and phishing filters."
        ),
        remediation=steps(
            "Exchange admin center > Mail flow > Rules: open each listed rule.",
            "Remove any redirect, Bcc, Cc or add-recipient action that targets an outside address, or "
            "disable the rule (Disable-TransportRule -Identity <rule>; Remove-TransportRule once confirmed).",
            "Replace 'Set the spam confidence level (SCL) to -1' by sender domain or IP with an allow entry "
            "in the Tenant Allow/Block List or an enhanced-filtering connector "
            "(Set-TransportRule -Identity <rule> -SetSCL $null, or Remove-TransportRule -Identity <rule>).",
            "Check the audit log for who created any rule nobody recognises.",
        ),
        references=(RULE_DOCS,),
    )
)
def transport_rules_safe(snapshot: TenantSnapshot) -> Outcome:
    rules = objects(snapshot.get(RULES))
    internal = _internal(snapshot)
    risky: list[dict[str, Any]] = []
    for rule in rules:
        if not enforced(rule):
            continue
        targets = _external_targets(rule, internal)
        if targets:
            risky.append({"rule": rule_name(rule), "issue": "sends mail outside", "targets": targets})
        if _bypasses_spam_filter(rule):
            senders = [*(rule.get("SenderDomainIs") or []), *(rule.get("SenderIpRanges") or [])]
            risky.append(
                {"rule": rule_name(rule), "issue": "SetSCL -1 (skips spam filtering)", "for": senders}
            )
    if not risky:
        return passed(
            f"None of {plural(len(rules), 'mail flow rule')} sends mail outside or skips spam filtering."
        )
    names = {entry["rule"] for entry in risky}
    return failed(
        f"{plural(len(names), 'enforced mail flow rule')} {verb(len(names), 'sends', 'send')} mail outside "
        "the organisation or skip spam filtering.",
        risky,
    )


@check(
    metadata(
        id="exo.external_sender_tag_rule",
        title="A mail flow rule tags the subject of mail from outside",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(RULES,),
        rationale=(
            "A subject prefix such as [EXTERNAL] on every message from outside the organisation shows in "
            "every mail client, including those that ignore Outlook's native External tag, and reminds "
            "users that a message signed by their CEO came from elsewhere."
        ),
        remediation=steps(
            "Exchange admin center > Mail flow > Rules > Add a rule > Modify messages.",
            "Apply the rule if the sender is located 'Outside the organization'; do the following: prepend "
            "the subject with '[EXTERNAL] '; enforce it and Save.",
            "Or in Exchange Online PowerShell: New-TransportRule -Name 'External sender tag' -FromScope "
            "NotInOrganization -PrependSubject '[EXTERNAL] ' -Mode Enforce.",
        ),
        references=(RULE_DOCS,),
    )
)
def external_sender_tag_rule(snapshot: TenantSnapshot) -> Outcome:
    rules = objects(snapshot.get(RULES))
    tagging = [
        r for r in rules if str(r.get("FromScope") or "") == "NotInOrganization" and r.get("PrependSubject")
    ]
    working = [r for r in tagging if enforced(r)]
    if working:
        return passed(
            f"Mail from outside is tagged by the rule '{rule_name(working[0])}'.",
            [{"rule": rule_name(working[0]), "PrependSubject": working[0].get("PrependSubject")}],
        )
    evidence = [{"rule": rule_name(r), "State": r.get("State"), "Mode": r.get("Mode")} for r in tagging]
    why = "is disabled or only in test mode" if tagging else "exists"
    return failed(f"No enforced mail flow rule that tags mail from outside {why}.", evidence)


def _org(snapshot: TenantSnapshot) -> Mapping[str, Any] | Outcome:
    config = first_object(snapshot.get(ORG))
    return config if config is not None else error("Get-OrganizationConfig returned no object.")


@check(
    metadata(
        id="exo.direct_send_rejected",
        title="Direct send of unauthenticated mail as the organisation's domains is rejected",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(ORG,),
        rationale=(
            "Direct send lets any device or server on the internet drop mail into the tenant's MX endpoint "
            "from one of its own domains without signing in. Phishing campaigns use it to send internal-"
            "looking mail that skips the checks an authenticated sender faces."
        ),
        remediation=steps(
            "Move printers and applications that send as the organisation to authenticated submission or a "
            "partner connector first.",
            "Then run Set-OrganizationConfig -RejectDirectSend $true in Exchange Online PowerShell.",
            "Confirm with Get-OrganizationConfig | Format-List RejectDirectSend.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365",
        ),
    )
)
def direct_send_rejected(snapshot: TenantSnapshot) -> Outcome:
    config = _org(snapshot)
    if isinstance(config, Outcome):
        return config
    value = config.get("RejectDirectSend")
    if is_true(value):
        return passed("Exchange Online rejects direct send as the organisation's domains.")
    return failed(
        "Exchange Online accepts direct send (RejectDirectSend is not true).", [{"RejectDirectSend": value}]
    )


@check(
    metadata(
        id="exo.customer_lockbox",
        title="Customer Lockbox is on",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(ORG,),
        licence=LOCKBOX_PLAN,
        rationale=(
            "With Customer Lockbox a Microsoft engineer who needs to reach the tenant's content during a "
            "support case must wait for the organisation's own approval, and every such request is logged."
        ),
        remediation=steps(
            "Microsoft 365 admin center > Settings > Org settings > Security & privacy > Customer lockbox: "
            "tick 'Require approval for all data access requests' and Save.",
            "Or run Set-OrganizationConfig -CustomerLockBoxEnabled $true in Exchange Online PowerShell.",
        ),
        references=("https://learn.microsoft.com/en-us/purview/customer-lockbox-requests",),
    )
)
def customer_lockbox(snapshot: TenantSnapshot) -> Outcome:
    licensed = has_service_plan(snapshot, LOCKBOX_PLAN)
    if licensed is None:
        return error(
            "The tenant's subscriptions could not be read to tell whether Customer Lockbox is licensed."
        )
    if not licensed:
        return not_applicable(f"not licensed: the tenant's subscriptions have no active {LOCKBOX_PLAN} plan.")
    config = _org(snapshot)
    if isinstance(config, Outcome):
        return config
    value = config.get("CustomerLockBoxEnabled")
    if is_true(value):
        return passed("Customer Lockbox is on.")
    return failed("Customer Lockbox is off.", [{"CustomerLockBoxEnabled": value}])


def _open_sharing(policy: Mapping[str, Any]) -> list[str]:
    """The policy's entries that share calendars or contacts with every domain or anonymously."""
    entries = []
    for entry in policy.get("Domains") or []:
        domain, _, actions = str(entry).partition(":")
        if domain.strip() in ("*", "Anonymous") and ("Calendar" in actions or "Contacts" in actions):
            entries.append(str(entry))
    return entries


@check(
    metadata(
        id="exo.calendar_sharing",
        title="Calendars and contacts are not shared with every domain or anonymously",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=("exo_sharing_policies",),
        rationale=(
            "A sharing policy that lets users publish calendars to anyone, or share calendar details and "
            "contacts with every external domain, exposes who meets whom and when: material for targeted "
            "phishing and for learning when an executive is away."
        ),
        remediation=steps(
            "Exchange admin center > Organization > Sharing > Individual sharing: edit each listed policy.",
            "Remove the 'All domains' and anonymous entries, or list only named partner domains; or turn "
            "the policy off.",
            "In Exchange Online PowerShell: Set-SharingPolicy -Identity '<policy>' -Domains "
            "'partner.example:CalendarSharingFreeBusySimple', or Set-SharingPolicy -Identity '<policy>' "
            "-Enabled $false.",
        ),
        references=("https://learn.microsoft.com/en-us/exchange/sharing/sharing-policies/sharing-policies",),
    )
)
def calendar_sharing(snapshot: TenantSnapshot) -> Outcome:
    policies = objects(snapshot.get("exo_sharing_policies"))
    open_policies = [
        {"policy": str(p.get("Name") or p.get("Identity")), "Domains": _open_sharing(p)}
        for p in policies
        if not is_false(p.get("Enabled")) and _open_sharing(p)
    ]
    if not open_policies:
        return passed(
            f"None of {plural(len(policies), 'sharing policy', 'sharing policies')} shares calendars or "
            "contacts with every domain or anonymously."
        )
    return failed(
        f"{plural(len(open_policies), 'sharing policy', 'sharing policies')} "
        f"{verb(len(open_policies), 'shares', 'share')} calendars or contacts with every domain or "
        "anonymously.",
        open_policies,
    )


ADDIN_ROLES = ("My Custom Apps", "My Marketplace Apps", "My ReadWriteMailbox Apps")


@check(
    metadata(
        id="exo.outlook_addins_restricted",
        title="Users cannot install Outlook add-ins themselves",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=("exo_role_assignment_policies",),
        rationale=(
            "An Outlook add-in a user installs can read and change the messages they open. Attackers "
            "publish add-ins that harvest mail; only administrators should deploy add-ins, after review."
        ),
        remediation=steps(
            "Exchange admin center > Roles > User roles: open each listed role assignment policy.",
            "Under Other roles clear 'My Custom Apps', 'My Marketplace Apps' and 'My ReadWriteMailbox Apps' "
            "and Save.",
            "Or run Set-RoleAssignmentPolicy -Identity '<policy>' -Roles <the remaining roles>, leaving the "
            "three add-in roles out (Get-ManagementRoleAssignment -RoleAssignee '<policy>' lists them).",
            "Deploy approved add-ins centrally from Microsoft 365 admin center > Settings > Integrated apps.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/add-ins-for-outlook/specify-who-can-install-and-manage-add-ins",
        ),
    )
)
def outlook_addins_restricted(snapshot: TenantSnapshot) -> Outcome:
    policies = objects(snapshot.get("exo_role_assignment_policies"))
    allowing = []
    for policy in policies:
        roles = [r for r in policy.get("AssignedRoles") or [] if str(r) in ADDIN_ROLES]
        if roles:
            allowing.append({"policy": str(policy.get("Name") or policy.get("Identity")), "roles": roles})
    if not allowing:
        return passed(
            f"None of {plural(len(policies), 'role assignment policy', 'role assignment policies')} lets "
            "users install Outlook add-ins."
        )
    return failed(
        f"{plural(len(allowing), 'role assignment policy', 'role assignment policies')} "
        f"{verb(len(allowing), 'lets', 'let')} users install Outlook add-ins.",
        allowing,
    )


@check(
    metadata(
        id="exo.owa_storage_providers_restricted",
        title="Outlook on the web offers no additional storage providers",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=("exo_owa_mailbox_policies",),
        rationale=(
            "Additional storage providers let users attach and save files to personal third-party storage "
            "(Dropbox, Box, Google Drive) from Outlook on the web, outside the organisation's control."
        ),
        remediation=steps(
            "Connect with Exchange Online PowerShell (Connect-ExchangeOnline).",
            "For each listed policy run Set-OwaMailboxPolicy -Identity '<policy>' "
            "-AdditionalStorageProvidersAvailable $false.",
            "Confirm with Get-OwaMailboxPolicy | Format-Table Name, AdditionalStorageProvidersAvailable.",
        ),
        references=("https://learn.microsoft.com/en-us/powershell/module/exchange/set-owamailboxpolicy",),
    )
)
def owa_storage_providers_restricted(snapshot: TenantSnapshot) -> Outcome:
    policies = objects(snapshot.get("exo_owa_mailbox_policies"))
    allowing = [
        {"policy": str(p.get("Name") or p.get("Identity")), "AdditionalStorageProvidersAvailable": True}
        for p in policies
        if is_true(p.get("AdditionalStorageProvidersAvailable"))
    ]
    if not policies:
        return error("Get-OwaMailboxPolicy returned no policy (every organisation has a default one).")
    if not allowing:
        return passed(
            f"None of {plural(len(policies), 'Outlook on the web policy', 'Outlook on the web policies')} "
            "offers additional storage providers."
        )
    return failed(
        f"{plural(len(allowing), 'Outlook on the web policy', 'Outlook on the web policies')} "
        f"{verb(len(allowing), 'offers', 'offer')} additional storage providers.",
        allowing,
    )


CHECKS = (
    transport_rules_safe,
    external_sender_tag_rule,
    direct_send_rejected,
    calendar_sharing,
    outlook_addins_restricted,
    owa_storage_providers_restricted,
    customer_lockbox,
)
