"""Entra ID's v2.0 token endpoint, per tenant: the client-credentials grant, and the authorization
code grant (redeemed in `authcode.py`).

Errors carry Entra's AADSTS codes, OAuth error names and HTTP statuses: a failed client
authentication is 401 `invalid_client`, everything else about the request is 400.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

import jwt
from starlette.requests import Request
from starlette.responses import Response

from core.checks.licensing import SATISFIED_BY
from core.collect.sources import SHAREPOINT
from devtools.graphsim.authcode import redeem_code
from devtools.graphsim.catalog import (
    COMPLIANCE_RESOURCE,
    EXCHANGE_PERMISSIONS,
    EXCHANGE_RESOURCE,
    GRAPH_RESOURCE,
    SHAREPOINT_ADMIN_SUFFIX,
    SIM_APP_NAME,
)
from devtools.graphsim.idtokens import MULTI_TENANT
from devtools.graphsim.responses import PLAIN_JSON, EntraError, dumps
from devtools.graphsim.simulate import disturb
from devtools.graphsim.state import SimState
from devtools.graphsim.teams import TEAMS_RESOURCE
from devtools.graphsim.teams import provisioned as teams_provisioned
from devtools.graphsim.tenant import Tenant
from devtools.graphsim.tokens import ACCESS_TOKEN_SECONDS

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# resource -> is Exchange (Security & Compliance is a resource of the Exchange service principal, so
# its tokens carry Exchange.ManageAsApp and a tenant without Exchange Online refuses it too)
# Teams' admin API (teams.py) carries no application role: the app's directory role authorises it.
_RESOURCES = {
    GRAPH_RESOURCE: False,
    EXCHANGE_RESOURCE: True,
    COMPLIANCE_RESOURCE: True,
    TEAMS_RESOURCE: False,
}
# Service plans that provision SharePoint Online (core.checks.licensing.SATISFIED_BY).
SHAREPOINT_PLANS = SATISFIED_BY[SHAREPOINT]


def _app_not_found(client_id: str, directory: str) -> EntraError:
    return EntraError(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory '{directory}'. This can "
        "happen if the application has not been installed by the administrator of the tenant or consented "
        "to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    )


def consent_failure(code: str, client_id: str, tenant: Tenant) -> EntraError:
    if code == "AADSTS700016":
        return _app_not_found(client_id, tenant.display_name)
    if code == "AADSTS65001":
        return EntraError(
            400,
            "invalid_grant",
            65001,
            f"The user or administrator has not consented to use the application with ID '{client_id}' named "
            f"'{SIM_APP_NAME}'. Send an interactive authorization request for this user and resource.",
        )
    return EntraError(
        401,
        "invalid_client",
        7000229,
        f"The client application {client_id} is missing service principal in the tenant {tenant.id}. See "
        "instructions here: https://go.microsoft.com/fwlink/?linkid=2225119",
    )


def _check_assertion(state: SimState, assertion: str, client_id: str, token_url_path: str) -> None:
    bad_signature = "Client assertion failed signature validation."
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise EntraError(400, "invalid_request", 50027, "JWT token is invalid or malformed.") from exc
    thumbprint = header.get("x5t#S256") or header.get("x5t") or ""
    certificate = state.app.certificate
    if certificate is None or thumbprint.rstrip("=") not in state.app.thumbprints:
        raise EntraError(
            401,
            "invalid_client",
            700027,
            f"{bad_signature} [Reason - The key was not found., Thumbprint of key used by client: "
            f"'{thumbprint}']",
        )
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            certificate.public_key(),  # type: ignore[arg-type]
            algorithms=["PS256", "RS256"],
            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise EntraError(401, "invalid_client", 700027, bad_signature) from exc
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise EntraError(
            401,
            "invalid_client",
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        )
    audience = str(claims.get("aud", ""))
    if not audience.lower().split("?")[0].endswith(token_url_path.lower()):
        raise EntraError(
            401,
            "invalid_client",
            700027,
            f"{bad_signature} [Reason - The audience claim '{audience}' does not match the token endpoint.]",
        )
    now = time.time()
    if not (float(claims.get("nbf", 0)) - 300 <= now < float(claims.get("exp", 0))):
        raise EntraError(
            401,
            "invalid_client",
            700024,
            "Client assertion is not within its valid time range. Ensure that the access token's expiry "
            "time is "
            "not more than 10 minutes from the current time.",
        )


def _resource(scope: str, tenant: Tenant) -> str:
    if not scope:
        raise EntraError(
            400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'."
        )
    if not scope.endswith("/.default") or " " in scope.strip():
        raise EntraError(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must have a scope "
            "value "
            "with /.default suffixed to the resource identifier (application ID URI).",
        )
    resource = scope[: -len("/.default")].rstrip("/")
    if is_sharepoint(resource):
        return _sharepoint_resource(resource, tenant)
    # A tenant that never had Exchange Online has no service principal for it, so Entra answers a token
    # request for it as for any resource unknown there: AADSTS500011 InvalidResourceServicePrincipalNotFound
    # (learn.microsoft.com/entra/identity-platform/reference-error-codes; the message as pnp/pnpassessment#76
    # and Azure/azure-cli#16850 quote it, with the resource's URI).
    if resource not in _RESOURCES or (_RESOURCES[resource] and not tenant.exchange_online):
        raise _resource_not_found(resource, tenant)
    return resource


def is_sharepoint(resource: str) -> bool:
    return resource.lower().startswith("https://") and resource.lower().endswith(".sharepoint.com")


def _sharepoint_resource(resource: str, tenant: Tenant) -> str:
    """A tenant's SharePoint admin host is a resource only in that tenant, and only where SharePoint
    Online is provisioned: any other host is a resource Entra cannot find there, AADSTS500011, as for
    a SharePoint host of the wrong tenant (pnp/powershell#2387). That a tenant without any SharePoint
    plan answers the same way is this simulator's assumption."""
    host = resource.lower().removeprefix("https://")
    own = f"{tenant.initial_domain.lower().split('.', 1)[0]}{SHAREPOINT_ADMIN_SUFFIX}"
    if host != own or not tenant.licences(frozenset()) & SHAREPOINT_PLANS:
        raise _resource_not_found(resource, tenant)
    return resource


def _resource_not_found(resource: str, tenant: Tenant) -> EntraError:
    return EntraError(
        400,
        "invalid_resource",
        500011,
        f"The resource principal named {resource} was not found in the tenant named {tenant.display_name}. "
        "This can happen if the application has not been installed by the administrator of the tenant or "
        "consented to by any user in the tenant. You might have sent your authentication request to the "
        "wrong tenant.",
    )


def _tenant_not_found(tenant_ref: str) -> EntraError:
    return EntraError(
        400,
        "invalid_request",
        90002,
        f"Tenant '{tenant_ref}' not found. Check to make sure you have the correct tenant ID and are signing "
        "into the correct cloud. Check with your subscription administrator, this may happen if there are no "
        "active subscriptions for the tenant.",
    )


def _authenticate_client(state: SimState, form: dict[str, str], token_path: str) -> str:
    """The client's credential, checked the same way for every grant; returns `appidacr` ("1" for a
    secret, "2" for a certificate). The authorization code grant takes either, like the client
    credentials grant (v2-oauth2-auth-code-flow, "Redeem a code for an access token")."""
    if form.get("client_secret"):
        if not state.app.secret_matches(form["client_secret"]):
            raise EntraError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                "secret "
                f"value, not the client secret ID, for a secret added to app '{state.app.client_id}'.",
            )
        return "1"
    if form.get("client_assertion") and form.get("client_assertion_type") == JWT_BEARER:
        _check_assertion(state, form["client_assertion"], state.app.client_id, token_path)
        return "2"
    raise EntraError(
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    )


