"""The HTTP API: a FastAPI app with one router per feature, all under /api."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from core.bootstrap import LazyServices
from core.errors import ScanPostureError
from functions.api import (
    audit,
    billing,
    branding,
    config,
    consent,
    customers,
    fleet,
    health,
    integrations,
    me,
    reports,
    scorecards,
    team,
    tenant_views,
)
from functions.api.auth import AuthenticateFirst
from functions.api.bodies import LimitBodies
from functions.api.errors import answer_error
from functions.api.examples import add_response_examples
from functions.api.validation import answer_invalid_request
from functions.runtime import LazyAsgi

API_PREFIX = "/api"
# Every router of the API; the isolation test walks these and checks they are all there is.
ROUTERS = (
    health.router,
    config.router,
    me.router,
    customers.router,
    consent.router,
    team.router,
    audit.router,
    fleet.router,
    tenant_views.router,
    scorecards.router,
    branding.router,
    reports.router,
    billing.router,
    integrations.router,
)


def _mcp_route(services: LazyServices) -> LazyAsgi:
    """The MCP HTTP route, imported on its first request so the mcp SDK never slows a cold start."""

    def build() -> Any:
        from functions.mcp_server import McpHttpRoute  # the mcp SDK, at the first MCP request

        return McpHttpRoute(services)

    return LazyAsgi(build)


def create_api(services: LazyServices) -> FastAPI:
    api = FastAPI(
        title="ScanPosture API",
        version="0.1.0",
        description="Security posture of Microsoft 365 / Entra ID tenants for MSPs and their customers.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    api.state.services = services
    api.add_exception_handler(RequestValidationError, answer_invalid_request)
    # The one translation of core.errors to HTTP (an InvalidId from the request is Refused: 400).
    api.add_exception_handler(ScanPostureError, answer_error)
    # The last added runs first: authenticate before anything reads or counts a body.
    api.add_middleware(LimitBodies)
    api.add_middleware(AuthenticateFirst)
    for router in ROUTERS:
        api.include_router(router, prefix=API_PREFIX)
    api.mount(f"{API_PREFIX}/mcp", _mcp_route(services))
    build_openapi = api.openapi

    def openapi_with_examples() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = add_response_examples(build_openapi())
        return api.openapi_schema

    api.openapi = openapi_with_examples  # type: ignore[method-assign]
    return api
