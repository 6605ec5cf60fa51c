"""The HTTP API: a FastAPI app with one router per feature, all under /api."""

from __future__ import annotations

from fastapi import FastAPI

from core.bootstrap import LazyServices
from functions.api import health


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
    api.include_router(health.router, prefix="/api")
    return api
