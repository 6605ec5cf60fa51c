"""GET /api/health: is each dependency reachable?"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from core.health import check_health
from functions.api.deps import ServicesDep

router = APIRouter(tags=["health"])


class DependencyOut(BaseModel):
    name: str
    ok: bool
    detail: str


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    message: str
    dependencies: list[DependencyOut]


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "At least one dependency is down"}},
)
async def health(services: ServicesDep, response: Response) -> HealthOut:
    report = await check_health(services)
    if report.ok:
        message = "all dependencies are reachable"
    else:
        response.status_code = 503
        message = "down: " + ", ".join(report.down)
    return HealthOut(
        status="ok" if report.ok else "unavailable",
        message=message,
        dependencies=[DependencyOut(name=d.name, ok=d.ok, detail=d.detail) for d in report.dependencies],
    )
