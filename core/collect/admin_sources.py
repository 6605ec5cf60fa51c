"""What a scan reads through the admin services Graph does not cover: SharePoint's admin REST API
(core/collect/sharepoint_admin.py) and the Teams admin service (core/collect/teams.py). Part of the
contract core/collect/sources.py describes."""

from __future__ import annotations

from dataclasses import dataclass

# "Office 365 SharePoint Online": the API whose application permissions the SharePoint admin REST
# API checks (its app roles are not Graph's, though some share their names).
SHAREPOINT_ONLINE_APP_ID = "00000003-0000-0ff1-ce00-000000000000"
# SharePoint Online (Plan 1). Any SharePoint Online plan will do: core.checks.licensing.SATISFIED_BY
# lists the others that provide the service.
SHAREPOINT = "SHAREPOINTSTANDARD"


@dataclass(frozen=True)
class SharePointAdminSource:
    """One GET on a tenant's SharePoint admin REST API, `https://<initial prefix>-admin.sharepoint.com`
    (core.collect.sharepoint_admin): what Graph's /admin/sharepoint/settings leaves out.

    SharePoint accepts an app-only token there only from a certificate credential and only with its
    own `Sites.FullControl.All`, which can write: the permission is optional (docs/deploy.md)."""

    name: str
    path: str  # relative to the admin host
    permission: str = "Sites.FullControl.All"
    licence: str | None = SHAREPOINT
    # Properties every valid answer carries: an answer without them is an error, never settings.
    required: tuple[str, ...] = ()


SHAREPOINT_ADMIN_SOURCES: tuple[SharePointAdminSource, ...] = (
    # The tenant's properties, as Get-SPOTenant / Get-PnPTenant show them (ScubaGear reads exactly
    # this: cisagov/ScubaGear PowerShell/ScubaGear/Modules/Providers/ProviderHelpers/SPORestHelper.psm1,
    # Get-SPOTenantRest, GET <admin url>/_api/SPO.Tenant with odata=verbose).
    SharePointAdminSource("spo_tenant", "/_api/SPO.Tenant", required=("SharingCapability",)),
)

# Microsoft Teams' plan: a tenant whose subscriptions lack it has no Teams settings to judge.
TEAMS_PLAN = "TEAMS1"


@dataclass(frozen=True)
class TeamsSource:
    """One read of the Teams admin service (core/collect/teams.py): every instance of one ConfigAPI
    type, the data the MicrosoftTeams module's `cmdlet` returns. No application permission is
    consented for it: the directory role the app's service principal holds authorises the call."""

    name: str
    config_type: str  # the path segment under /Skype.Policy/configurations/
    cmdlet: str  # the cmdlet that reads the same, named in the request and in failures
    permission: str | None = None
    licence: str = TEAMS_PLAN


TEAMS_SOURCES: tuple[TeamsSource, ...] = (
    TeamsSource("teams_federation", "TenantFederationSettings", "Get-CsTenantFederationConfiguration"),
    TeamsSource("teams_client_configuration", "TeamsClientConfiguration", "Get-CsTeamsClientConfiguration"),
    TeamsSource("teams_meeting_policies", "TeamsMeetingPolicy", "Get-CsTeamsMeetingPolicy"),
    TeamsSource(
        "teams_broadcast_policies", "TeamsMeetingBroadcastPolicy", "Get-CsTeamsMeetingBroadcastPolicy"
    ),
    TeamsSource("teams_messaging_policies", "TeamsMessagingPolicy", "Get-CsTeamsMessagingPolicy"),
    TeamsSource(
        "teams_app_permission_policies", "TeamsAppPermissionPolicy", "Get-CsTeamsAppPermissionPolicy"
    ),
)
