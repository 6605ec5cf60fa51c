"""The HTTP API: a FastAPI app with one router per feature, all under /api.

Importing this package loads no router: `routers()` imports them (issue 24, cold start), and
`functions.api.families` builds an app over only those a request's path can reach."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI

from core.bootstrap import LazyServices
from functions.api.app import API_PREFIX, build_app

if TYPE_CHECKING:
    ROUTERS: tuple[APIRouter, ...]

__all__ = ["API_PREFIX", "ROUTERS", "ROUTER_MODULES", "create_api", "routers"]
# Every router of the API, by module and in the order the app includes them; the isolation test
# walks them (as ROUTERS) and checks they are all there is.
ROUTER_MODULES = (
    "health",
    "config",
    "me",
    "customers",
    "consent",
    "team",
    "audit",
    "fleet",
    "tenant_views",
    "scorecards",
    "branding",
    "reports",
    "billing",
    "integrations",
)


def routers(modules: tuple[str, ...] = ROUTER_MODULES) -> tuple[APIRouter, ...]:
    """The routers of `modules` (names in ROUTER_MODULES), imported now if they were not yet."""
    return tuple(importlib.import_module(f"functions.api.{name}").router for name in modules)


def create_api(services: LazyServices) -> FastAPI:
    """The whole API."""
    return build_app(services, routers())


def __getattr__(name: str) -> object:
    if name == "ROUTERS":  # every router: importing this package alone imports none
        return routers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
