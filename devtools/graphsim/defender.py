"""Exchange Online Protection and Defender for Office 365 cmdlets, for the Exchange dispatcher.

Each answers from the tenant fixture's "defender" data (built by defender_data.py), as rows of
Collection(Exchange.GenericHashTable) like every other cmdlet (exchange.py pages them and adds
@adminapi.warnings). Every cmdlet takes -Identity.

Exchange provisions the Defender for Office 365 cmdlets (Safe Links, Safe Attachments, the ATP preset
rule, Get-AtpPolicyForO365, Get-EmailTenantSettings) only in organisations licensed for them; elsewhere
the name is unknown and Exchange answers as for any unknown cmdlet ("The term '...' is not recognized
as a name of a cmdlet", PowerShell's CommandNotFoundException). ScubaGear reads a failed
Get-AtpPolicyForO365 or Get-ATPProtectionPolicyRule the same way, as "no Defender licence"
(cisagov/ScubaGear Modules/Providers/ExportSecuritySuiteProvider.psm1, its defender_license, and the
licence note DEFLICENSEWARNSTR in Rego/Utils/SecuritySuite.rego). The cmdlet references describe
these as Defender for Office 365 features (learn.microsoft.com/powershell/module/exchange/
get-safelinkspolicy: "Safe Links is a feature in Microsoft Defender for Office 365"; likewise
get-safeattachmentpolicy and get-atpprotectionpolicyrule); that the unlicensed answer is the unknown-
cmdlet one is the behaviour ScubaGear's provider above is written for, not a documented status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.collect.sources import DEFENDER_P1, DEFENDER_P2
from devtools.graphsim.tenant import Tenant

Rows = Callable[[Tenant], list[dict[str, Any]]]
IDENTITY = frozenset({"Identity"})

_EOP = {
    "Get-AcceptedDomain": "acceptedDomains",
    "Get-EOPProtectionPolicyRule": "eopProtectionPolicyRules",
    "Get-AntiPhishPolicy": "antiPhishPolicies",
    "Get-AntiPhishRule": "antiPhishRules",
    "Get-HostedContentFilterPolicy": "hostedContentFilterPolicies",
    "Get-HostedContentFilterRule": "hostedContentFilterRules",
    "Get-HostedConnectionFilterPolicy": "hostedConnectionFilterPolicy",
    "Get-MalwareFilterPolicy": "malwareFilterPolicies",
    "Get-MalwareFilterRule": "malwareFilterRules",
}
_DEFENDER = {
    "Get-ATPProtectionPolicyRule": "atpProtectionPolicyRules",
    "Get-SafeLinksPolicy": "safeLinksPolicies",
    "Get-SafeLinksRule": "safeLinksRules",
    "Get-SafeAttachmentPolicy": "safeAttachmentPolicies",
    "Get-SafeAttachmentRule": "safeAttachmentRules",
    "Get-AtpPolicyForO365": "atpPolicyForO365",
    "Get-EmailTenantSettings": "emailTenantSettings",
}
LICENSED_CMDLETS = frozenset(name.lower() for name in _DEFENDER)


def _reader(key: str) -> Rows:
    return lambda tenant: list((tenant.data.get("defender") or {}).get(key) or [])


CMDLETS: dict[str, tuple[Rows, frozenset[str]]] = {
    name: (_reader(key), IDENTITY) for name, key in (_EOP | _DEFENDER).items()
}


def provisioned(tenant: Tenant, cmdlet: str, missing: frozenset[str]) -> bool:
    """Whether the organisation has this cmdlet: Defender's only with Plan 1 or Plan 2."""
    if cmdlet.lower() not in LICENSED_CMDLETS:
        return True
    return bool(tenant.licences(missing) & {DEFENDER_P1, DEFENDER_P2})
