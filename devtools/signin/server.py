"""The local sign-in provider, standing in for Microsoft Entra ID on a developer machine.

It publishes its JWKS like Entra (`/common/discovery/v2.0/keys`), issues v2-shaped access tokens
for the demo users it is given, and offers a chooser page that hands the token back to the portal.
The API validates these tokens by exactly the code path it uses for Entra; only the JWKS URL and
issuer template differ (settings).

Run: python -m devtools.signin.server --port N --users users.json --audience API_APP_ID
"""

from __future__ import annotations

import argparse
import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from devtools.signin.keys import SigningKey, access_token_claims


def build_app(
    users: list[dict[str, Any]], audience: str, base_url: str, allowed_redirect_origin: str
) -> Starlette:
    key = SigningKey()
    issuer_template = f"{base_url}/{{tid}}/v2.0"
    by_id = {u["id"]: u for u in users}

    def mint(user: dict[str, Any]) -> str:
        claims = access_token_claims(
            issuer_template=issuer_template,
            audience=audience,
            tenant_id=user["tid"],
            object_id=user["oid"],
            name=user["name"],
            email=user["email"],
        )
        return key.sign(claims)

    async def keys(_: Request) -> Response:
        return JSONResponse({"keys": [key.jwk()]})

    async def openid_configuration(request: Request) -> Response:
        tid = request.path_params["tid"]
        return JSONResponse(
            {
                "issuer": issuer_template.replace("{tid}", tid),
                "jwks_uri": f"{base_url}/common/discovery/v2.0/keys",
                "authorization_endpoint": f"{base_url}/authorize",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def token(request: Request) -> Response:
        body = await request.json()
        user = by_id.get(str(body.get("user", "")))
        if user is None:
            return JSONResponse({"error": "invalid_request", "error_description": "unknown demo user"}, 400)
        return JSONResponse({"token_type": "Bearer", "expires_in": 3600, "access_token": mint(user)})

    async def users_list(_: Request) -> Response:
        return JSONResponse([{k: u[k] for k in ("id", "name", "email", "role", "label")} for u in users])

    async def authorize(request: Request) -> Response:
        redirect_uri = request.query_params.get("redirect_uri", "")
        # Only ever hand tokens to the portal's own origin (an open redirect would leak them).
        if (
            not redirect_uri
            or f"{urlsplit(redirect_uri).scheme}://{urlsplit(redirect_uri).netloc}" != allowed_redirect_origin
        ):
            return HTMLResponse("<p>redirect_uri is not the portal's origin</p>", 400)
        user = by_id.get(request.query_params.get("user", ""))
        if user is None:
            links = [(u, urlencode({"user": u["id"], "redirect_uri": redirect_uri})) for u in users]
            rows = "".join(
                f'<li><a href="/authorize?{html.escape(query)}">{html.escape(u["name"])}</a> '
                f"<small>{html.escape(u['label'])}</small></li>"
                for u, query in links
            )
            page = (
                "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Sign in (local)</title>"
                "</head><body><main><h1>Sign in as a demo user</h1>"
                f"<p>Local development sign-in. In Azure this is Microsoft Entra ID.</p><ul>{rows}</ul>"
                "</main></body></html>"
            )
            return HTMLResponse(page)
        return RedirectResponse(f"{redirect_uri}#{urlencode({'access_token': mint(user)})}", 302)

    return Starlette(
        routes=[
            Route("/common/discovery/v2.0/keys", keys),
            Route("/{tid}/v2.0/.well-known/openid-configuration", openid_configuration),
            Route("/token", token, methods=["POST"]),
            Route("/users", users_list),
            Route("/authorize", authorize),
            # Browsers ask every origin for an icon; "no content" keeps their consoles clean.
            Route("/favicon.ico", lambda _: Response(status_code=204)),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", required=True, help="JSON list of demo users")
    parser.add_argument("--audience", required=True)
    parser.add_argument("--portal-origin", default="http://127.0.0.1:7071")
    args = parser.parse_args()
    base_url = f"http://127.0.0.1:{args.port}"
    users = json.loads(Path(args.users).read_text())
    app = build_app(users, args.audience, base_url, args.portal_origin)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
