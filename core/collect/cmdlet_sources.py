"""What a scan reads through the Exchange Online admin API's `InvokeCommand` and the same API on the
Security & Compliance endpoint: one read-only Get- cmdlet per source (core/collect/exchange.py).
Part of the contract core/collect/sources.py describes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Microsoft Defender for Office 365 Plan 1 and Plan 2 (Plan 2 includes everything Plan 1 does).
DEFENDER_P1 = "ATP_ENTERPRISE"
DEFENDER_P2 = "THREAT_INTELLIGENCE"


@dataclass(frozen=True)
class ExchangeSource:
    """One Exchange Online admin API `InvokeCommand` call (a read-only Get- cmdlet), or one on the
    Security & Compliance endpoint (`endpoint="compliance"`: the same API, its own token resource)."""

    name: str
    cmdlet: str
    parameters: dict[str, object] = field(default_factory=dict)
    permission: str = "Exchange.ManageAsApp"
    # The service plan the cmdlet needs: Exchange provisions Defender for Office 365 cmdlets only in
    # tenants that hold it, and answers an unknown cmdlet otherwise (core.collect.failures).
    licence: str | None = None
    endpoint: Literal["exchange", "compliance"] = "exchange"
    # The properties to return ($select on InvokeCommand, as CIPP's New-ExoRequest sends it:
    # KelvinTegelaar/CIPP-API Modules/CIPPCore/Public/GraphHelper/New-ExoRequest.ps1). A Get-Mailbox
    # row carries some 200 properties; the checks read about a dozen, so for the per-mailbox cmdlets
    # this cuts what a scan downloads and parses several times over. Empty: every property.
    # tests/unit/checks/test_selected_fields.py keeps it in step with what the checks read.
    select: tuple[str, ...] = ()
    bulk: bool = False  # as GraphSource.bulk


# Threat policies of Exchange Online Protection (every tenant) and Defender for Office 365 (Plan 1),
# judged by core/checks/defender*.py through the resolver in core/checks/defender_policies.py.
DEFENDER_SOURCES: tuple[ExchangeSource, ...] = (
    ExchangeSource("exo_accepted_domains", "Get-AcceptedDomain"),
    ExchangeSource("defender_eop_preset_rules", "Get-EOPProtectionPolicyRule"),
    ExchangeSource("defender_antiphish_policies", "Get-AntiPhishPolicy"),
    ExchangeSource("defender_antiphish_rules", "Get-AntiPhishRule"),
    ExchangeSource("defender_antispam_policies", "Get-HostedContentFilterPolicy"),
    ExchangeSource("defender_antispam_rules", "Get-HostedContentFilterRule"),
    ExchangeSource("defender_connection_filter", "Get-HostedConnectionFilterPolicy"),
    ExchangeSource("defender_malware_policies", "Get-MalwareFilterPolicy"),
    ExchangeSource("defender_malware_rules", "Get-MalwareFilterRule"),
    ExchangeSource("defender_atp_preset_rules", "Get-ATPProtectionPolicyRule", licence=DEFENDER_P1),
    ExchangeSource("defender_safe_links_policies", "Get-SafeLinksPolicy", licence=DEFENDER_P1),
    ExchangeSource("defender_safe_links_rules", "Get-SafeLinksRule", licence=DEFENDER_P1),
    ExchangeSource("defender_safe_attachment_policies", "Get-SafeAttachmentPolicy", licence=DEFENDER_P1),
    ExchangeSource("defender_safe_attachment_rules", "Get-SafeAttachmentRule", licence=DEFENDER_P1),
    ExchangeSource("defender_atp_o365", "Get-AtpPolicyForO365", licence=DEFENDER_P1),
    ExchangeSource("defender_email_tenant_settings", "Get-EmailTenantSettings", licence=DEFENDER_P1),
)

# How a check names a mailbox in its evidence (core.checks.exchange.mailbox_name).
MAILBOX_NAME_FIELDS = ("PrimarySmtpAddress", "UserPrincipalName", "Identity")

EXCHANGE_SOURCES: tuple[ExchangeSource, ...] = (
    ExchangeSource("exo_transport_config", "Get-TransportConfig"),
    ExchangeSource(
        "exo_cas_mailboxes",
        "Get-CASMailbox",
        {"ResultSize": "Unlimited"},
        select=(*MAILBOX_NAME_FIELDS, "SmtpClientAuthenticationDisabled"),
        bulk=True,
    ),
    ExchangeSource("exo_organization_config", "Get-OrganizationConfig"),
    ExchangeSource("exo_admin_audit_log_config", "Get-AdminAuditLogConfig"),
    ExchangeSource("exo_outbound_spam_policies", "Get-HostedOutboundSpamFilterPolicy"),
    ExchangeSource("exo_remote_domains", "Get-RemoteDomain"),
    ExchangeSource("exo_external_in_outlook", "Get-ExternalInOutlook"),
    ExchangeSource("exo_dkim_signing_config", "Get-DkimSigningConfig"),
    ExchangeSource(
        "exo_mailboxes",
        "Get-Mailbox",
        {"ResultSize": "Unlimited"},
        select=(
            *MAILBOX_NAME_FIELDS,
            "ExternalDirectoryObjectId",
            "RecipientTypeDetails",
            "AuditEnabled",
            "AuditOwner",
            "AuditDelegate",
            "AuditAdmin",
            "DeliverToMailboxAndForward",
            "ForwardingSmtpAddress",
        ),
        bulk=True,
    ),
    *DEFENDER_SOURCES,
    # Mail flow and sharing policies (core/checks/exchange_policies.py, exchange_mailboxes.py).
    ExchangeSource("exo_transport_rules", "Get-TransportRule", {"ResultSize": "Unlimited"}),
    ExchangeSource("exo_sharing_policies", "Get-SharingPolicy"),
    ExchangeSource("exo_role_assignment_policies", "Get-RoleAssignmentPolicy"),
    ExchangeSource("exo_owa_mailbox_policies", "Get-OwaMailboxPolicy"),
    ExchangeSource(
        "exo_mailbox_audit_bypass",
        "Get-MailboxAuditBypassAssociation",
        {"ResultSize": "Unlimited"},
        select=("Identity", "Name", "AuditBypassEnabled"),
        bulk=True,
    ),
    # Security & Compliance PowerShell (core/checks/compliance.py).
    ExchangeSource("sc_protection_alerts", "Get-ProtectionAlert", endpoint="compliance"),
    ExchangeSource(
        "sc_audit_retention_policies", "Get-UnifiedAuditLogRetentionPolicy", endpoint="compliance"
    ),
    ExchangeSource("sc_dlp_policies", "Get-DlpCompliancePolicy", endpoint="compliance"),
)