def issue_token(state: SimState, tenant_ref: str, form: dict[str, str], token_path: str) -> Response:
    grant = form.get("grant_type", "")
    if grant not in ("client_credentials", "authorization_code"):
        raise EntraError(
            400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'."
        )
    tenant = state.resolve(tenant_ref)
    # A code from /organizations or /common is redeemed there (AADSTS700005, in authcode.py).
    if tenant is None and not (grant == "authorization_code" and tenant_ref.lower() in MULTI_TENANT):
        raise _tenant_not_found(tenant_ref)
    client_id = form.get("client_id", "")
    if client_id.lower() != state.app.client_id.lower():
        raise _app_not_found(client_id, tenant.display_name if tenant else tenant_ref)
    acr = _authenticate_client(state, form, token_path)
    if grant == "authorization_code":
        return redeem_code(state, tenant_ref, form)
    assert tenant is not None
    return _client_credentials(state, tenant, form, acr)


def _client_credentials(state: SimState, tenant: Tenant, form: dict[str, str], acr: str) -> Response:
    resource = _resource(form.get("scope", ""), tenant)
    if resource == TEAMS_RESOURCE and not teams_provisioned(tenant, state.faults.missing_licences(tenant.id)):
        raise _resource_not_found(resource, tenant)  # no Teams, no Teams service principal (teams.py)
    refused = state.consent_error(tenant)
    if refused:
        raise consent_failure(refused, state.app.client_id, tenant)
    if is_sharepoint(resource):
        if not tenant.licences(state.faults.missing_licences(tenant.id)) & SHAREPOINT_PLANS:
            raise _resource_not_found(resource, tenant)
        roles = tenant.sharepoint_permissions - state.faults.removed_permissions(tenant.id)
    else:
        granted = state.permissions(tenant)
        exchange = _RESOURCES[resource]
        roles = frozenset(p for p in granted if (p in EXCHANGE_PERMISSIONS) == exchange)
    if resource == TEAMS_RESOURCE:
        roles = frozenset()
    token = state.tokens.issue(
        tenant_id=tenant.id,
        audience=resource,
        app_id=state.app.client_id,
        roles=roles,
        sp_id=tenant.app_sp_id,
        acr=acr,
    )
    body = {
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "ext_expires_in": ACCESS_TOKEN_SECONDS,
        "access_token": token,
    }
    return Response(dumps(body), media_type=PLAIN_JSON, headers={"Cache-Control": "no-store, no-cache"})


async def token_endpoint(request: Request) -> Response:
    state: SimState = request.app.state.sim
    tenant_ref = request.path_params["tenant"]
    tenant = state.resolve(tenant_ref)
    tenant_id = tenant.id if tenant else None
    path = request.url.path
    response = await disturb(state, tenant_id, (path,), "entra")
    if response is None:
        # Parsed here rather than with request.form(), which needs python-multipart.
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
        try:
            response = issue_token(state, tenant_ref, form, path)
        except EntraError as exc:
            response = exc.response()
    if tenant_id:
        state.log(tenant_id, "POST", path, response.status_code)
    return response
