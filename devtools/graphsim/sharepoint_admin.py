"""SharePoint's admin REST API, `https://<prefix>-admin.sharepoint.com/_api/SPO.Tenant`, for every
tenant: the tenant properties Get-SPOTenant and Get-PnPTenant show.

The simulator has one host, so the admin host is a path segment: SHAREPOINT_ADMIN_URL is
`<simulator>/sharepoint/{tenant}-admin.sharepoint.com`, and a request reaches
`/sharepoint/contosodental-admin.sharepoint.com/_api/SPO.Tenant`. Tokens are still asked for the
real host's resource, `https://contosodental-admin.sharepoint.com` (entra.py issues them), as
ScubaGear asks for them (cisagov/ScubaGear SPORestHelper.psm1 reads this endpoint with
`Accept: application/json;odata=verbose`).

Answers:
- 200: with odata=verbose the object comes inside `d`, with `__metadata` and enumerations as numbers
  (ScubaGear's SPORestHelper.psm1 says so of the envelope; CIPP's CIS tests note the numbers, e.g.
  KelvinTegelaar/CIPP-API Invoke-CippTestCIS_7_2_7, "DefaultSharingLinkType as a numeric
  SharingLinkType"); any other Accept gets the bare object.
- 401 `{"error_description": "Unsupported app only token."}` for a token Entra issued to a client
  secret (`appidacr` 1): SharePoint takes app-only tokens only from certificates
  (learn.microsoft.com/sharepoint/dev/solution-guidance/security-apponly-azuread, FAQ;
  SharePoint/sp-dev-docs#8480; the wording as public SharePoint clients quote it, e.g.
  koltyakov/gosip's Azure client-credentials notes).
- 401 `{"error_description": "Invalid issuer or signature."}` for a token of another audience
  (SharePoint/sp-dev-docs#5889, a Graph token sent to SharePoint's REST API).
- 403 with the verbose error `-2147024891, System.UnauthorizedAccessException` "Access denied." when
  the token lacks Sites.FullControl.All of Office 365 SharePoint Online.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from devtools.graphsim.catalog import SHAREPOINT_ADMIN_SUFFIX, SHAREPOINT_PERMISSIONS
from devtools.graphsim.policies import Json, PolicyContext
from devtools.graphsim.responses import PLAIN_JSON, dumps
from devtools.graphsim.simulate import disturb
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Tenant
from devtools.graphsim.tokens import TokenRejected, bearer

TENANT_TYPE = "Microsoft.Online.SharePoint.TenantAdministration.Tenant"
VERBOSE = "odata=verbose"
ACCESS_DENIED = "Access denied. You do not have permission to perform this action or access this resource."

# SharingCapabilities, SharingLinkType, SharingPermissionType / AnonymousLinkType, as numbers.
DISABLED, NEW_AND_EXISTING, ANYONE, EXISTING = 0, 1, 2, 3
DIRECT, INTERNAL, ANONYMOUS = 1, 2, 3
VIEW, EDIT = 1, 2


def tenant_properties(ctx: PolicyContext, partner_domains: list[str]) -> Json:
    """What the demo tenants' admins chose. Weak: Anyone links that never expire and can edit, edit
    links by default, custom script kept on. Mixed: organisation-wide default links, guests kept
    for 90 days, verification codes good for 30. Strong: everything the checks ask for. The sharing
    levels match Graph's sharepointSettings for the same posture (settings.py)."""
    weak, strong = ctx.posture == "weak", ctx.posture == "strong"
    sharing = {"weak": ANYONE, "mixed": NEW_AND_EXISTING, "strong": EXISTING}[ctx.posture]
    return {
        "SharingCapability": sharing,
        "OneDriveSharingCapability": {"weak": ANYONE, "mixed": EXISTING, "strong": DISABLED}[ctx.posture],
        "DefaultSharingLinkType": {"weak": ANONYMOUS, "mixed": INTERNAL, "strong": DIRECT}[ctx.posture],
        "DefaultLinkPermission": EDIT if weak else VIEW,
        "RequireAnonymousLinksExpireInDays": 0 if weak else 30,
        "FileAnonymousLinkType": EDIT if weak else VIEW,
        "FolderAnonymousLinkType": EDIT if weak else VIEW,
        "ExternalUserExpirationRequired": not weak,
        "ExternalUserExpireInDays": {"weak": 60, "mixed": 90, "strong": 30}[ctx.posture],
        "EmailAttestationRequired": not weak,
        "EmailAttestationReAuthDays": 15 if strong else 30,
        "DisallowInfectedFileDownload": not weak,
        "DelayDenyAddAndCustomizePagesEnforcement": weak,
        "EnableAzureADB2BIntegration": not weak,
        "LegacyAuthProtocolsEnabled": not strong,
        "PreventExternalUsersFromResharing": not weak,
        "RequireAcceptingAccountMatchInvitedAccount": not weak,
        "SharingDomainRestrictionMode": 1 if strong else 0,
        "SharingAllowedDomainList": " ".join(partner_domains) if strong else "",
        "SharingBlockedDomainList": "",
        "ConditionalAccessPolicy": 0,
        "BlockAccessOnUnmanagedDevices": False,
        "AllowDownloadingNonWebViewableFiles": True,
        "ShowEveryoneClaim": False,
        "ShowAllUsersClaim": False,
        "NotificationsInSharePointEnabled": True,
    }


