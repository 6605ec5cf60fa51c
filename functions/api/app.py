"""One FastAPI app over some of the API's routers: all of them (`functions.api.create_api`), or at a
cold start only those a request's path can reach (`functions.api.families`). Every app has the same
settings, middleware and error answers, and the apps of one process share their state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import State

from core.bootstrap import LazyServices
from core.errors import ScanPostureError
from functions.api.bodies import LimitBodies
from functions.api.errors import answer_error
from functions.api.examples import add_response_examples
from functions.api.gate import AuthenticateFirst
from functions.api.validation import answer_invalid_request
from functions.runtime import LazyAsgi

API_PREFIX = "/api"


def _mcp_route(services: LazyServices) -> LazyAsgi:
    """The MCP HTTP route, imported on its first request so the mcp SDK never slows a cold start."""

    def build() -> Any:
        from functions.mcp_server import McpHttpRoute  # the mcp SDK, at the first MCP request

        return McpHttpRoute(services)

    return LazyAsgi(build)


def build_app(services: LazyServices, routers: Iterable[APIRouter], state: State | None = None) -> FastAPI:
    """The app over `routers`, in their order; `state` shared with the process's other apps (the
    token validator and its signing keys are cached there)."""
    api = FastAPI(
        title="ScanPosture API",
        version="0.1.0",
        description="Security posture of Microsoft 365 / Entra ID tenants for MSPs and their customers.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    if state is not None:
        api.state = state
    api.state.services = services
    api.add_exception_handler(RequestValidationError, answer_invalid_request)
    # The one translation of core.errors to HTTP (an InvalidId from the request is Refused: 400).
    api.add_exception_handler(ScanPostureError, answer_error)
    # The last added runs first: authenticate before anything reads or counts a body.
    api.add_middleware(LimitBodies)
    api.add_middleware(AuthenticateFirst)
    for router in routers:
        api.include_router(router, prefix=API_PREFIX)
    api.mount(f"{API_PREFIX}/mcp", _mcp_route(services))
    build_openapi = api.openapi

    def openapi_with_examples() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = add_response_examples(build_openapi())
        return api.openapi_schema

    api.openapi = openapi_with_examples  # type: ignore[method-assign]
    return api
