"""The API's gate: `AuthenticateFirst` (ASGI middleware) authenticates every non-public /api
request from its credential alone, before anything reads the body. FastAPI parses a JSON body
before it runs a route's dependencies, so an anonymous request's body used to be read and parsed
(a 400 for malformed JSON instead of the 401).

Apart from `functions.api.auth` so that a process whose first requests are public (the portal's
GET /api/config, GET /api/health) does not import token validation, API keys and the principal
store to answer them (issue 24, cold start): `authenticate` is imported at the first request that
needs it.
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from core.errors import ScanPostureError
from functions.api.deps import route_path
from functions.api.errors import answer_error

# Routes anyone may call: health, the API description, the consent callback (Entra redirects the
# customer's administrator there, who has no ScanPosture account).
PUBLIC_PATHS = frozenset({"/api/health", "/api/config", "/api/consent/callback"})
# FastAPI's own pages (the OpenAPI document and its viewer) stay public, wherever the app puts them.
_DOCUMENTATION_URLS = ("openapi_url", "docs_url", "redoc_url", "swagger_ui_oauth2_redirect_url")


def needs_authentication(scope: Scope) -> bool:
    """Every /api path but the public ones and the API's documentation."""
    path = route_path(scope)
    documentation = {getattr(scope.get("app"), name, None) for name in _DOCUMENTATION_URLS}
    return (path == "/api" or path.startswith("/api/")) and path not in PUBLIC_PATHS | documentation


class AuthenticateFirst:
    """ASGI middleware: a non-public request without a valid credential is answered 401 before
    any route runs, so no body of an unauthenticated caller is read, parsed or validated."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not needs_authentication(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # without `receive`: nothing here can touch the body
        sent = request.headers
        unread_body = sent.get("content-length", "0") != "0" or "transfer-encoding" in sent
        from functions.api.auth import authenticate

        try:
            await authenticate(request)
        except HTTPException as exc:
            headers = dict(exc.headers or {})
            if unread_body:
                headers["connection"] = "close"  # rather than let the server drain an unread body
            await JSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)(scope, receive, send)
            return
        except ScanPostureError as exc:  # outside the app's handlers here: the same answer by hand
            answer = await answer_error(request, exc)
            if unread_body:
                answer.headers["connection"] = "close"
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)
