"""The application permissions the scanner app asks each customer to consent to, derived from the
check catalogue and the sources a scan reads, so the deployment guide's list cannot drift.

`docs/deploy.md` embeds `permissions_markdown()` between markers; a test compares the two, and
`scanposture permissions` prints the table and the `requiredResourceAccess` JSON for the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.checks.catalogue import CATALOGUE
from core.checks.helpers import plural
from core.collect.sources import (
    ADMIN_USER_SOURCES,
    EXCHANGE_SOURCES,
    GRAPH_SOURCES,
    MICROSOFT_GRAPH_APP_ID,
    ROLE_GROUP_SOURCES,
    SHAREPOINT_ADMIN_SOURCES,
    SHAREPOINT_ONLINE_APP_ID,
    TEAMS_SOURCES,
    ExchangeSource,
    GraphSource,
    SharePointAdminSource,
)

EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"  # "Office 365 Exchange Online"

# The app-role ids of the permissions, as Microsoft publishes them (and the simulator mirrors).
APP_ROLE_IDS: dict[str, str] = {
    "AccessReview.Read.All": "d07a8cc0-3d51-4b77-b3b0-32704d1f69fa",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "AuditLog.Read.All": "b0afded3-3588-46d8-8b3d-9842eff778da",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Domain.Read.All": "dbb9058a-0e50-45d7-ae91-66909b5d4664",
    "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
    "Policy.Read.DeviceConfiguration": "bdba4817-6ba1-4a7c-8a01-be9bc7c242dd",
    "PrivilegedEligibilitySchedule.Read.AzureADGroup": "edb419d6-7edc-42a3-9345-509bfdf5d87c",
    "RoleManagement.Read.Directory": "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    "RoleManagementPolicy.Read.Directory": "fdc4c997-9942-4479-bfcb-75a36d1138df",
    "SecurityEvents.Read.All": "bf394140-e372-4bf9-a898-299cfc7564e5",
    "SharePointTenantSettings.Read.All": "83d4163d-a2d8-4d3b-9695-4ae3ca98f888",
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "UserAuthenticationMethod.Read.All": "38d9df27-64da-44fd-b7c5-a6fbac20248f",
    "Exchange.ManageAsApp": "dc50a0fb-09a3-484d-be87-e023b12c6440",
    "Mail.Send": "b633e1c5-b582-4048-a93e-9f11b44c7e96",
}
EXCHANGE_PERMISSIONS = {"Exchange.ManageAsApp"}
# Permissions of Office 365 SharePoint Online, a separate API from Graph (Graph has a permission of the
# same name with another id). Sites.FullControl.All: the app role ScubaGear's own app registration
# asks for to read tenant settings (cisagov/ScubaGear, its permissions table, resource
# 00000003-0000-0ff1-ce00-000000000000, id 678536fe-1083-478a-9c59-b99265e6b0d3).
SHAREPOINT_ROLE_IDS: dict[str, str] = {"Sites.FullControl.All": "678536fe-1083-478a-9c59-b99265e6b0d3"}
# Permissions an MSP may leave out: they can change the tenant, and the checks that need them report
# `error` naming them when they are missing (docs/deploy.md explains the trade-off).
OPTIONAL_PERMISSIONS = frozenset(SHAREPOINT_ROLE_IDS)
MAILER_PERMISSION = "Mail.Send"  # the mailer app's only permission, in the MSP's own tenant


@dataclass(frozen=True)
class AppPermission:
    name: str
    api_app_id: str
    role_id: str
    needed_by: tuple[str, ...]  # check ids, or the sources read for every scan
    optional: bool = False  # write-capable: asked for only when the MSP chooses to

    @property
    def api(self) -> str:
        return {
            EXCHANGE_ONLINE_APP_ID: "Office 365 Exchange Online",
            SHAREPOINT_ONLINE_APP_ID: "Office 365 SharePoint Online",
        }.get(self.api_app_id, "Microsoft Graph")


def _api_of(name: str) -> tuple[str, str]:
    """The API a permission belongs to, and its app-role id there."""
    if name in EXCHANGE_PERMISSIONS:
        return EXCHANGE_ONLINE_APP_ID, APP_ROLE_IDS[name]
    if name in SHAREPOINT_ROLE_IDS:
        return SHAREPOINT_ONLINE_APP_ID, SHAREPOINT_ROLE_IDS[name]
    return MICROSOFT_GRAPH_APP_ID, APP_ROLE_IDS[name]


def scanner_permissions() -> list[AppPermission]:
    """Every permission a check needs, plus those of sources every scan reads (licences, domains)."""
    needed: dict[str, list[str]] = {}
    for check in CATALOGUE:
        for permission in check.metadata.permissions:
            needed.setdefault(permission, []).append(check.metadata.id)
    sources: list[GraphSource | ExchangeSource | SharePointAdminSource] = [
        *GRAPH_SOURCES,
        *ROLE_GROUP_SOURCES,
        *ADMIN_USER_SOURCES,
        *EXCHANGE_SOURCES,
        *SHAREPOINT_ADMIN_SOURCES,
    ]
    for source in sources:
        needed.setdefault(source.permission, []).append(f"source {source.name}")
    order = [MICROSOFT_GRAPH_APP_ID, EXCHANGE_ONLINE_APP_ID, SHAREPOINT_ONLINE_APP_ID]
    return sorted(
        (
            AppPermission(name, *_api_of(name), tuple(sorted(set(users))), name in OPTIONAL_PERMISSIONS)
            for name, users in needed.items()
        ),
        key=lambda p: (order.index(p.api_app_id), p.name),
    )


# Delegated Microsoft Graph scopes of the consent sign-in (core.consent): the customer's admin signs
# in with `openid profile` so that their ID token proves who consented. Listed on the registration
# so that the admin's consent covers them and the sign-in asks nothing more.
SIGN_IN_SCOPES = {
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
}


def required_resource_access(*, optional: bool = False) -> list[dict[str, object]]:
    """The scanner app registration's `requiredResourceAccess`, ready for its manifest; the optional,
    write-capable permissions only when asked for."""
    by_api: dict[str, list[dict[str, str]]] = {
        MICROSOFT_GRAPH_APP_ID: [{"id": scope, "type": "Scope"} for scope in SIGN_IN_SCOPES.values()]
    }
    for permission in scanner_permissions():
        if permission.optional and not optional:
            continue
        by_api.setdefault(permission.api_app_id, []).append({"id": permission.role_id, "type": "Role"})
    return [{"resourceAppId": api, "resourceAccess": roles} for api, roles in sorted(by_api.items())]


# Directory roles the app's service principal needs in each customer tenant: consent never assigns a
# role, so the customer's administrator does it once (docs/deploy.md). Global Reader is among the roles
# Microsoft's app-only guide for Exchange Online and Security & Compliance PowerShell supports
# (learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2), and only reads. The same role
# lets the app read the Teams admin service (core/collect/teams.py: Microsoft365DSC names Global Reader
# as the read role of its Teams resources); the Teams resource has no application permission to consent.
DIRECTORY_ROLES: dict[str, tuple[str, str]] = {
    "Global Reader": (
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        "the Exchange Online and Security & Compliance admin APIs (InvokeCommand) and the Teams admin API",
    ),
}


def roles_markdown() -> str:
    """The directory roles, with the sources that need them, for `scanposture permissions`."""
    by_endpoint: dict[str, list[str]] = {}
    for source in EXCHANGE_SOURCES:
        by_endpoint.setdefault(source.endpoint, []).append(source.name)
    by_endpoint["teams"] = [source.name for source in TEAMS_SOURCES]
    needed = ", ".join(f"{len(names)} {endpoint} sources" for endpoint, names in sorted(by_endpoint.items()))
    rows = ["| Directory role | Role template id | Needed by |", "|---|---|---|"]
    for name, (template, why) in DIRECTORY_ROLES.items():
        rows.append(f"| {name} | `{template}` | {why}: {needed} |")
    return "\n".join(rows)


def permissions_markdown() -> str:
    rows = ["| API | Application permission | App-role id | Needed by |", "|---|---|---|---|"]
    for p in scanner_permissions():
        checks = [n for n in p.needed_by if not n.startswith("source ")]
        sources = [n.removeprefix("source ") for n in p.needed_by if n.startswith("source ")]
        needed_by = plural(len(checks), "check") if checks else "every scan"
        if sources:
            needed_by += f" (reads {', '.join(sources)})"
        if p.optional:
            needed_by = f"**optional, can change settings**: {needed_by}"
        rows.append(f"| {p.api} | `{p.name}` | `{p.role_id}` | {needed_by} |")
    return "\n".join(rows)
