"""Exchange Online mail flow rules, sharing, role assignment and Outlook on the web policies, and the
mailbox audit bypass list, as the Get- cmdlets print them, for a weak, mixed or strong posture.

`fixture(ctx, partner_domain)` is what a tenant fixture stores under `exchange`; `CMDLETS` is what the
InvokeCommand dispatcher (exchange.py) serves from it. Property names and values follow the cmdlets'
documentation:
- Get-TransportRule: State Enabled/Disabled, Mode Enforce/Audit/AuditAndNotify, FromScope
  InOrganization/NotInOrganization, PrependSubject, SetSCL, SenderDomainIs, SenderIpRanges,
  BlindCopyTo... (learn.microsoft.com/powershell/module/exchange/get-transportrule and
  new-transportrule).
- Get-SharingPolicy: Domains as "<domain>:<action>, <action>", "*" for every domain and "Anonymous"
  for publishing (learn.microsoft.com/powershell/module/exchange/set-sharingpolicy). A new
  organisation's Default Sharing Policy shares free/busy with every domain and lets users publish
  calendars anonymously.
- Get-RoleAssignmentPolicy: AssignedRoles; the default policy grants "My Custom Apps", "My Marketplace
  Apps" and "My ReadWriteMailbox Apps" (learn.microsoft.com/exchange/clients-and-mobile-in-exchange-
  online/add-ins-for-outlook/specify-who-can-install-and-manage-add-ins).
- Get-OwaMailboxPolicy: AdditionalStorageProvidersAvailable, True by default
  (learn.microsoft.com/powershell/module/exchange/set-owamailboxpolicy).
- Get-MailboxAuditBypassAssociation: one row per mailbox user, AuditBypassEnabled False unless set
  (learn.microsoft.com/powershell/module/exchange/get-mailboxauditbypassassociation).
- Get-Mailbox AuditOwner / AuditDelegate / AuditAdmin: the default sets Microsoft audits
  (learn.microsoft.com/purview/audit-mailboxes, "Mailbox actions logged by default").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devtools.graphsim.policies import Json, PolicyContext

DEFAULT_AUDIT: dict[str, list[str]] = {
    "AuditAdmin": [
        "ApplyRecord",
        "Create",
        "HardDelete",
        "MailItemsAccessed",
        "MoveToDeletedItems",
        "Send",
        "SendAs",
        "SendOnBehalf",
        "SoftDelete",
        "Update",
        "UpdateCalendarDelegation",
        "UpdateFolderPermissions",
        "UpdateInboxRules",
    ],
    "AuditDelegate": [
        "ApplyRecord",
        "Create",
        "HardDelete",
        "MailItemsAccessed",
        "MoveToDeletedItems",
        "SendAs",
        "SendOnBehalf",
        "SoftDelete",
        "Update",
        "UpdateFolderPermissions",
        "UpdateInboxRules",
    ],
    "AuditOwner": [
        "ApplyRecord",
        "HardDelete",
        "MailItemsAccessed",
        "MoveToDeletedItems",
        "Send",
        "SoftDelete",
        "Update",
        "UpdateCalendarDelegation",
        "UpdateFolderPermissions",
        "UpdateInboxRules",
    ],
}
# What a well-run tenant adds to the defaults: copies, folder access, moves and owner sign-ins.
EXTRA_AUDIT: dict[str, list[str]] = {
    "AuditAdmin": ["Copy", "FolderBind", "Move"],
    "AuditDelegate": ["FolderBind", "Move"],
    "AuditOwner": ["Create", "MailboxLogin", "Move"],
}
_BASE_ROLES = [
    "MyBaseOptions",
    "MyContactInformation",
    "MyProfileInformation",
    "MyDistributionGroupMembership",
    "MyRetentionPolicies",
    "MyTextMessaging",
    "MyVoiceMail",
]
_ADDIN_ROLES = ["My Custom Apps", "My Marketplace Apps", "My ReadWriteMailbox Apps"]


def _rule(name: str, priority: int, **settings: Any) -> Json:
    rule: Json = {
        "Identity": name,
        "Name": name,
        "Priority": priority,
        "State": "Enabled",
        "Mode": "Enforce",
        "Comments": "",
        "FromScope": None,
        "SentToScope": None,
        "PrependSubject": None,
        "SetSCL": None,
        "SenderDomainIs": None,
        "SenderIpRanges": None,
        "RedirectMessageTo": None,
        "BlindCopyTo": None,
        "CopyTo": None,
        "AddToRecipients": None,
        "StopRuleProcessing": False,
    }
    rule.update(settings)
    return rule


def transport_rules(ctx: PolicyContext, partner_domain: str, mail_domain: str) -> list[Json]:
    if ctx.posture == "weak":
        return [
            _rule(f"Allow {partner_domain}", 0, SetSCL=-1, SenderDomainIs=[partner_domain]),
            _rule("Copy invoices to bookkeeper", 1, BlindCopyTo=["books@ledger-services.example"]),
        ]
    tag = _rule("External sender tag", 0, FromScope="NotInOrganization", PrependSubject="[EXTERNAL] ")
    if ctx.posture == "mixed":
        return [
            {**tag, "Mode": "Audit"},  # left in test mode since the pilot
            _rule("Scanner relay bypass", 1, SetSCL=-1, SenderIpRanges=["203.0.113.16/28"]),
        ]
    journal = _rule(
        "Matter journal copy", 1, FromScope="InOrganization", BlindCopyTo=[f"journal@{mail_domain}"]
    )
    return [tag, journal]


def sharing_policies(ctx: PolicyContext, partner_domain: str) -> list[Json]:
    domains = {
        "weak": ["Anonymous:CalendarSharingFreeBusyReviewer", "*:CalendarSharingFreeBusySimple"],
        "mixed": ["*:CalendarSharingFreeBusySimple"],
        "strong": [f"{partner_domain}:CalendarSharingFreeBusySimple"],
    }[ctx.posture]
    name = "Default Sharing Policy"
    return [{"Identity": name, "Name": name, "Domains": domains, "Enabled": True, "Default": True}]


def role_assignment_policies(ctx: PolicyContext) -> list[Json]:
    roles = _BASE_ROLES + (_ADDIN_ROLES if ctx.posture == "weak" else [])
    name = "Default Role Assignment Policy"
    return [{"Identity": name, "Name": name, "IsDefault": True, "AssignedRoles": roles, "Description": ""}]


def owa_mailbox_policies(ctx: PolicyContext) -> list[Json]:
    name = "OwaMailboxPolicy-Default"
    return [
        {
            "Identity": name,
            "Name": name,
            "IsDefault": True,
            "AdditionalStorageProvidersAvailable": ctx.posture == "weak",
            "WacExternalServicesEnabled": True,
        }
    ]


def mailbox_audit_actions(ctx: PolicyContext) -> dict[str, list[str]]:
    if ctx.posture != "strong":
        return DEFAULT_AUDIT
    return {field: sorted(actions + EXTRA_AUDIT[field]) for field, actions in DEFAULT_AUDIT.items()}


def fixture(ctx: PolicyContext, partner_domain: str, mail_domain: str, shared: list[str]) -> Json:
    """The keys this module adds to a fixture's `exchange` object (`shared`: the shared mailboxes'
    addresses)."""
    return {
        "transportRules": transport_rules(ctx, partner_domain, mail_domain),
        "sharingPolicies": sharing_policies(ctx, partner_domain),
        "roleAssignmentPolicies": role_assignment_policies(ctx),
        "owaMailboxPolicies": owa_mailbox_policies(ctx),
        "mailboxAuditActions": mailbox_audit_actions(ctx),
        # Mailboxes (by alias) exempt from auditing: the weak tenant exempted a shared mailbox that a
        # noisy archiving tool reads.
        "auditBypass": [shared[0].split("@")[0]] if ctx.posture == "weak" and shared else [],
    }


def audit_bypass(tenant: Any) -> list[Json]:
    """One row per mailbox, as Get-MailboxAuditBypassAssociation -ResultSize Unlimited lists them."""
    bypassed = {name.lower() for name in tenant.data["exchange"].get("auditBypass", [])}
    return [
        {
            "Identity": row["Identity"],
            "Name": row["Name"],
            "ObjectId": row["ExternalDirectoryObjectId"],
            "AuditBypassEnabled": row["Name"].lower() in bypassed,
        }
        for row in tenant.mailboxes()
    ]


_LISTED = frozenset({"Identity"})
CMDLETS: dict[str, tuple[Callable[[Any], list[Json]], frozenset[str]]] = {
    "Get-TransportRule": (
        lambda t: t.data["exchange"]["transportRules"],
        frozenset({"Identity", "ResultSize"}),
    ),
    "Get-SharingPolicy": (lambda t: t.data["exchange"]["sharingPolicies"], _LISTED),
    "Get-RoleAssignmentPolicy": (lambda t: t.data["exchange"]["roleAssignmentPolicies"], _LISTED),
    "Get-OwaMailboxPolicy": (lambda t: t.data["exchange"]["owaMailboxPolicies"], _LISTED),
    "Get-MailboxAuditBypassAssociation": (audit_bypass, frozenset({"Identity", "ResultSize"})),
}
