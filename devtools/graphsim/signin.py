"""The v2.0 authorize endpoint for the authorization code flow: `GET /{tenant}/oauth2/v2.0/authorize`
with `{tenant}` a tenant id, a verified domain, `organizations` or `common`.

It follows "Microsoft identity platform and OAuth 2.0 authorization code flow"
(learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow, "Request an authorization
code"). A local page stands in for Entra's sign-in: it lists the tenant's administrators and some of
its other members. Tests skip it with `sim_user=<user id or UPN>` (or `sim_user=global-admin`, the
tenant's first active Global Administrator), or `sim_outcome=deny` for a user who cancels. Success
redirects with `code` and `state`; the code is redeemed at the token endpoint.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from devtools.graphsim.catalog import ROLE
from devtools.graphsim.consent import candidates, declined, error_page, with_query
from devtools.graphsim.idtokens import MULTI_TENANT
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Json, Tenant

_MISSING = "The request body must contain the following parameter: '{}'."
_ROLE_NAMES = {template: name for name, template in ROLE.items()}
_OTHER_MEMBERS = 10  # non-administrators offered per tenant (a synthetic tenant may have thousands)
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;color:#1b1b1b}}
li{{margin:.5rem 0}} .note{{color:#555;font-size:.9rem}}</style></head>
<body><h1>Pick an account</h1>
<p class="note">Graph simulator: choose who signs in. <a href="{cancel}">Cancel</a></p>
{sections}</body></html>"""
_FORM_POST = """<!doctype html><html><head><title>Working...</title></head>
<body onload="document.forms[0].submit()"><form method="POST" action="{action}">{fields}
<noscript><button type="submit">Continue</button></noscript></form></body></html>"""


def _respond(redirect_uri: str, mode: str, params: list[tuple[str, str]]) -> Response:
    """The answer to the app in the requested `response_mode`: query (the default for a code),
    fragment, or form_post, an auto-submitted form (v2-oauth2-auth-code-flow, `response_mode`)."""
    if mode == "form_post":
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params
        )
        return HTMLResponse(_FORM_POST.format(action=html.escape(redirect_uri), fields=fields))
    if mode == "fragment":
        return RedirectResponse(f"{redirect_uri}#{urlencode(params)}", status_code=302)
    return RedirectResponse(with_query(redirect_uri, params), status_code=302)


def _aadsts(code: int, message: str) -> str:
    return f"AADSTS{code}: {message}"


def _request_problem(query: dict[str, str]) -> tuple[str, str] | None:
    """The (error, error_description) a malformed request is sent back with, or None. Codes are from
    "Microsoft Entra authentication and authorization error codes"
    (learn.microsoft.com/entra/identity-platform/reference-error-codes)."""
    response_type = query.get("response_type", "")
    if not response_type:
        return "invalid_request", _aadsts(900144, _MISSING.format("response_type"))
    if response_type != "code":
        # Hybrid and implicit responses need the ID token implicit grant, which this app has not
        # enabled (AADSTS700054); anything else is not a response type the app may use.
        if "id_token" in response_type.split():
            message = f"response_type '{response_type}' is not enabled for the application."
            return "unsupported_response_type", _aadsts(700054, message)
        message = "The provided value for the input parameter 'response_type' is not allowed for this client."
        return "unsupported_response_type", _aadsts(70005, f"{message} Expected value is 'code'.")
    if not query.get("scope", "").strip():
        return "invalid_request", _aadsts(900144, _MISSING.format("scope"))
    return _pkce_problem(query.get("code_challenge"), query.get("code_challenge_method"))


def _pkce_problem(challenge: str | None, method: str | None) -> tuple[str, str] | None:
    """`code_challenge` is "Required if code_challenge_method is included"; without a method the
    challenge is plain; Entra "supports both plain and S256" (v2-oauth2-auth-code-flow). RFC 7636
    fixes the sizes: an S256 challenge is 43 characters, a plain one 43 to 128."""
    if method is not None and not challenge:
        return "invalid_request", _aadsts(900144, _MISSING.format("code_challenge"))
    if not challenge:
        return None
    if (method or "plain") not in ("plain", "S256"):
        return "invalid_request", _aadsts(90100, f"Invalid value '{method}' for code_challenge_method.")
    sizes = range(43, 44) if method == "S256" else range(43, 129)
    if len(challenge) not in sizes:
        return "invalid_request", _aadsts(501491, "Invalid size of Code_Challenge parameter.")
    return None


GLOBAL_ADMIN_SHORTCUT = "global-admin"


