"""SharePoint and OneDrive protections beyond sharing, from the admin API (GET /_api/SPO.Tenant):
infected files, custom script and the guest model. The source, its permission and how values read
are described in core/checks/sharepoint_admin.py."""

from __future__ import annotations

from core.checks.helpers import check, metadata, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.sharepoint_admin import CATEGORY, SET_TENANT, SOURCE, flag, tenant_settings
from core.collect.sources import SHAREPOINT


@check(
    metadata(
        id="sharepoint.infected_files_blocked",
        title="Files found to be infected cannot be downloaded",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        licence=SHAREPOINT,
        rationale=(
            "When malware scanning (Safe Attachments for SharePoint, OneDrive and Teams) flags a file, "
            "people can still download it unless downloads of infected files are refused, and the "
            "malware then runs on their devices."
        ),
        remediation=steps(
            "Connect with SharePoint Online PowerShell (Connect-SPOService -Url "
            "https://<tenant>-admin.sharepoint.com).",
            "Run Set-SPOTenant -DisallowInfectedFileDownload $true.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/defender-office-365/safe-attachments-for-spo-odfb-teams-configure",
            SET_TENANT,
        ),
    )
)
def infected_files_blocked(snapshot: TenantSnapshot) -> Outcome:
    blocked = flag(tenant_settings(snapshot), "DisallowInfectedFileDownload")
    if blocked:
        return passed("SharePoint and OneDrive refuse to download files found to be infected.")
    return failed(
        "People can download files that malware scanning found to be infected.",
        [{"DisallowInfectedFileDownload": blocked}],
    )


@check(
    metadata(
        id="sharepoint.custom_script_enforced",
        title="Custom script is not kept enabled on sites past Microsoft's reset",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        licence=SHAREPOINT,
        rationale=(
            "Custom script lets site owners add code that runs for every visitor of a site, outside the "
            "controls on apps. SharePoint now turns custom script back off on sites within a day of it "
            "being allowed, unless the tenant has set DelayDenyAddAndCustomizePagesEnforcement to keep it "
            "on. This check reads that tenant-wide opt-out; it does not list each site's own setting "
            "(DenyAddAndCustomizePages), which CIS audits site by site."
        ),
        remediation=steps(
            "Connect with SharePoint Online PowerShell (Connect-SPOService).",
            "Run Set-SPOTenant -DelayDenyAddAndCustomizePagesEnforcement $false.",
            "Review sites that still allow it: Get-SPOSite | Where DenyAddAndCustomizePages -eq Disabled, "
            "then Set-SPOSite -Identity <url> -DenyAddAndCustomizePages $true.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/sharepoint/allow-or-prevent-custom-script",
            SET_TENANT,
        ),
    )
)
def custom_script_enforced(snapshot: TenantSnapshot) -> Outcome:
    delayed = flag(tenant_settings(snapshot), "DelayDenyAddAndCustomizePagesEnforcement")
    if not delayed:
        return passed("SharePoint turns custom script back off on sites where it was allowed.")
    return failed(
        "The tenant keeps custom script enabled on sites instead of letting SharePoint turn it off.",
        [{"DelayDenyAddAndCustomizePagesEnforcement": delayed}],
    )


@check(
    metadata(
        id="sharepoint.b2b_integration_enabled",
        title="SharePoint and OneDrive share with guests through Entra B2B",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(SOURCE,),
        licence=SHAREPOINT,
        rationale=(
            "With Entra B2B integration, people outside the organisation get guest accounts in the "
            "directory, where Conditional Access, access reviews and guest expiry apply to them; without "
            "it, SharePoint keeps its own one-time-passcode recipients that the directory never sees."
        ),
        remediation=steps(
            "Connect with SharePoint Online PowerShell (Connect-SPOService).",
            "Run Set-SPOTenant -EnableAzureADB2BIntegration $true.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/sharepoint/sharepoint-azureb2b-integration",
            SET_TENANT,
        ),
    )
)
def b2b_integration_enabled(snapshot: TenantSnapshot) -> Outcome:
    enabled = flag(tenant_settings(snapshot), "EnableAzureADB2BIntegration")
    if enabled:
        return passed("SharePoint and OneDrive invite guests through Entra B2B.")
    return failed(
        "SharePoint and OneDrive share with people outside the directory, not through Entra B2B.",
        [{"EnableAzureADB2BIntegration": enabled}],
    )


CHECKS = (infected_files_blocked, custom_script_enforced, b2b_integration_enabled)
