"""GET /api/consent/callback: where Entra sends the customer's administrator, twice.

First back from admin consent (`admin_consent`, `tenant`, `state`): the browser is sent on to sign
in at that tenant, with a cookie that binds the second visit to this browser. Then back from that
sign-in (`code`, `state`): the ID token proves an administrator of the tenant, and the customer is
connected. Anonymous by necessity. Every failure is a page that says what went wrong, and the
customer stays as it was.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.consent import CONSENT_COOKIE, SIGN_IN_MINUTES, begin_consent_sign_in, finish_consent
from core.onboarding import ConsentRefused
from functions.api.deps import ServicesDep

router = APIRouter(tags=["consent"])
COOKIE_PATH = "/api/consent"

# The customer's administrator sees this page: it wears the portal's stylesheet (same origin, so
# the Content-Security-Policy that forbids inline styles is kept).
_FAILURE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ScanPosture: consent not completed</title><link rel="stylesheet" href="{portal}css/app.css"></head>
<body><header class="top"><span class="brand">ScanPosture</span></header>
<main><h1>The connection was not completed</h1><section class="card"><p>{message}</p>
<p>Nothing was changed. Ask your service provider for a new consent link if you need one.</p></section>
<p><a href="{portal}">Back to ScanPosture</a></p></main></body></html>"""


def _refused(exc: ConsentRefused, portal: str) -> HTMLResponse:
    page = _FAILURE.format(message=html.escape(str(exc)), portal=html.escape(portal))
    response = HTMLResponse(page, status_code=400)
    response.delete_cookie(CONSENT_COOKIE, path=COOKIE_PATH)
    return response


@router.get(
    "/consent/callback",
    response_class=HTMLResponse,
    responses={
        302: {"description": "On to the tenant's sign-in, or (consent proved) back to the portal"},
        400: {"description": "Refused"},
    },
)
async def consent_callback(request: Request, services: ServicesDep) -> Response:
    params = request.query_params
    portal = services.settings.public_base_url.rstrip("/") + "/"
    try:
        # Entra's consent redirect names the tenant (or says admin_consent); the sign-in's, a code.
        if "code" not in params and ("admin_consent" in params or "tenant" in params):
            step = await begin_consent_sign_in(
                services,
                state=params.get("state"),
                tenant=params.get("tenant"),
                error=params.get("error"),
                error_description=params.get("error_description"),
            )
            onward = RedirectResponse(step.url, status_code=302)
            onward.set_cookie(
                CONSENT_COOKIE,
                step.browser_secret,
                max_age=SIGN_IN_MINUTES * 60,
                path=COOKIE_PATH,
                httponly=True,
                # Entra's redirect back is a top-level GET from another site: Lax cookies travel.
                samesite="lax",
                secure=portal.startswith("https://"),
            )
            return onward
        customer = await finish_consent(
            services,
            state=params.get("state"),
            code=params.get("code"),
            error=params.get("error"),
            error_description=params.get("error_description"),
            browser_secret=request.cookies.get(CONSENT_COOKIE),
            source_ip=request.client.host if request.client else None,
        )
    except ConsentRefused as exc:
        return _refused(exc, portal)
    query = urlencode({"consent": "granted", "customer": customer.customer_id})
    done = RedirectResponse(f"{portal}#/customers?{query}", status_code=302)
    done.delete_cookie(CONSENT_COOKIE, path=COOKIE_PATH)
    return done
