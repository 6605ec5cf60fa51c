"""Exchange Online mailboxes: shared mailbox sign-in, audited mailbox actions and audit bypass.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Shapes (PowerShell property names through the Exchange admin API):
- Get-Mailbox {PrimarySmtpAddress, UserPrincipalName, ExternalDirectoryObjectId (the Entra user's
  id), RecipientTypeDetails: UserMailbox | SharedMailbox | ..., AuditOwner, AuditDelegate,
  AuditAdmin: lists of mailbox actions} (learn.microsoft.com/purview/audit-mailboxes lists the
  actions and the defaults Microsoft audits).
- Get-MailboxAuditBypassAssociation {Name, Identity, AuditBypassEnabled}.
- Graph users {id, userPrincipalName, accountEnabled}: a shared mailbox's account is an Entra user.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.exchange import mailbox_name
from core.checks.helpers import capped, check, folded, is_true, metadata, objects, plural, shown, steps, verb
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed

CATEGORY = "Exchange Online"
MAILBOXES = "exo_mailboxes"
AUDIT_DOCS = "https://learn.microsoft.com/en-us/purview/audit-mailboxes"

# The actions the CIS benchmark (6.1.2) expects every user mailbox to audit, per logon type.
REQUIRED_ACTIONS: dict[str, frozenset[str]] = {
    "AuditAdmin": frozenset(
        [
            "ApplyRecord",
            "Copy",
            "Create",
            "FolderBind",
            "HardDelete",
            "MailItemsAccessed",
            "Move",
            "MoveToDeletedItems",
            "SendAs",
            "SendOnBehalf",
            "Send",
            "SoftDelete",
            "Update",
            "UpdateCalendarDelegation",
            "UpdateFolderPermissions",
            "UpdateInboxRules",
        ]
    ),
    "AuditDelegate": frozenset(
        [
            "ApplyRecord",
            "Create",
            "FolderBind",
            "HardDelete",
            "MailItemsAccessed",
            "Move",
            "MoveToDeletedItems",
            "SendAs",
            "SendOnBehalf",
            "SoftDelete",
            "Update",
            "UpdateFolderPermissions",
            "UpdateInboxRules",
        ]
    ),
    "AuditOwner": frozenset(
        [
            "ApplyRecord",
            "Create",
            "HardDelete",
            "MailboxLogin",
            "MailItemsAccessed",
            "Move",
            "MoveToDeletedItems",
            "Send",
            "SoftDelete",
            "Update",
            "UpdateCalendarDelegation",
            "UpdateFolderPermissions",
            "UpdateInboxRules",
        ]
    ),
}


def _is_shared(mailbox: Mapping[str, Any]) -> bool:
    return str(mailbox.get("RecipientTypeDetails") or "") == "SharedMailbox"


def _account_of(mailbox: Mapping[str, Any], users: dict[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for key in (mailbox.get("ExternalDirectoryObjectId"), mailbox.get("UserPrincipalName")):
        if key and folded(key) in users:
            return users[folded(key)]
    return None


@check(
    metadata(
        id="exo.shared_mailbox_signin_blocked",
        title="Nobody can sign in to a shared mailbox's account",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(MAILBOXES, "users"),
        rationale=(
            "Every shared mailbox has a user account. People reach a shared mailbox through their own "
            "delegated access, so its account never needs to sign in; an enabled one is a password nobody "
            "owns, rarely covered by MFA, that opens the whole mailbox."
        ),
        remediation=steps(
            "Microsoft 365 admin center > Users > Active users: select each listed account > Block sign-in.",
            "Or with Microsoft Graph PowerShell: Update-MgUser -UserId <account> -AccountEnabled:$false.",
            "Users keep their access to the mailbox through their delegated permissions.",
        ),
        references=("https://learn.microsoft.com/en-us/microsoft-365/admin/email/about-shared-mailboxes",),
    )
)
def shared_mailbox_signin_blocked(snapshot: TenantSnapshot) -> Outcome:
    users: dict[str, Mapping[str, Any]] = {}
    for user in snapshot.get("users") or []:
        for key in (user.get("id"), user.get("userPrincipalName")):
            if key:
                users[folded(key)] = user
    shared = [m for m in objects(snapshot.get(MAILBOXES)) if _is_shared(m)]
    enabled: list[dict[str, Any]] = []
    unmatched = 0
    for mailbox in shared:
        account = _account_of(mailbox, users)
        if account is None:
            unmatched += 1
        elif account.get("accountEnabled") is not False:
            enabled.append(
                {"mailbox": mailbox_name(mailbox), "userPrincipalName": account.get("userPrincipalName")}
            )
    if not enabled:
        note = f" ({unmatched} without a matching account)" if unmatched else ""
        return passed(
            f"Sign-in is blocked for all {plural(len(shared), 'shared mailbox', 'shared mailboxes')}{note}."
        )
    return failed(
        f"{plural(len(enabled), 'shared mailbox', 'shared mailboxes')} of {len(shared)} "
        f"{verb(len(enabled), 'has', 'have')} an account that can sign in.{shown(len(enabled))}",
        capped(enabled),
    )


def _missing_actions(mailbox: Mapping[str, Any], known: dict[Any, list[str]]) -> dict[str, list[str]]:
    """What the mailbox's audit sets lack. Most mailboxes carry Microsoft's default sets, so each
    distinct set is worked out once per scan (`known`): thousands of mailboxes made this the
    costliest check of a scan."""
    gaps = {}
    for field, required in REQUIRED_ACTIONS.items():
        actions = mailbox.get(field)
        audited = tuple(actions) if isinstance(actions, list) else ()
        try:
            missing = known.get((field, audited))
        except TypeError:  # an unhashable entry is no action name
            audited = tuple(a for a in audited if isinstance(a, str))
            missing = known.get((field, audited))
        if missing is None:
            missing = known[(field, audited)] = sorted(required.difference(audited))
        if missing:
            gaps[field] = missing
    return gaps


@check(
    metadata(
        id="exo.mailbox_audit_actions",
        title="User mailboxes audit the owner, delegate and admin actions investigations need",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(MAILBOXES,),
        rationale=(
            "Microsoft's default mailbox audit set leaves out actions such as mailbox sign-ins and moved "
            "or created items by the owner. When a mailbox is compromised, those records are what shows "
            "what the intruder read, moved and sent; without them the investigation guesses."
        ),
        remediation=steps(
            "Connect with Exchange Online PowerShell (Connect-ExchangeOnline).",
            "For each listed mailbox run Set-Mailbox -Identity <mailbox> -AuditEnabled $true "
            "-AuditOwner @{Add='Create','MailboxLogin','Move',...} -AuditDelegate @{Add=...} "
            "-AuditAdmin @{Add=...}, adding the actions listed as missing.",
            "Or apply the full sets to every user mailbox: Get-EXOMailbox -RecipientTypeDetails UserMailbox "
            "-ResultSize Unlimited | Set-Mailbox -AuditOwner <list> -AuditDelegate <list> "
            "-AuditAdmin <list>.",
        ),
        references=(AUDIT_DOCS,),
    )
)
def mailbox_audit_actions(snapshot: TenantSnapshot) -> Outcome:
    mailboxes = [
        m
        for m in objects(snapshot.get(MAILBOXES))
        if str(m.get("RecipientTypeDetails") or "UserMailbox") == "UserMailbox"
    ]
    short: list[dict[str, Any]] = []
    known: dict[Any, list[str]] = {}
    for mailbox in mailboxes:
        gaps = _missing_actions(mailbox, known)
        if gaps:
            short.append({"mailbox": mailbox_name(mailbox), "missing": gaps})
    if not short:
        return passed(
            f"All {plural(len(mailboxes), 'user mailbox', 'user mailboxes')} audit the recommended actions."
        )
    return failed(
        f"{plural(len(short), 'user mailbox', 'user mailboxes')} of {len(mailboxes)} "
        f"{verb(len(short), 'does', 'do')} not audit every recommended action.{shown(len(short))}",
        capped(short),
    )


@check(
    metadata(
        id="exo.mailbox_audit_bypass",
        title="No account bypasses mailbox auditing",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=("exo_mailbox_audit_bypass",),
        rationale=(
            "An account with AuditBypassEnabled leaves no mailbox audit record of anything it does in any "
            "mailbox. It is meant for noisy trusted services, and is exactly what an intruder would want "
            "for a compromised account."
        ),
        remediation=steps(
            "Connect with Exchange Online PowerShell (Connect-ExchangeOnline).",
            "For each listed account run Set-MailboxAuditBypassAssociation -Identity <account> "
            "-AuditBypassEnabled $false.",
            "Confirm with Get-MailboxAuditBypassAssociation -ResultSize Unlimited | Where-Object "
            "AuditBypassEnabled.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/powershell/module/exchange/set-mailboxauditbypassassociation",
        ),
    )
)
def mailbox_audit_bypass(snapshot: TenantSnapshot) -> Outcome:
    rows = objects(snapshot.get("exo_mailbox_audit_bypass"))
    bypassing = [
        {"account": str(r.get("Name") or r.get("Identity")), "AuditBypassEnabled": True}
        for r in rows
        if is_true(r.get("AuditBypassEnabled"))
    ]
    if not bypassing:
        return passed(f"None of {plural(len(rows), 'account')} bypasses mailbox auditing.")
    return failed(
        f"{plural(len(bypassing), 'account')} {verb(len(bypassing), 'bypasses', 'bypass')} mailbox auditing."
        f"{shown(len(bypassing))}",
        capped(bypassing),
    )


CHECKS = (shared_mailbox_signin_blocked, mailbox_audit_actions, mailbox_audit_bypass)
