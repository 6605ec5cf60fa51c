"""App governance and per-user data served from a fixture's `governance` block (see governance.py):
app management policies, service principals, delegated grants, sign-in methods and licences."""

from __future__ import annotations

from typing import Any

from devtools.graphsim.governance import (
    ALL_APPS,
    EXCHANGE_APP_ID,
    METHOD_TYPES,
    MICROSOFT_APIS,
    MICROSOFT_GRAPH_APP_ID,
    MICROSOFT_SERVICES_TENANT,
    PASSWORD_METHOD_ID,
    SHAREPOINT_APP_ID,
    TEAMS_WEB_APP_ID,
    settings_of,
)
from devtools.graphsim.views import stable_id

Json = dict[str, Any]


def _restriction(kind: str, lifetime: str | None, after: str | None, state: str = "enabled") -> Json:
    return {
        "restrictionType": kind,
        "state": state,
        "maxLifetime": lifetime,
        "restrictForAppsCreatedAfterDateTime": after or ALL_APPS,
    }


def default_app_policy(tenant_data: Json) -> Json:
    """The tenant default policy, which always exists (tenantAppManagementPolicy: "disabled by default").
    A restriction the portal has not switched on is simply not listed."""
    app = settings_of(tenant_data)["appManagement"]
    passwords = []
    if app["blockPasswords"]:
        passwords.append(_restriction("passwordAddition", None, app["blockPasswordsAfter"]))
    if app["passwordLifetime"]:
        passwords.append(_restriction("passwordLifetime", app["passwordLifetime"], None))
    keys = (
        [_restriction("asymmetricKeyLifetime", app["certificateLifetime"], None)]
        if app["certificateLifetime"]
        else []
    )
    config = {"passwordCredentials": passwords, "keyCredentials": keys}
    return {
        "id": "00000000-0000-0000-0000-000000000000",
        "displayName": "Default app management tenant policy",
        "description": "Default tenant policy that enforces app management restrictions on applications and "
        "service principals. To apply policy to targeted resources, create a new policy under "
        "appManagementPolicies collection.",
        "isEnabled": bool(app["isEnabled"]),
        "applicationRestrictions": config,
        "servicePrincipalRestrictions": config,
    }


def custom_app_policies(tenant_data: Json) -> list[Json]:
    return list(settings_of(tenant_data)["customAppPolicies"])


def _principal(sp_id: str, app_id: str, name: str, owner: str) -> Json:
    return {
        "id": sp_id,
        "appId": app_id,
        "displayName": name,
        "appOwnerOrganizationId": owner,
        "servicePrincipalType": "Application",
    }


def _microsoft_principals(tenant_data: Json) -> dict[str, Json]:
    tid = tenant_data["id"]
    graph_sp = tenant_data.get("graphServicePrincipalId") or stable_id(tid, "graph-sp")
    return {
        "graph": _principal(graph_sp, MICROSOFT_GRAPH_APP_ID, "Microsoft Graph", MICROSOFT_SERVICES_TENANT),
        "exchange": _principal(
            stable_id(tid, "exo-sp"), EXCHANGE_APP_ID, "Office 365 Exchange Online", MICROSOFT_SERVICES_TENANT
        ),
        "sharepoint": _principal(
            stable_id(tid, "spo-sp"),
            SHAREPOINT_APP_ID,
            "Office 365 SharePoint Online",
            MICROSOFT_SERVICES_TENANT,
        ),
        "teams": _principal(
            stable_id(tid, "teams-web-sp"),
            TEAMS_WEB_APP_ID,
            "Microsoft Teams Web Client",
            MICROSOFT_SERVICES_TENANT,
        ),
    }


def _third_party(tenant_data: Json) -> list[tuple[Json, Json]]:
    tid = tenant_data["id"]
    return [
        (
            app,
            _principal(
                stable_id(tid, "third-party-sp", app["appId"]), app["appId"], app["displayName"], app["owner"]
            ),
        )
        for app in settings_of(tenant_data)["thirdPartyApps"]
    ]


def service_principals(tenant_data: Json, scanner: Json) -> list[Json]:
    """The fixture's own apps, the scanner app, Microsoft's APIs and the third-party apps."""
    fixture = [
        {
            k: sp.get(k)
            for k in ("id", "appId", "displayName", "servicePrincipalType", "appOwnerOrganizationId")
        }
        for sp in tenant_data.get("servicePrincipals", [])
    ]
    scanner_row = {
        k: scanner.get(k)
        for k in ("id", "appId", "displayName", "servicePrincipalType", "appOwnerOrganizationId")
    }
    return [
        *fixture,
        scanner_row,
        *_microsoft_principals(tenant_data).values(),
        *(sp for _, sp in _third_party(tenant_data)),
    ]


def delegated_grants(tenant_data: Json) -> list[Json]:
    """Teams' own tenant-wide grant (Microsoft consents for its first-party clients) and each third-party
    app's grant as its settings say; a "Principal" grant is one user's consent for themselves."""
    tid = tenant_data["id"]
    microsoft = _microsoft_principals(tenant_data)
    users = [u["id"] for u in tenant_data["users"] if u.get("userType") == "Member"]
    grants = [
        {
            "id": stable_id(tid, "grant", "teams"),
            "clientId": microsoft["teams"]["id"],
            "consentType": "AllPrincipals",
            "principalId": None,
            "resourceId": microsoft["graph"]["id"],
            "scope": "User.Read Files.ReadWrite.All Sites.ReadWrite.All",
        }
    ]
    for app, sp in _third_party(tenant_data):
        personal = app["consentType"] == "Principal"
        grants.append(
            {
                "id": stable_id(tid, "grant", app["appId"]),
                "clientId": sp["id"],
                "consentType": app["consentType"],
                "principalId": users[-1] if personal and users else None,
                "resourceId": microsoft[app["api"] if app["api"] in MICROSOFT_APIS else "graph"]["id"],
                "scope": app["scope"],
            }
        )
    return grants


def auth_methods(user: Json) -> list[Json]:
    """A user's registered methods; the password is always among them."""
    rows: list[Json] = [
        {
            "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
            "id": PASSWORD_METHOD_ID,
            "createdDateTime": None,
        }
    ]
    for index, name in enumerate(user.get("authMethods") or []):
        kind = METHOD_TYPES.get(name)
        if kind:
            rows.append(
                {"@odata.type": f"#microsoft.graph.{kind}", "id": stable_id(user["id"], "method", str(index))}
            )
    return rows


def assigned_licenses(tenant_data: Json, user: Json) -> list[Json]:
    """The tenant's main subscription for people who work in it; none for guests, shared mailboxes and
    accounts on the initial domain (the administrator and emergency-access accounts of the fixtures)."""
    skus = tenant_data.get("subscribedSkus") or []
    shared = (user.get("mailbox") or {}).get("RecipientTypeDetails") == "SharedMailbox"
    upn = str(user.get("userPrincipalName") or "").lower()
    if (
        not skus
        or user.get("userType") != "Member"
        or shared
        or upn.endswith("@" + tenant_data["initialDomain"].lower())
    ):
        return []
    return [{"disabledPlans": [], "skuId": skus[0].get("skuId")}]
