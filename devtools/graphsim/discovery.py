"""Entra's public OpenID Connect metadata: `GET /{tenant}/v2.0/.well-known/openid-configuration` and
the signing keys it points at, `GET /{tenant}/discovery/v2.0/keys`. No credentials needed.

Shapes follow "OpenID Connect on the Microsoft identity platform"
(learn.microsoft.com/entra/identity-platform/v2-protocols-oidc, "Fetch the OpenID configuration
document"): the endpoints sit under the tenant named, and the issuer is
`https://login.microsoftonline.com/{tenant id}/v2.0` whatever host answered. For `organizations` and
`common` the issuer is the template `.../{tenantid}/v2.0`, as Entra publishes it there.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from devtools.graphsim.idtokens import ISSUER, MULTI_TENANT
from devtools.graphsim.responses import PLAIN_JSON, EntraError, dumps
from devtools.graphsim.state import SimState


def _issuer_and_path(request: Request) -> tuple[str, str] | Response:
    """The issuer a tenant reference signs as and the path segment its endpoints use, or Entra's
    error for a tenant it does not know (a domain resolves to its tenant's id)."""
    state: SimState = request.app.state.sim
    reference = request.path_params["tenant"]
    if reference.lower() in MULTI_TENANT:
        return ISSUER.format(tid="{tenantid}"), reference.lower()
    tenant = state.resolve(reference)
    if tenant is None:
        return EntraError(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{reference}' not found. Check to make sure you have the "
            "correct tenant ID and are signing into the correct cloud.",
        ).response()
    return ISSUER.format(tid=tenant.id), tenant.id


async def openid_configuration(request: Request) -> Response:
    """Entra answers for a tenant id or any verified domain, which is how a domain is turned into a
    tenant id; the endpoints and the JWKS named here are the simulator's own."""
    found = _issuer_and_path(request)
    if isinstance(found, Response):
        return found
    issuer, segment = found
    base = f"{str(request.base_url).rstrip('/')}/{segment}"
    document = {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
    }
    return Response(dumps(document), media_type=PLAIN_JSON)


async def keys(request: Request) -> Response:
    """The JWKS every ID token the simulator signs is verified against (one key, shared by all
    tenants, as Entra's keys are)."""
    found = _issuer_and_path(request)
    if isinstance(found, Response):
        return found
    state: SimState = request.app.state.sim
    return Response(dumps(state.signing.jwks(found[0])), media_type=PLAIN_JSON)
