"""Request-body limits, enforced while a body streams in.

The body is counted as the app receives it and refused with a 413 naming the limit as soon as it
passes; a declared Content-Length over the limit is refused before any byte is read. Either answer
closes the connection, so the server does not go on reading (and discarding) what was refused.
Without this a chunked upload (no Content-Length) was read whole before any size check.

FastAPI's own `max_body_size` counts as well, but answers a declared oversize with a plain-text
"Content Too Large" naming no limit, in place of whatever the route answered; hence this.
"""

from __future__ import annotations

import re

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.reports.logo import MAX_LOGO_BYTES
from functions.api.deps import route_path

# JSON bodies are small: the largest (a customer with twenty report recipients) is a few kB.
MAX_JSON_BODY_BYTES = 100_000
# The only routes that take more: logo uploads, a raw PNG or JPEG body.
_LOGO_UPLOADS = re.compile(r"/api(/tenants/[^/]+)?/branding/logo")


def body_limit(path: str) -> tuple[str, int]:
    """What a request body to `path` is called in errors, and the most bytes it may have."""
    return ("logo", MAX_LOGO_BYTES) if _LOGO_UPLOADS.fullmatch(path) else ("body", MAX_JSON_BODY_BYTES)


class BodyTooLarge(HTTPException):
    # An HTTPException, so FastAPI's body parsing passes it on (anything else becomes a 400) and
    # its handler answers it with this detail and these headers.
    def __init__(self, field: str, limit: int) -> None:
        super().__init__(413, f"{field}: at most {limit:,} bytes", headers={"connection": "close"})


class LimitBodies:
    """ASGI middleware: each request body within `body_limit` of its path, counted as it arrives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field, limit = body_limit(route_path(scope))
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(BodyTooLarge(field, limit), scope, receive, send)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(field, limit)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge as exc:  # raised past the routes (e.g. from the MCP mount)
            if started:
                raise
            await _refuse(exc, scope, receive, send)


async def _refuse(exc: BodyTooLarge, scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)(scope, receive, send)
