"""The authorization code grant at `POST /{tenant}/oauth2/v2.0/token`: a code from the authorize
endpoint, once, within its lifetime, at the authority it came from, with its redirect URI and PKCE
verifier, for an ID token and an access token.

Protocol: "Redeem a code for an access token" in "Microsoft identity platform and OAuth 2.0
authorization code flow" (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow).
Error codes and wording: "Microsoft Entra authentication and authorization error codes"
(learn.microsoft.com/entra/identity-platform/reference-error-codes). The client has been
authenticated already (entra.py), as for the client credentials grant.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.responses import Response

from devtools.graphsim.idtokens import MULTI_TENANT, AuthorizationCode, id_token_claims
from devtools.graphsim.responses import PLAIN_JSON, EntraError, dumps
from devtools.graphsim.state import SimState
from devtools.graphsim.tokens import ACCESS_TOKEN_SECONDS

_MISSING = "The request body must contain the following parameter: '{}'."


def _grant_error(code: int, message: str) -> EntraError:
    # invalid_grant: "The authorization code or PKCE code verifier is invalid or has expired."
    return EntraError(400, "invalid_grant", code, message)


def _same_authority(state: SimState, code: AuthorizationCode, tenant_ref: str) -> bool:
    """AADSTS700005: a code "must be redeemed against same tenant it was acquired for (/common or
    /{tenant-ID} as appropriate)"; a tenant may be named by id or by any of its domains."""
    reference = tenant_ref.lower()
    if code.authority in MULTI_TENANT:
        return reference == code.authority
    tenant = state.resolve(reference)
    return tenant is not None and tenant.id == code.authority


def _redeemable(state: SimState, tenant_ref: str, form: dict[str, str]) -> AuthorizationCode:
    if not form.get("code"):
        raise EntraError(400, "invalid_request", 900144, _MISSING.format("code"))
    code = state.codes.get(form["code"])
    if code is None:  # AADSTS9002313 InvalidRequest: "Request is malformed or invalid."
        raise _grant_error(9002313, "Invalid request. Request is malformed or invalid.")
    if not _same_authority(state, code, tenant_ref):
        raise _grant_error(
            700005, "Provided Authorization Code is intended to use against other tenant, thus rejected."
        )
    if code.redeemed:  # codes are single use (AADSTS54005)
        raise _grant_error(
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an "
            "existing refresh token.",
        )
    if code.expired(time.time(), state.codes.lifetime):  # AADSTS70008 ExpiredOrRevokedGrant
        raise _grant_error(
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new "
            "interactive authorization request for this user and resource.",
        )
    _check_redirect_and_verifier(code, form)
    return code


def _check_redirect_and_verifier(code: AuthorizationCode, form: dict[str, str]) -> None:
    """`redirect_uri` is "The same redirect_uri value that was used to acquire the
    authorization_code"; `code_verifier` is "Required if PKCE was used"."""
    redirect_uri = form.get("redirect_uri", "")
    if not redirect_uri:
        raise EntraError(400, "invalid_request", 900144, _MISSING.format("redirect_uri"))
    if redirect_uri != code.redirect_uri:
        # Entra's wording for a reply address that differs from the authorize request's, as apps
        # report it (e.g. PartnerCenterSamples/Reseller-Web-Application#73; today's code AADSTS500112).
        raise EntraError(
            400,
            "invalid_client",
            500112,
            f"The reply address '{redirect_uri}' does not match the reply address '{code.redirect_uri}' "
            "provided when requesting Authorization code.",
        )
    if not code.verifier_matches(form.get("code_verifier", "")):
        raise _grant_error(
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        )


def redeem_code(state: SimState, tenant_ref: str, form: dict[str, str]) -> Response:
    """The token response: `token_type`, `scope`, `expires_in`, `access_token`, and `id_token` "Only
    provided if openid scope was requested" (v2-oauth2-auth-code-flow, Successful response)."""
    code = _redeemable(state, tenant_ref, form)
    tenant = state.tenants.get(code.tenant_id)
    user = tenant.users_by_key.get(code.user_id.lower()) if tenant else None
    if tenant is None or user is None:  # the tenant was reloaded without that user since
        raise _grant_error(9002313, "Invalid request. Request is malformed or invalid.")
    code.redeemed = True
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": code.scope,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "ext_expires_in": ACCESS_TOKEN_SECONDS,
        "access_token": state.tokens.issue_delegated(
            tenant_id=tenant.id, app_id=code.client_id, user_id=user["id"], scope=code.scope
        ),
    }
    if "openid" in code.scope.split():
        claims = id_token_claims(code, tenant, user, emit_wids=state.app.emits_directory_roles)
        body["id_token"] = state.signing.sign(claims)
    return Response(dumps(body), media_type=PLAIN_JSON, headers={"Cache-Control": "no-store, no-cache"})
