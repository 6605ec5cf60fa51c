"""Threat policies of the demo tenants, as Exchange Online's Get- cmdlets print them.

- weak (Contoso Dental, no Defender for Office 365): only the default policies, loosened: spam
  tagged and delivered, an allowed partner domain, an allowed IP and the safe list, no attachment
  filter, spoofed mail delivered without the unauthenticated-sender tip, outbound limits unset.
- mixed (Northwind Logistics, Business Premium, so Defender Plan 1): the Standard preset was tried
  and switched off; custom policies cover the main domain only, so the default policies decide for
  the rest; Safe Links lets users click through and ignores Teams; an allowed sender; no admin copies.
- strong (Fabrikam Legal, E5): the Standard preset (EOP and Defender protections) applies to all
  recipients with two protected executives; SharePoint/OneDrive/Teams scanning and priority account
  protection on; the connection filter empty; outbound limits with notifications.

Property names and defaults follow the cmdlet references on learn.microsoft.com/powershell/module/
exchange/ (get-antiphishpolicy, get-hostedcontentfilterpolicy, get-malwarefilterpolicy,
get-safelinkspolicy, get-safeattachmentpolicy, get-eopprotectionpolicyrule, ...) and the recommended
values in learn.microsoft.com/defender-office-365/recommended-settings-for-eop-and-office365.
"""

from __future__ import annotations

from typing import Any

from devtools.graphsim.policies import Json, PolicyContext

STANDARD = "Standard Preset Security Policy"
STANDARD_SUFFIX = "1685455563123"  # preset policies carry the rule's name plus a creation stamp
# The common attachments filter's default list (Get-MalwareFilterPolicy FileTypes, shortened).
FILE_TYPES = [
    "ace",
    "ani",
    "apk",
    "app",
    "cab",
    "cmd",
    "com",
    "deb",
    "dmg",
    "exe",
    "hta",
    "img",
    "iso",
    "jar",
    "js",
    "jse",
    "lnk",
    "msi",
    "ps1",
    "reg",
    "scr",
    "vb",
    "vbe",
    "vbs",
    "wsf",
    "xll",
    "z",
]


def _rule(
    name: str,
    key: str,
    policy: str,
    priority: int,
    *,
    domains: list[str] | None = None,
    state: str = "Enabled",
    extra: Json | None = None,
) -> Json:
    return {
        "Identity": name,
        "Name": name,
        "State": state,
        "Priority": priority,
        key: policy,
        "SentTo": None,
        "SentToMemberOf": None,
        "RecipientDomainIs": domains,
        "ExceptIfSentTo": None,
        "ExceptIfSentToMemberOf": None,
        "ExceptIfRecipientDomainIs": None,
        "Comments": None,
        **(extra or {}),
    }


def _preset_name(kind: str = STANDARD) -> str:
    return kind + STANDARD_SUFFIX


def _antiphish(
    name: str,
    *,
    default: bool = False,
    good: bool = False,
    preset: bool = False,
    users: list[str] | None = None,
) -> Json:
    return {
        "Identity": name,
        "Name": name,
        "IsDefault": default,
        "Enabled": True,
        "RecommendedPolicyType": "Standard" if preset else "Custom",
        "EnableSpoofIntelligence": True,
        "EnableUnauthenticatedSender": good or preset,
        "EnableViaTag": True,
        "EnableFirstContactSafetyTips": False,
        "HonorDmarcPolicy": True,
        "AuthenticationFailAction": "MoveToJmf",
        "PhishThresholdLevel": 3 if preset else (2 if good else 1),
        "EnableMailboxIntelligence": True,
        "EnableMailboxIntelligenceProtection": preset,
        "MailboxIntelligenceProtectionAction": "MoveToJmf" if preset else "NoAction",
        "EnableOrganizationDomainsProtection": preset or good,
        "EnableTargetedDomainsProtection": False,
        "TargetedDomainsToProtect": [],
        "EnableTargetedUserProtection": bool(users),
        "TargetedUsersToProtect": users or [],
        "TargetedUserProtectionAction": "Quarantine" if preset else "NoAction",
        "TargetedDomainProtectionAction": "Quarantine" if preset else ("MoveToJmf" if good else "NoAction"),
        "EnableSimilarUsersSafetyTips": preset,
        "EnableSimilarDomainsSafetyTips": preset,
        "EnableUnusualCharactersSafetyTips": preset,
    }


