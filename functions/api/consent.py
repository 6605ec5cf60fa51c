"""GET /api/consent/callback: where Entra sends the customer's administrator after admin consent.

Anonymous by necessity. On success it redirects to the portal; every failure is a page that says
what went wrong, and the customer stays as it was.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.onboarding import ConsentRefused, complete_consent
from functions.api.auth import actor
from functions.api.deps import ServicesDep

router = APIRouter(tags=["consent"])

_FAILURE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ScanPosture: consent not completed</title></head>
<body><main><h1>The connection was not completed</h1><p>{message}</p>
<p>Nothing was changed. Ask your service provider for a new consent link if you need one.</p>
<p><a href="{portal}">Back to ScanPosture</a></p></main></body></html>"""


@router.get(
    "/consent/callback",
    response_class=HTMLResponse,
    responses={302: {"description": "Consent proved: back to the portal"}, 400: {"description": "Refused"}},
)
async def consent_callback(request: Request, services: ServicesDep) -> Response:
    params = request.query_params
    portal = services.settings.public_base_url.rstrip("/") + "/"
    try:
        customer = await complete_consent(
            services,
            state=params.get("state"),
            tenant=params.get("tenant"),
            error=params.get("error"),
            error_description=params.get("error_description"),
            actor=actor(request, None),
        )
    except ConsentRefused as exc:
        page = _FAILURE.format(message=html.escape(str(exc)), portal=html.escape(portal))
        return HTMLResponse(page, status_code=400)
    query = urlencode({"consent": "granted", "customer": customer.customer_id})
    return RedirectResponse(f"{portal}#/customers?{query}", status_code=302)
