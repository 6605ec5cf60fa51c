"""Whether a tenant holds a service plan, read from its own `subscribedSkus`.

This is the only place the product decides "licensed or not". An error code from Graph may claim a
tenant is not licensed, but Graph also answers that way, intermittently, for tenants that are
(microsoftgraph/microsoft-graph-docs-contrib#3033 and microsoft-graph-docs#12537: P1 tenants told
"Neither tenant is B2C or tenant doesn't have premium license" nine times in ten). So a check is
`not_applicable` only when the subscriptions the tenant reports lack the plan; ScubaGear makes the same
decision from the same data (cisagov/ScubaGear PowerShell/ScubaGear/Modules/Providers/
ExportAADProvider.psm1 reads Get-MgSubscribedSku service plans before calling the PIM cmdlets).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.collect.sources import DEFENDER_P1, DEFENDER_P2, P1, P2, SHAREPOINT

SUBSCRIBED_SKUS = "subscribed_skus"

# A subscription whose capabilityStatus is Enabled, or Warning (the grace period after expiry), still
# provides its services (learn.microsoft.com/graph/api/resources/subscribedsku: capabilityStatus).
ACTIVE_SKU_STATES = frozenset({"Enabled", "Warning"})
# A service plan is provisioned when its provisioningStatus is Success, as ScubaGear reads it
# (ExportAADProvider.psm1: `Where-Object -Property ProvisioningStatus -eq -Value "Success"`).
PROVISIONED = "Success"
# Entra ID P2 includes every P1 capability (learn.microsoft.com/entra/fundamentals/licensing), so a
# tenant whose only premium subscription carries the P2 plan is not "without P1".
# Likewise Defender for Office 365 Plan 2 includes Plan 1 (learn.microsoft.com/defender-office-365/
# mdo-about, "Defender for Office 365 Plan 1 vs Plan 2").
SATISFIED_BY: dict[str, frozenset[str]] = {
    P1: frozenset({P1, P2}),
    DEFENDER_P1: frozenset({DEFENDER_P1, DEFENDER_P2}),
    # SharePoint Online: Plan 1 (Business and E1/F plans' SHAREPOINTSTANDARD), Plan 2 (E3/E5
    # SHAREPOINTENTERPRISE), the kiosk plan of F1/F3 (SHAREPOINTDESKLESS), the Education variants and
    # the developer plan; service plan names as in learn.microsoft.com/entra/identity/users/
    # licensing-service-plan-reference.
    SHAREPOINT: frozenset(
        {
            SHAREPOINT,
            "SHAREPOINTENTERPRISE",
            "SHAREPOINTDESKLESS",
            "SHAREPOINTSTANDARD_EDU",
            "SHAREPOINTENTERPRISE_EDU",
            "SHAREPOINT_S_DEVELOPER",
        }
    ),
}


def active_plans(skus: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Service plan names provisioned in an active subscription, upper-cased: Graph's spelling of
    a plan name is compared without regard to case, like every id."""
    return frozenset(
        str(plan.get("servicePlanName")).upper()
        for sku in skus
        if isinstance(sku, Mapping) and sku.get("capabilityStatus") in ACTIVE_SKU_STATES
        for plan in sku.get("servicePlans") or []
        if isinstance(plan, Mapping) and plan.get("provisioningStatus") == PROVISIONED
    )


def holds_plan(skus: Iterable[Mapping[str, Any]], plan: str) -> bool:
    wanted = SATISFIED_BY.get(plan.upper(), frozenset({plan.upper()}))
    return bool(active_plans(skus) & {p.upper() for p in wanted})
