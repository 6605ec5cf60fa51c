"""Exchange Online settings (as the Get- cmdlets print them) and the mail DNS records of a tenant."""

from __future__ import annotations

import zlib
from typing import Any

from devtools.graphsim.policies import Json, PolicyContext, days_before


def transport_config(ctx: PolicyContext) -> Json:
    return {
        "AddressBookPolicyRoutingEnabled": False,
        "AllowLegacyTLSClients": ctx.posture == "weak",
        "ClearCategories": True,
        "ConvertDisclaimerWrapperToEml": False,
        "DSNConversionMode": "UseExchangeDSNs",
        "ExternalDelayDsnEnabled": True,
        "ExternalDsnReportingAuthority": "",
        "InternalSMTPServers": [],
        "MaxReceiveSize": "36 MB (37,748,736 bytes)",
        "MaxRecipientEnvelopeLimit": "500",
        "MaxSendSize": "35 MB (36,700,160 bytes)",
        "ReplyAllStormProtectionEnabled": True,
        "SmtpClientAuthenticationDisabled": ctx.posture != "weak",
        "TLSReceiveDomainSecureList": [],
        "TLSSendDomainSecureList": [],
        "VoicemailJournalingEnabled": True,
    }


def organization_config(ctx: PolicyContext, display_name: str, initial_domain: str) -> Json:
    weak, strong = ctx.posture == "weak", ctx.posture == "strong"
    return {
        "Identity": initial_domain,
        "Name": initial_domain,
        "DisplayName": display_name,
        "Guid": ctx.tenant_id,
        "OAuth2ClientProfileEnabled": not weak,
        "AuditDisabled": weak,
        "CustomerLockBoxEnabled": strong,
        "RejectDirectSend": strong,  # Set-OrganizationConfig -RejectDirectSend (2025), False by default
        "MailTipsAllTipsEnabled": True,
        "MailTipsExternalRecipientsTipsEnabled": strong,
        "MailTipsGroupMetricsEnabled": True,
        "SmtpActionableMessagesEnabled": True,
        "DefaultAuthenticationPolicy": "Block Basic Auth" if strong else None,
        "IsDehydrated": False,
        "ActivityBasedAuthenticationTimeoutEnabled": True,
        "ConnectorsEnabled": not strong,
        "AutoExpandingArchiveEnabled": strong,
        "ElcProcessingDisabled": False,
    }


def admin_audit_log_config(ctx: PolicyContext) -> Json:
    enabled = ctx.posture != "weak"
    return {
        "Identity": "Admin Audit Log Settings",
        "Name": "Admin Audit Log Settings",
        "AdminAuditLogEnabled": True,
        "UnifiedAuditLogIngestionEnabled": enabled,
        "UnifiedAuditLogFirstOptInDate": days_before(ctx.as_of, 900) if enabled else None,
        "AdminAuditLogAgeLimit": "90.00:00:00",
        "AdminAuditLogCmdlets": ["*"],
        "AdminAuditLogParameters": ["*"],
        "AdminAuditLogExcludedCmdlets": [],
        "LogLevel": "None",
        "TestCmdletLoggingEnabled": False,
    }


def _outbound_policy(
    name: str, mode: str, *, default: bool, limits: bool, notify: list[str] | None = None
) -> Json:
    return {
        "Identity": name,
        "Name": name,
        "IsDefault": default,
        "AutoForwardingMode": mode,
        "AdminDisplayName": "",
        "RecipientLimitExternalPerHour": 500 if limits else 0,
        "RecipientLimitInternalPerHour": 1000 if limits else 0,
        "RecipientLimitPerDay": 1000 if limits else 0,
        "ActionWhenThresholdReached": "BlockUserForToday",
        "BccSuspiciousOutboundMail": limits,
        "BccSuspiciousOutboundAdditionalRecipients": notify or [],
        "NotifyOutboundSpam": limits,
        "NotifyOutboundSpamRecipients": notify or [],
    }


def outbound_spam_policies(ctx: PolicyContext, notify: str | None = None) -> list[Json]:
    """`notify`: the address the strong posture sends outbound-spam copies and notices to."""
    if ctx.posture == "weak":
        return [_outbound_policy("Default", "On", default=True, limits=False)]
    if ctx.posture == "mixed":
        return [
            _outbound_policy("Default", "Automatic", default=True, limits=True),
            _outbound_policy("Finance forwarding exception", "On", default=False, limits=True),
        ]
    return [
        _outbound_policy("Default", "Off", default=True, limits=True, notify=[notify] if notify else None)
    ]


