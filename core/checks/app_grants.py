"""Delegated permissions granted for the whole organisation to apps published by someone else.

An oauth2PermissionGrant whose consentType is "AllPrincipals" lets the client app act as any user of
the tenant, within the scopes in its `scope` string, on the API whose service principal `resourceId`
names (learn.microsoft.com/graph/api/resources/oauth2permissiongrant). The client is third-party when
its service principal's appOwnerOrganizationId is neither this tenant nor a Microsoft tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.helpers import capped, check, folded, metadata, plural, shown, steps, verb
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, manual, passed
from core.collect.sources import MICROSOFT_GRAPH_APP_ID

CATEGORY = "Applications"
GRANTS = "delegated_grants"
PRINCIPALS = "service_principals"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
SHAREPOINT_APP_ID = "00000003-0000-0ff1-ce00-000000000000"
# Microsoft publishes its own apps from these tenants ("Microsoft Services" and Microsoft's corporate
# tenant; learn.microsoft.com/troubleshoot/entra/entra-id/governance/verify-first-party-apps-sign-in
# lists the apps, and public first-party lists such as merill/microsoft-info filter on these owners).
MICROSOFT_TENANTS = frozenset(
    {"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"}
)
# Delegated scopes that reach every user's mail, files and sites, or change the directory, by API.
# Chosen from ScubaGear's risky permission list (cisagov/ScubaGear PowerShell/ScubaGear/schemas/
# RiskyAppPermissions.json, "Delegated"), narrowed to the mail, files, sites and directory families.
RISKY_SCOPES: dict[str, frozenset[str]] = {
    MICROSOFT_GRAPH_APP_ID: frozenset(
        folded(s)
        for s in (
            "Mail.Read",
            "Mail.ReadWrite",
            "Mail.Send",
            "Mail.Read.Shared",
            "Mail.ReadWrite.Shared",
            "Mail.Send.Shared",
            "MailboxSettings.ReadWrite",
            "EWS.AccessAsUser.All",
            "IMAP.AccessAsUser.All",
            "POP.AccessAsUser.All",
            "EAS.AccessAsUser.All",
            "SMTP.Send",
            "Files.Read.All",
            "Files.ReadWrite.All",
            "Sites.Read.All",
            "Sites.ReadWrite.All",
            "Sites.Manage.All",
            "Sites.FullControl.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
            "User.ReadWrite.All",
            "Group.ReadWrite.All",
            "RoleManagement.ReadWrite.Directory",
            "Application.ReadWrite.All",
            "AppRoleAssignment.ReadWrite.All",
            "DelegatedPermissionGrant.ReadWrite.All",
        )
    ),
    EXCHANGE_APP_ID: frozenset(
        folded(s)
        for s in (
            "Mail.Read",
            "Mail.ReadWrite",
            "Mail.Send",
            "Mail.Read.All",
            "Mail.ReadWrite.All",
            "Mail.Send.All",
            "EWS.AccessAsUser.All",
            "IMAP.AccessAsUser.All",
            "POP.AccessAsUser.All",
            "EAS.AccessAsUser.All",
            "Exchange.Manage",
            "Exchange.ManageV2",
        )
    ),
    SHAREPOINT_APP_ID: frozenset(
        folded(s) for s in ("AllSites.Read", "AllSites.Write", "AllSites.Manage", "AllSites.FullControl")
    ),
}
API_NAMES = {
    MICROSOFT_GRAPH_APP_ID: "Microsoft Graph",
    EXCHANGE_APP_ID: "Office 365 Exchange Online",
    SHAREPOINT_APP_ID: "Office 365 SharePoint Online",
}


def _third_party(principal: Mapping[str, Any], tenant_id: str) -> bool:
    owner = folded(principal.get("appOwnerOrganizationId"))
    return bool(owner) and owner != folded(tenant_id) and owner not in MICROSOFT_TENANTS


def _finding(
    grant: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]], tenant: str
) -> dict[str, Any] | None:
    """The grant as evidence when it gives a third-party app risky scopes for everyone, else None."""
    if folded(grant.get("consentType")) != "allprincipals":
        return None
    client = by_id.get(folded(grant.get("clientId")))
    resource = by_id.get(folded(grant.get("resourceId")))
    if client is None or resource is None or not _third_party(client, tenant):
        return None
    api = folded(resource.get("appId"))
    risky = sorted(s for s in str(grant.get("scope") or "").split() if folded(s) in RISKY_SCOPES.get(api, ()))
    if not risky:
        return None
    return {
        "app": client.get("displayName"),
        "appId": client.get("appId"),
        "publisherTenant": client.get("appOwnerOrganizationId"),
        "api": API_NAMES.get(api, resource.get("displayName")),
        "scopes": risky,
    }


@check(
    metadata(
        id="apps.risky_delegated_grants",
        title="No third-party app holds tenant-wide delegated access to mail, files, sites or the directory",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(GRANTS, PRINCIPALS),
        rationale=(
            "Admin consent for all users lets an app act as anyone who signs in to it, reading their mail "
            "or files or changing the directory with their rights. When the app is published by another "
            "organisation, its security is theirs: a compromised publisher, or a malicious app that won "
            "consent, reaches this tenant's data. ScubaGear lists these scopes as risky; this check fails "
            "tenant-wide ('AllPrincipals') grants of them to apps owned neither by this tenant nor by "
            "Microsoft. Grants a single user gave for themselves are not judged here."
        ),
        remediation=steps(
            "Entra admin center > Enterprise apps > open each listed app > Permissions: review the "
            "admin-consented permissions with the app's owner.",
            "Revoke what the app does not need (Review permissions > revoke), or remove the app "
            "(Properties > Delete) if nobody uses it.",
            "Or with Graph: DELETE /oauth2PermissionGrants/{id}, or PATCH it with a narrower scope "
            "(PowerShell: Remove-MgOauth2PermissionGrant -OAuth2PermissionGrantId <id>).",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/manage-application-permissions",
            "https://learn.microsoft.com/en-us/graph/api/resources/oauth2permissiongrant",
        ),
    )
)
def risky_delegated_grants(snapshot: TenantSnapshot) -> Outcome:
    by_id = {folded(p.get("id")): p for p in snapshot.get(PRINCIPALS) or [] if p.get("id")}
    found: list[dict[str, Any]] = []
    unknown = 0
    for grant in snapshot.get(GRANTS) or []:
        if folded(grant.get("consentType")) == "allprincipals" and folded(grant.get("clientId")) not in by_id:
            unknown += 1
            continue
        finding = _finding(grant, by_id, snapshot.tenant_id)
        if finding is not None:
            found.append(finding)
    if found:
        apps = len({str(f["appId"]) for f in found})
        return failed(
            f"{plural(apps, 'third-party app')} {verb(apps, 'holds', 'hold')} organisation-wide delegated "
            f"access to mail, files, sites or the directory.{shown(len(found))}",
            capped(found),
        )
    if unknown:
        return manual(
            f"{plural(unknown, 'organisation-wide grant')} {verb(unknown, 'names', 'name')} an app "
            "not in the "
            "service principal list; review them in Enterprise apps."
        )
    return passed(
        "No third-party app holds organisation-wide delegated access to mail, files, sites or the directory."
    )


CHECKS = (risky_delegated_grants,)
