"""Exchange Online: SMTP AUTH, mailbox auditing, modern authentication, external tagging and MailTips.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md). The per-mailbox SMTP AUTH and AuditEnabled
checks cover no control of their own: the frameworks test the organisation-wide settings.

Data comes from the Exchange Online admin API (InvokeCommand) with PowerShell property names:
Get-TransportConfig.SmtpClientAuthenticationDisabled; Get-CASMailbox.{PrimarySmtpAddress,
SmtpClientAuthenticationDisabled} where True disables, False explicitly enables even when the
organisation disables SMTP AUTH, and null inherits the organisation setting;
Get-OrganizationConfig.{AuditDisabled, OAuth2ClientProfileEnabled, MailTips*};
Get-Mailbox.{PrimarySmtpAddress, AuditEnabled}; Get-ExternalInOutlook.Enabled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.helpers import (
    capped,
    check,
    first_object,
    is_false,
    is_true,
    metadata,
    objects,
    plural,
    shown,
    steps,
    verb,
)
from core.checks.model import Outcome, Severity, TenantSnapshot, error, failed, passed

CATEGORY = "Exchange Online"
TRANSPORT = "exo_transport_config"
CAS = "exo_cas_mailboxes"
ORG = "exo_organization_config"
MAILBOXES = "exo_mailboxes"
SMTP_DOCS = "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission"
MAX_LARGE_AUDIENCE = 25


def _single(snapshot: TenantSnapshot, source: str, cmdlet: str) -> Mapping[str, Any] | Outcome:
    found = first_object(snapshot.get(source))
    return found if found is not None else error(f"{cmdlet} returned no object.")


def mailbox_name(mailbox: Mapping[str, Any]) -> str:
    return str(
        mailbox.get("PrimarySmtpAddress") or mailbox.get("UserPrincipalName") or mailbox.get("Identity")
    )


@check(
    metadata(
        id="exo.smtp_auth_disabled",
        title="SMTP AUTH is disabled for the organisation",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(TRANSPORT,),
        rationale=(
            "Authenticated SMTP submission uses basic authentication, which cannot do MFA: it is a favourite "
            "path for password spraying and for sending phishing from compromised mailboxes. Modern "
            "clients do not need it."
        ),
        remediation=steps(
            "Exchange admin center > Settings > Mail flow.",
            "Tick 'Turn off SMTP AUTH protocol for your organization' and Save "
            "(or Set-TransportConfig -SmtpClientAuthenticationDisabled $true).",
            "Re-enable it only on the specific mailboxes of devices or apps that still need it "
            "(Set-CASMailbox -SmtpClientAuthenticationDisabled $false), and plan to replace them.",
        ),
        references=(SMTP_DOCS,),
    )
)
def smtp_auth_disabled(snapshot: TenantSnapshot) -> Outcome:
    config = _single(snapshot, TRANSPORT, "Get-TransportConfig")
    if isinstance(config, Outcome):
        return config
    value = config.get("SmtpClientAuthenticationDisabled")
    if is_true(value):
        return passed("SMTP AUTH is disabled for the organisation.")
    return failed(
        "SMTP AUTH is enabled for the organisation (SmtpClientAuthenticationDisabled is not true).",
        [{"SmtpClientAuthenticationDisabled": value}],
    )


@check(
    metadata(
        id="exo.smtp_auth_mailboxes",
        title="No mailboxes can use SMTP AUTH",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(CAS, TRANSPORT),
        rationale=(
            "A mailbox whose SmtpClientAuthenticationDisabled is False accepts SMTP AUTH even when the "
            "organisation turned it off; a mailbox with no value inherits the organisation setting. Every "
            "mailbox that can use SMTP AUTH is an MFA-free way in."
        ),
        remediation=steps(
            "For each listed mailbox confirm whether a device or application really sends through it.",
            "If not: Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $true "
            "(or $null to follow a disabled organisation setting).",
            "If so: move the sender to OAuth, Microsoft Graph sendMail or a connector, then disable SMTP "
            "AUTH on the mailbox.",
        ),
        references=(SMTP_DOCS,),
    )
)
def smtp_auth_mailboxes(snapshot: TenantSnapshot) -> Outcome:
    config = _single(snapshot, TRANSPORT, "Get-TransportConfig")
    if isinstance(config, Outcome):
        return config
    org_disabled = is_true(config.get("SmtpClientAuthenticationDisabled"))
    mailboxes = objects(snapshot.get(CAS))
    enabled: list[dict[str, Any]] = []
    explicit = 0
    for mailbox in mailboxes:
        value = mailbox.get("SmtpClientAuthenticationDisabled")
        if is_false(value):
            explicit += 1
            enabled.append({"mailbox": mailbox_name(mailbox), "SmtpClientAuthenticationDisabled": False})
        elif value is None and not org_disabled:
            enabled.append({"mailbox": mailbox_name(mailbox), "SmtpClientAuthenticationDisabled": None})
    if not enabled:
        return passed(f"None of {plural(len(mailboxes), 'mailbox', 'mailboxes')} can use SMTP AUTH.")
    org = "disabled" if org_disabled else "enabled"
    return failed(
        f"{plural(len(enabled), 'mailbox', 'mailboxes')} can use SMTP AUTH ({explicit} explicitly enabled; "
        f"organisation setting {org}).{shown(len(enabled))}",
        capped(enabled),
    )


@check(
    metadata(
        id="exo.org_mailbox_auditing",
        title="Mailbox auditing is on for the organisation",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ORG,),
        rationale=(
            "Mailbox audit records (mail read, moved, deleted, sent as) are how an investigation works out "
            "what an attacker did in a mailbox. AuditDisabled = True switches it off for every mailbox."
        ),
        remediation=steps(
            "Connect with Exchange Online PowerShell (Connect-ExchangeOnline).",
            "Run Set-OrganizationConfig -AuditDisabled $false.",
            "Confirm with Get-OrganizationConfig | Format-List AuditDisabled.",
        ),
        references=("https://learn.microsoft.com/en-us/purview/audit-mailboxes",),
    )
)
def org_mailbox_auditing(snapshot: TenantSnapshot) -> Outcome:
    config = _single(snapshot, ORG, "Get-OrganizationConfig")
    if isinstance(config, Outcome):
        return config
    value = config.get("AuditDisabled")
    if is_false(value):
        return passed("Mailbox auditing is on by default for the organisation (AuditDisabled is false).")
    return failed("Mailbox auditing is turned off for the organisation.", [{"AuditDisabled": value}])


@check(
    metadata(
        id="exo.mailbox_audit_enabled",
        title="No mailboxes have auditing switched off",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(MAILBOXES,),
        rationale=(
            "A mailbox with AuditEnabled = False was deliberately opted out of auditing at some point. "
            "Microsoft's on-by-default auditing still logs default actions, but the flag marks mailboxes "
            "whose custom audit configuration was removed and makes the tenant's intent ambiguous; set it "
            "back so every mailbox is explicitly audited."
        ),
        remediation=steps(
            "Connect with Exchange Online PowerShell (Connect-ExchangeOnline).",
            "For each listed mailbox run Set-Mailbox -Identity <mailbox> -AuditEnabled $true.",
            "Check nobody is exempted with Get-MailboxAuditBypassAssociation.",
        ),
        references=("https://learn.microsoft.com/en-us/purview/audit-mailboxes",),
    )
)
def mailbox_audit_enabled(snapshot: TenantSnapshot) -> Outcome:
    mailboxes = objects(snapshot.get(MAILBOXES))
    off = [
        {"mailbox": mailbox_name(m), "AuditEnabled": m.get("AuditEnabled")}
        for m in mailboxes
        if is_false(m.get("AuditEnabled"))
    ]
    if not off:
        return passed(f"Auditing is enabled on all {plural(len(mailboxes), 'mailbox', 'mailboxes')}.")
    return failed(
        f"{plural(len(off), 'mailbox', 'mailboxes')} of {len(mailboxes)} {verb(len(off), 'has', 'have')} "
        "AuditEnabled set to False."
        f"{shown(len(off))}",
        capped(off),
    )


@check(
    metadata(
        id="exo.modern_auth_enabled",
        title="Modern authentication is enabled for Exchange Online",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ORG,),
        rationale=(
            "Without modern authentication (OAuth 2.0) Outlook falls back to basic authentication, which "
            "bypasses MFA and Conditional Access."
        ),
        remediation=steps(
            "Microsoft 365 admin center > Settings > Org settings > Modern authentication: tick 'Turn on "
            "modern authentication for Outlook 2013 for Windows and later' and Save.",
            "Or run Set-OrganizationConfig -OAuth2ClientProfileEnabled $true in Exchange Online PowerShell.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/enable-or-disable-modern-authentication-in-exchange-online",
        ),
    )
)
def modern_auth_enabled(snapshot: TenantSnapshot) -> Outcome:
    config = _single(snapshot, ORG, "Get-OrganizationConfig")
    if isinstance(config, Outcome):
        return config
    value = config.get("OAuth2ClientProfileEnabled")
    if is_true(value):
        return passed("Modern authentication is enabled for Exchange Online.")
    return failed(
        "Modern authentication is disabled for Exchange Online.", [{"OAuth2ClientProfileEnabled": value}]
    )


@check(
    metadata(
        id="exo.external_sender_tagging",
        title="Email from external senders is tagged in Outlook",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=("exo_external_in_outlook",),
        rationale=(
            "An 'External' tag on messages from outside the organisation helps users spot impersonation of "
            "colleagues and executives, a staple of business email compromise."
        ),
        remediation=steps(
            "Connect with Exchange Online PowerShell (Connect-ExchangeOnline).",
            "Run Set-ExternalInOutlook -Enabled $true (the tag can take 24-48 hours to appear).",
            "Optionally add trusted partner domains with -AllowList.",
        ),
        references=("https://learn.microsoft.com/en-us/powershell/module/exchange/set-externalinoutlook",),
    )
)
def external_sender_tagging(snapshot: TenantSnapshot) -> Outcome:
    config = _single(snapshot, "exo_external_in_outlook", "Get-ExternalInOutlook")
    if isinstance(config, Outcome):
        return config
    value = config.get("Enabled")
    if is_true(value):
        return passed("Outlook tags email from external senders.")
    return failed("Outlook does not tag email from external senders.", [{"Enabled": value}])


MAILTIPS = ("MailTipsAllTipsEnabled", "MailTipsExternalRecipientsTipsEnabled", "MailTipsGroupMetricsEnabled")


@check(
    metadata(
        id="exo.mailtips_enabled",
        title="MailTips warn users about external and large-audience recipients",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(ORG,),
        rationale=(
            "MailTips warn before a message leaves the organisation or reaches a large audience, catching "
            "misdirected email and reply-all accidents before sending."
        ),
        remediation=steps(
            "Connect with Exchange Online PowerShell (Connect-ExchangeOnline).",
            "Run Set-OrganizationConfig -MailTipsAllTipsEnabled $true "
            "-MailTipsExternalRecipientsTipsEnabled $true -MailTipsGroupMetricsEnabled $true "
            f"-MailTipsLargeAudienceThreshold {MAX_LARGE_AUDIENCE}.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/mailtips/mailtips",
        ),
    )
)
def mailtips_enabled(snapshot: TenantSnapshot) -> Outcome:
    config = _single(snapshot, ORG, "Get-OrganizationConfig")
    if isinstance(config, Outcome):
        return config
    gaps: list[dict[str, Any]] = [
        {"setting": s, "value": config.get(s)} for s in MAILTIPS if not is_true(config.get(s))
    ]
    threshold = config.get("MailTipsLargeAudienceThreshold")
    if isinstance(threshold, int) and threshold > MAX_LARGE_AUDIENCE:
        gaps.append({"setting": "MailTipsLargeAudienceThreshold", "value": threshold})
    if not gaps:
        note = "" if isinstance(threshold, int) else " (large-audience threshold not reported)"
        return passed(f"MailTips for all, external recipients and group metrics are on{note}.")
    return failed(f"{plural(len(gaps), 'MailTips setting')} not configured as recommended.", gaps)


CHECKS = (
    smtp_auth_disabled,
    smtp_auth_mailboxes,
    org_mailbox_auditing,
    mailbox_audit_enabled,
    modern_auth_enabled,
    external_sender_tagging,
    mailtips_enabled,
)
