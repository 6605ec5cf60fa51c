"""The v2.0 admin consent endpoint: `GET /{tenant | organizations}/v2.0/adminconsent`.

A local page lets whoever runs the demo pick which simulated tenant's Global Administrator answers.
Tests skip the page with `sim_tenant=<id>&sim_outcome=grant|deny`. Granting marks the tenant
consented (lifting a `revoked_consent` fault) and redirects as Entra does:
`redirect_uri?admin_consent=True&tenant=<id>&scope=...&state=...`; denying redirects with
`error=access_denied` and AADSTS65004.
"""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from devtools.graphsim.responses import new_id
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Tenant

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Permissions requested</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;color:#1b1b1b}}
li{{margin:.6rem 0}} a{{margin-left:.8rem}} .note{{color:#555;font-size:.9rem}}</style></head>
<body><h1>Permissions requested</h1>
<p><strong>{app}</strong> wants admin consent for: <code>{scope}</code></p>
<p class="note">Graph simulator: choose the tenant whose Global Administrator answers.</p>
<ul>{rows}</ul></body></html>"""


def with_query(url: str, params: list[tuple[str, str]]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def error_page(status: int, code: int, message: str) -> HTMLResponse:
    """Entra's own sign-in error page, for what cannot be sent back to the app (no valid redirect)."""
    body = (
        "<!doctype html><title>Sign in</title><h1>Sorry, but we're having trouble signing you in.</h1>"
        f"<p>AADSTS{code}: {html.escape(message)}</p>"
    )
    return HTMLResponse(body, status_code=status)


def declined() -> list[tuple[str, str]]:
    """What Entra sends back when the user cancels: access_denied, AADSTS65004 (UserDeclinedConsent,
    learn.microsoft.com/entra/identity-platform/reference-error-codes)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    description = (
        f"AADSTS65004: User declined to consent to access the app. Trace ID: {new_id()} "
        f"Correlation ID: {new_id()} Timestamp: {stamp}"
    )
    return [("error", "access_denied"), ("error_subcode", "cancel"), ("error_description", description)]


def _choice(request: Request, tenant: Tenant, outcome: str) -> str:
    return html.escape(with_query(str(request.url), [("sim_tenant", tenant.id), ("sim_outcome", outcome)]))


def candidates(state: SimState, reference: str) -> list[Tenant] | None:
    """The tenants an `organizations`/`common` request may pick from, or the one it names."""
    if reference.lower() in ("organizations", "common"):
        return sorted(state.tenants.values(), key=lambda t: t.display_name)
    tenant = state.resolve(reference)
    return [tenant] if tenant else None


async def admin_consent(request: Request) -> Response:
    state: SimState = request.app.state.sim
    query = request.query_params
    client_id = query.get("client_id", "")
    redirect_uri = query.get("redirect_uri", "")
    scope = query.get("scope", "https://graph.microsoft.com/.default")
    caller_state = query.get("state")
    if client_id.lower() != state.app.client_id.lower():
        return error_page(
            400, 700016, f"Application with identifier '{client_id}' was not found in the directory."
        )
    if not redirect_uri:
        return error_page(
            400, 900144, "The request body must contain the following parameter: 'redirect_uri'."
        )
    reference = request.path_params["tenant"]
    allowed = candidates(state, reference)
    if allowed is None:
        return error_page(400, 90002, f"Tenant '{reference}' not found.")
    chosen, outcome = query.get("sim_tenant"), query.get("sim_outcome")
    if not chosen or not outcome:
        rows = "".join(
            f"<li>{html.escape(t.display_name)} <span class='note'>({html.escape(t.default_domain)})</span>"
            f"<a href='{_choice(request, t, 'grant')}'>Accept</a>"
            f"<a href='{_choice(request, t, 'deny')}'>Cancel</a></li>"
            for t in allowed
        )
        return HTMLResponse(_PAGE.format(app="ScanPosture", scope=html.escape(scope), rows=rows))
    tenant = state.resolve(chosen)
    if tenant is None or tenant not in allowed or outcome not in ("grant", "deny"):
        return error_page(400, 90002, f"Tenant '{chosen}' is not one this request may consent for.")
    if outcome == "grant":
        state.grant_consent(tenant)
        params = [("admin_consent", "True"), ("tenant", tenant.id), ("scope", scope)]
    else:
        params = [*declined(), ("admin_consent", "True")]
    if caller_state is not None:
        params.append(("state", caller_state))
    return RedirectResponse(with_query(redirect_uri, params), status_code=302)
