"""What every trigger in one worker process shares: the services, and the HTTP app, which is
built at its first request (issue 24: importing `function_app`, as the host does to index it and
as every queue and timer worker does, loads neither FastAPI nor the routes), and then over only the
routers each request's path reaches (functions.api.families)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.bootstrap import LazyServices
from core.startup import collection_paused

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

services = LazyServices()


class LazyAsgi:
    """An ASGI app that `build` makes at the first call (a request or the lifespan startup the
    Functions host sends before it) and that answers every call, that one included."""

    def __init__(self, build: Callable[[], ASGIApp]) -> None:
        self._build = build
        self._app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            with collection_paused():
                self._app = self._build()
        await self._app(scope, receive, send)


def _build_api() -> Any:
    # FastAPI, and of the routers those the first request's path reaches: at the first HTTP call.
    from functions.api.families import FamilyApps

    return FamilyApps(services)


http_app = LazyAsgi(_build_api)