def _remote_domain(name: str, domain: str, forward: bool) -> Json:
    return {
        "Identity": name,
        "Name": name,
        "DomainName": domain,
        "AutoForwardEnabled": forward,
        "AutoReplyEnabled": True,
        "AllowedOOFType": "External",
        "DeliveryReportEnabled": True,
        "NDREnabled": True,
        "MeetingForwardNotificationEnabled": False,
        "TNEFEnabled": None,
        "TrustedMailInboundEnabled": False,
        "TrustedMailOutboundEnabled": False,
        "CharacterSet": "iso-8859-1",
        "ContentType": "MimeHtmlText",
        "IsInternal": False,
    }


def remote_domains(ctx: PolicyContext, partner_domain: str) -> list[Json]:
    if ctx.posture == "strong":
        return [_remote_domain("Default", "*", False)]
    domains = [_remote_domain("Default", "*", ctx.posture == "weak")]
    if ctx.posture == "mixed":
        domains.append(_remote_domain("Partner", partner_domain, True))
    return domains


def external_in_outlook(ctx: PolicyContext, allow_list: list[str]) -> list[Json]:
    return [
        {
            "Identity": ctx.tenant_id,
            "Enabled": ctx.posture != "weak",
            "AllowList": list(allow_list) if ctx.posture == "strong" else [],
        }
    ]


def _selector_target(selector: str, domain: str, initial_domain: str) -> str:
    return f"{selector}-{domain.replace('.', '-')}._domainkey.{initial_domain}"


def dkim_signing_config(
    ctx: PolicyContext, custom_domains: list[str], initial_domain: str, dkim_domains: set[str]
) -> list[Json]:
    """One config per accepted domain; the *.onmicrosoft.com one is signed by default."""
    configs = []
    for domain in [initial_domain, *custom_domains]:
        enabled = domain == initial_domain or domain in dkim_domains
        configs.append(
            {
                "Identity": domain,
                "Name": domain,
                "Domain": domain,
                "Enabled": enabled,
                "Status": "Valid" if enabled else "CnameMissing",
                "Selector1CNAME": _selector_target("selector1", domain, initial_domain),
                "Selector2CNAME": _selector_target("selector2", domain, initial_domain),
                "Selector1KeySize": 2048,
                "Selector2KeySize": 2048,
                "KeyCreationTime": days_before(ctx.as_of, 500),
                "RotateOnDate": days_before(ctx.as_of, 496),
                "Algorithm": "RsaSHA256",
                "HeaderCanonicalization": "Relaxed",
                "BodyCanonicalization": "Relaxed",
                "IsDefault": domain == initial_domain,
                "LastChecked": days_before(ctx.as_of, 1),
            }
        )
    return configs


def dns_records(
    ctx: PolicyContext, custom_domains: list[str], initial_domain: str, dkim_domains: set[str]
) -> dict[str, Any]:
    """SPF, DMARC and DKIM CNAMEs per custom domain; the first custom domain is the main one, any
    others are secondary domains that send no mail of their own (and so often lack records)."""
    records: dict[str, Any] = {}
    for index, domain in enumerate(custom_domains):
        main = index == 0
        spf: list[str] = []
        dmarc: list[str] = []
        if ctx.posture == "weak":
            spf = ["v=spf1 include:spf.protection.outlook.com include:mailgun.example ~all"] if main else []
        elif ctx.posture == "mixed":
            spf = ["v=spf1 include:spf.protection.outlook.com ~all"] if main else []
            dmarc = [f"v=DMARC1; p=none; rua=mailto:dmarc@{domain}"] if main else []
        else:
            spf = ["v=spf1 include:spf.protection.outlook.com -all"]
            dmarc = [f"v=DMARC1; p=reject; pct=100; rua=mailto:dmarc-reports@{domain}; adkim=s; aspf=s"]
        signed = domain in dkim_domains
        records[domain] = {
            "mx": [f"{domain.replace('.', '-')}.mail.protection.outlook.com"],
            "txt": [f"MS=ms{zlib.crc32(domain.encode()) % 10**8:08d}"] if main else [],
            "spf": spf,
            "dmarc": dmarc,
            "dkim": {
                selector: _selector_target(selector, domain, initial_domain) if signed else None
                for selector in ("selector1", "selector2")
            },
        }
    return records
