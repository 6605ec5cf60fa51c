"""At a cold start, an app over only the routers a request's path can reach (issue 24).

The first request of a process should not import and register every router: GET /api/health needs
one. `routers_for` names, from the path's first segment after /api, every router with a route
under that segment, in the whole API's order; `FamilyApps` answers each request with an app over
those (built with the same `build_app`, so settings, middleware and error answers are the same,
and sharing one state). A route can only match a path under its own first segment, so the family
app matches what the whole API would; a path no family claims (the docs, the MCP mount, a 404)
gets the whole API. tests/unit/test_route_families.py keeps SEGMENTS complete.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import State
from starlette.types import Receive, Scope, Send

from core.bootstrap import LazyServices
from core.startup import collection_paused
from functions.api import ROUTER_MODULES, routers
from functions.api.app import API_PREFIX, build_app
from functions.api.deps import route_path

# The first path segment after /api: the router modules with routes under it.
SEGMENTS: dict[str, frozenset[str]] = {
    "health": frozenset({"health"}),
    "config": frozenset({"config"}),
    "me": frozenset({"me"}),
    "customers": frozenset({"customers", "billing"}),
    "tenants": frozenset({"customers", "team", "audit", "tenant_views", "scorecards", "branding", "reports"}),
    "consent": frozenset({"consent"}),
    "team": frozenset({"team"}),
    "invitations": frozenset({"team"}),
    "org": frozenset({"team"}),
    "audit": frozenset({"audit"}),
    "fleet": frozenset({"fleet", "scorecards"}),
    "search": frozenset({"fleet"}),
    "branding": frozenset({"branding"}),
    "billing": frozenset({"billing"}),
    "webhooks": frozenset({"integrations"}),
    "api-keys": frozenset({"integrations"}),
}


def routers_for(path: str) -> tuple[str, ...]:
    """The router modules whose routes can match `path` (as the app's router sees it), in the
    whole API's order; all of them for a path that no family claims."""
    segment = path[len(API_PREFIX) + 1 :].split("/", 1)[0] if path.startswith(API_PREFIX + "/") else ""
    family = SEGMENTS.get(segment)
    return ROUTER_MODULES if family is None else tuple(m for m in ROUTER_MODULES if m in family)


class FamilyApps:
    """ASGI: each request goes to the app of its path's routers, built at the first request that
    needs it; the lifespan goes to an app over no router (build_app's own lifespan, no import)."""

    def __init__(self, services: LazyServices) -> None:
        self._services = services
        self._state = State()
        self._apps: dict[tuple[str, ...], FastAPI] = {}

    def app(self, modules: tuple[str, ...]) -> FastAPI:
        app = self._apps.get(modules)
        if app is None:
            with collection_paused():  # FastAPI's routes and models, at a family's first request
                app = self._apps[modules] = build_app(self._services, routers(modules), self._state)
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        modules = () if scope["type"] == "lifespan" else routers_for(route_path(scope))
        await self.app(modules)(scope, receive, send)