def _antispam(
    name: str,
    *,
    default: bool = False,
    spam: str = "MoveToJmf",
    phish: str = "MoveToJmf",
    preset: bool = False,
    allowed_domains: list[str] | None = None,
    allowed: list[str] | None = None,
) -> Json:
    return {
        "Identity": name,
        "Name": name,
        "IsDefault": default,
        "RecommendedPolicyType": "Standard" if preset else "Custom",
        "SpamAction": spam,
        "HighConfidenceSpamAction": "Quarantine" if preset else spam,
        "PhishSpamAction": phish,
        "HighConfidencePhishAction": "Quarantine",
        "BulkThreshold": 6 if preset else 7,
        "AllowedSenderDomains": allowed_domains or [],
        "AllowedSenders": allowed or [],
        "BlockedSenderDomains": [],
        "ZapEnabled": True,
        "SpamZapEnabled": True,
        "PhishZapEnabled": True,
        "QuarantineRetentionPeriod": 30 if preset else 15,
    }


def _malware(
    name: str,
    *,
    default: bool = False,
    file_filter: bool = True,
    notify: str | None = None,
    preset: bool = False,
) -> Json:
    return {
        "Identity": name,
        "Name": name,
        "IsDefault": default,
        "RecommendedPolicyType": "Standard" if preset else "Custom",
        "EnableFileFilter": file_filter,
        "FileTypes": FILE_TYPES,
        "FileTypeAction": "Reject",
        "ZapEnabled": True,
        "QuarantineTag": "AdminOnlyAccessPolicy",
        "EnableInternalSenderAdminNotifications": notify is not None,
        "InternalSenderAdminAddress": notify,
        "EnableExternalSenderAdminNotifications": False,
    }


def _safe_links(name: str, *, built_in: bool = False, good: bool = False, preset: bool = False) -> Json:
    strong = good or preset
    return {
        "Identity": name,
        "Name": name,
        "IsBuiltInProtection": built_in,
        "RecommendedPolicyType": "Standard" if preset else "Custom",
        "EnableSafeLinksForEmail": True,
        "EnableSafeLinksForTeams": strong or built_in,
        "EnableSafeLinksForOffice": True,
        "ScanUrls": True,
        "DeliverMessageAfterScan": True,
        "EnableForInternalSenders": strong,
        "TrackClicks": strong or built_in,
        "AllowClickThrough": not strong,
        "DisableUrlRewrite": False,
        "DoNotRewriteUrls": [],
    }


def _safe_attachments(
    name: str, *, built_in: bool = False, action: str = "Block", preset: bool = False
) -> Json:
    return {
        "Identity": name,
        "Name": name,
        "IsBuiltInProtection": built_in,
        "RecommendedPolicyType": "Standard" if preset else "Custom",
        "Enable": True,
        "Action": action,
        "QuarantineTag": "AdminOnlyAccessPolicy",
        "Redirect": False,
    }


def _accepted(domains: list[str], initial: str) -> list[Json]:
    default = domains[0] if domains else initial
    return [
        {
            "Identity": d,
            "Name": d,
            "DomainName": d,
            "DomainType": "Authoritative",
            "Default": d == default,
            "InitialDomain": d == initial,
            "MatchSubDomains": False,
        }
        for d in [*domains, initial]
    ]


def _presets(posture: str) -> tuple[list[Json], list[Json]]:
    """Get-EOPProtectionPolicyRule and Get-ATPProtectionPolicyRule."""
    if posture == "weak":
        return [], []
    state = "Enabled" if posture == "strong" else "Disabled"
    eop = _rule(
        STANDARD,
        "HostedContentFilterPolicy",
        _preset_name(),
        1,
        state=state,
        extra={"AntiPhishPolicy": _preset_name(), "MalwareFilterPolicy": _preset_name()},
    )
    atp = _rule(
        STANDARD,
        "SafeLinksPolicy",
        _preset_name(),
        1,
        state=state,
        extra={"SafeAttachmentPolicy": _preset_name()},
    )
    return [eop], [atp]


def _custom(posture: str, domains: list[str], partner: str) -> dict[str, list[Json]]:
    """Custom policies and rules: Northwind's scoped to its main domain only."""
    if posture != "mixed":
        return {}
    main = domains[:1]
    name = "Northwind Logistics"
    return {
        "antiPhishPolicies": [_antiphish(f"{name} anti-phishing", good=True)],
        "antiPhishRules": [
            _rule(f"{name} anti-phishing", "AntiPhishPolicy", f"{name} anti-phishing", 0, domains=main)
        ],
        "hostedContentFilterPolicies": [
            _antispam(
                f"{name} inbound", spam="MoveToJmf", phish="Quarantine", allowed=[f"invoices@{partner}"]
            )
        ],
        "hostedContentFilterRules": [
            _rule(f"{name} inbound", "HostedContentFilterPolicy", f"{name} inbound", 0, domains=main)
        ],
        "malwareFilterPolicies": [_malware(f"{name} malware", notify=None)],
        "malwareFilterRules": [
            _rule(f"{name} malware", "MalwareFilterPolicy", f"{name} malware", 0, domains=main)
        ],
        "safeLinksPolicies": [_safe_links(f"{name} Safe Links")],
        "safeLinksRules": [
            _rule(f"{name} Safe Links", "SafeLinksPolicy", f"{name} Safe Links", 0, domains=domains)
        ],
        "safeAttachmentPolicies": [_safe_attachments(f"{name} Safe Attachments", action="DynamicDelivery")],
        "safeAttachmentRules": [
            _rule(
                f"{name} Safe Attachments",
                "SafeAttachmentPolicy",
                f"{name} Safe Attachments",
                0,
                domains=domains,
            )
        ],
    }