def prefix_of(tenant: Tenant) -> str:
    return tenant.initial_domain.lower().split(".", 1)[0]


def tenant_of_host(state: SimState, host: str) -> Tenant | None:
    """The tenant whose admin host this is: named by its initial domain, as in real SharePoint."""
    prefix = host.lower().removesuffix(SHAREPOINT_ADMIN_SUFFIX)
    if prefix == host.lower():
        return None
    return state.resolve(f"{prefix}.onmicrosoft.com")


def _refusal(status: int, body: Json) -> Response:
    return Response(dumps(body), status_code=status, media_type=PLAIN_JSON)


def _denied() -> Response:
    error = {
        "code": "-2147024891, System.UnauthorizedAccessException",
        "message": {"lang": "en-US", "value": ACCESS_DENIED},
    }
    return _refusal(403, {"error": error})


def _body(tenant: Tenant, host: str, accept: str) -> bytes:
    properties: dict[str, Any] = dict(tenant.data.get("sharepointTenant") or {})
    if VERBOSE not in accept.lower():
        return dumps(properties)
    url = f"https://{host}/_api/SPO.Tenant"
    return dumps({"d": {"__metadata": {"id": url, "uri": url, "type": TENANT_TYPE}, **properties}})


def answer(state: SimState, request: Request, tenant: Tenant | None, host: str) -> Response:
    try:
        token = state.tokens.verify(bearer(request.headers.get("authorization")))
    except TokenRejected:
        return _refusal(401, {"error_description": "Invalid issuer or signature."})
    if tenant is None or token.audience.rstrip("/") != f"https://{host}" or token.tenant_id != tenant.id:
        return _refusal(401, {"error_description": "Invalid issuer or signature."})
    if token.acr == "1":
        return _refusal(401, {"error_description": "Unsupported app only token."})
    granted = tenant.sharepoint_permissions - state.faults.removed_permissions(tenant.id)
    if not token.roles & granted & SHAREPOINT_PERMISSIONS:
        return _denied()
    accept = request.headers.get("accept", "")
    return Response(_body(tenant, host, accept), media_type=PLAIN_JSON)


async def spo_tenant(request: Request) -> Response:
    state: SimState = request.app.state.sim
    host = request.path_params["host"].lower()
    tenant = tenant_of_host(state, host)
    # Throttling and outages come in the Exchange channel's JSON error shape: the product reads only
    # the status of those.
    response = await disturb(
        state, tenant.id if tenant else None, (request.url.path, "sharepoint"), "exchange"
    )
    if response is None:
        response = answer(state, request, tenant, host)
    if tenant is not None:
        state.log(tenant.id, "GET", request.url.path, response.status_code)
    return response