def _find_user(tenants: list[Tenant], reference: str) -> tuple[Tenant, Json] | None:
    if reference == GLOBAL_ADMIN_SHORTCUT:  # a test shortcut, not an Entra behaviour
        for tenant in tenants:
            for user in tenant.data["users"]:
                if ROLE["Global Administrator"] in tenant.tenant_wide_roles.get(user["id"], ()):
                    return tenant, user
        return None
    for tenant in tenants:
        user = tenant.users_by_key.get(reference.lower())
        if user is not None:
            return tenant, user
    return None


def _chooser(request: Request, tenants: list[Tenant]) -> HTMLResponse:
    """Each tenant's administrators (any active tenant-wide role), then a few other members."""
    sections = []
    for tenant in tenants:
        members = [u for u in tenant.data["users"] if tenant.can_sign_in(u)]
        admins = [u for u in members if u["id"] in tenant.tenant_wide_roles]
        others = [u for u in members if u["id"] not in tenant.tenant_wide_roles][:_OTHER_MEMBERS]
        rows = "".join(_row(request, tenant, user) for user in [*admins, *others])
        sections.append(f"<h2>{html.escape(tenant.display_name)}</h2><ul>{rows}</ul>")
    cancel = html.escape(with_query(str(request.url), [("sim_outcome", "deny")]))
    return HTMLResponse(_PAGE.format(cancel=cancel, sections="".join(sections)))


def _row(request: Request, tenant: Tenant, user: Json) -> str:
    roles = sorted(_ROLE_NAMES.get(r, r) for r in tenant.tenant_wide_roles.get(user["id"], ()))
    href = html.escape(with_query(str(request.url), [("sim_user", user["id"])]))
    return (
        f"<li><a href='{href}'>{html.escape(user['displayName'])}</a> "
        f"<span class='note'>{html.escape(user['userPrincipalName'])} - "
        f"{html.escape(', '.join(roles) or 'no administrator role')}</span></li>"
    )


async def authorize(request: Request) -> Response:
    state: SimState = request.app.state.sim
    query = dict(request.query_params)
    client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
    # Until the app and its redirect URI are known, errors can only be shown, not sent back.
    if client_id.lower() != state.app.client_id.lower():
        return error_page(
            400, 700016, f"Application with identifier '{client_id}' was not found in the directory."
        )
    if not redirect_uri:
        return error_page(400, 900144, _MISSING.format("redirect_uri"))
    reference = request.path_params["tenant"]
    tenants = candidates(state, reference)
    if tenants is None:
        return error_page(400, 90002, f"Tenant '{reference}' not found.")
    mode = query.get("response_mode", "query")
    if mode not in ("query", "fragment", "form_post"):
        return error_page(400, 70007, f"The response_mode '{mode}' is not supported.")
    echo = [("state", query["state"])] if "state" in query else []
    problem = _request_problem(query)
    if problem is not None:
        return _respond(redirect_uri, mode, [("error", problem[0]), ("error_description", problem[1]), *echo])
    if query.get("sim_outcome") == "deny":  # the user cancelled (v2-oauth2-auth-code-flow, Error response)
        return _respond(redirect_uri, mode, [*declined(), *echo])
    if not query.get("sim_user"):
        return _chooser(request, tenants)
    return _sign_in(state, query, tenants, reference, mode, echo)


def _sign_in(
    state: SimState,
    query: dict[str, str],
    tenants: list[Tenant],
    reference: str,
    mode: str,
    echo: list[tuple[str, str]],
) -> Response:
    found = _find_user(tenants, query["sim_user"])
    if found is None:
        return error_page(400, 50034, "The user account does not exist in the directory.")
    tenant, user = found
    if not user.get("accountEnabled"):
        return error_page(400, 50057, "The user account is disabled.")
    if not tenant.can_sign_in(user):
        return error_page(400, 50034, "The simulator signs in members of their own tenant only.")
    code = state.codes.issue(
        client_id=state.app.client_id,
        redirect_uri=query["redirect_uri"],
        # A code "must be redeemed against same tenant it was acquired for (/common or /{tenant-ID}
        # as appropriate)" (AADSTS700005), so it remembers which it was.
        authority=reference.lower() if reference.lower() in MULTI_TENANT else tenant.id,
        tenant_id=tenant.id,
        user_id=user["id"],
        scope=query["scope"],
        nonce=query.get("nonce"),
        challenge=query.get("code_challenge") or None,
        method=query.get("code_challenge_method") or "plain",
    )
    return _respond(query["redirect_uri"], mode, [("code", code.value), *echo])