def defender_settings(
    ctx: PolicyContext, domains: list[str], initial: str, partner: str, licensed: bool
) -> Json:
    """Everything the Defender cmdlets answer for one tenant; `licensed` when it has Plan 1 or 2."""
    posture = ctx.posture
    weak, strong = posture == "weak", posture == "strong"
    mail = domains[0] if domains else initial
    users = [f"Managing Partner;managing.partner@{mail}", f"Finance Director;finance.director@{mail}"]
    eop_rules, atp_rules = _presets(posture)
    custom = _custom(posture, domains, partner)
    preset_on = bool(eop_rules)  # the preset's policies exist once it was set up, on or off
    data: dict[str, Any] = {
        "acceptedDomains": _accepted(domains, initial),
        "eopProtectionPolicyRules": eop_rules,
        "antiPhishPolicies": [
            _antiphish("Office365 AntiPhish Default", default=True, good=not weak),
            *([_antiphish(_preset_name(), preset=True, users=users)] if preset_on else []),
            *custom.get("antiPhishPolicies", []),
        ],
        "antiPhishRules": custom.get("antiPhishRules", []),
        "hostedContentFilterPolicies": [
            _antispam(
                "Default",
                default=True,
                spam="AddXHeader" if weak else "MoveToJmf",
                allowed_domains=[partner] if weak else [],
            ),
            *([_antispam(_preset_name(), preset=True, phish="Quarantine")] if preset_on else []),
            *custom.get("hostedContentFilterPolicies", []),
        ],
        "hostedContentFilterRules": custom.get("hostedContentFilterRules", []),
        "hostedConnectionFilterPolicy": [
            {
                "Identity": "Default",
                "Name": "Default",
                "IsDefault": True,
                "IPAllowList": ["203.0.113.25"] if weak else [],
                "IPBlockList": [],
                "EnableSafeList": not strong,
                "DirectoryBasedEdgeBlockMode": "Default",
            }
        ],
        "malwareFilterPolicies": [
            _malware(
                "Default", default=True, file_filter=not weak, notify=f"security@{mail}" if strong else None
            ),
            *([_malware(_preset_name(), preset=True, notify=None)] if preset_on else []),
            *custom.get("malwareFilterPolicies", []),
        ],
        "malwareFilterRules": custom.get("malwareFilterRules", []),
    }
    if licensed:
        data |= _defender_plan(posture, atp_rules, custom)
    return data


def _defender_plan(posture: str, atp_rules: list[Json], custom: dict[str, list[Json]]) -> Json:
    """What only a tenant with Defender for Office 365 answers: Safe Links, Safe Attachments, ..."""
    strong, preset_on = posture == "strong", posture != "weak"
    return {
        "atpProtectionPolicyRules": atp_rules,
        "safeLinksPolicies": [
            _safe_links("Built-In Protection Policy", built_in=True),
            *([_safe_links(_preset_name(), preset=True)] if preset_on else []),
            *custom.get("safeLinksPolicies", []),
        ],
        "safeLinksRules": custom.get("safeLinksRules", []),
        "safeAttachmentPolicies": [
            _safe_attachments("Built-In Protection Policy", built_in=True),
            *([_safe_attachments(_preset_name(), preset=True)] if preset_on else []),
            *custom.get("safeAttachmentPolicies", []),
        ],
        "safeAttachmentRules": custom.get("safeAttachmentRules", []),
        "atpPolicyForO365": [
            {
                "Identity": "Default",
                "Name": "Default",
                "EnableATPForSPOTeamsODB": strong,
                "EnableSafeDocs": strong,
                "AllowSafeDocsOpen": False,
            }
        ],
        "emailTenantSettings": [
            {
                "Identity": "Default",
                "Name": "Default",
                "EnablePriorityAccountProtection": strong,
                "IsValid": True,
                "ObjectState": "Unchanged",
            }
        ],
    }
