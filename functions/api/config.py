"""GET /api/config: what the portal needs to know before anyone signs in (public: no secrets)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from core.scan.scoring import SCORE_BANDS
from functions.api.deps import ServicesDep

router = APIRouter(tags=["config"])


class AuthConfigOut(BaseModel):
    clientId: str
    authority: str


class ScoreBandOut(BaseModel):
    band: str
    label: str
    min: float = Field(description="The lowest score in the band; it runs up to the next band's")


class ConfigOut(BaseModel):
    signinUrl: str
    auth: AuthConfigOut
    # The one definition of score bands (core/scan/scoring.py), for the gauge and the fleet's pills.
    scoreBands: list[ScoreBandOut]


@router.get("/config", response_model=ConfigOut)
async def config(services: ServicesDep) -> ConfigOut:
    settings = services.settings
    # Locally `signinUrl` names the development sign-in chooser; in Azure it is empty and the
    # portal signs in with MSAL.js against Entra ID (multi-tenant, hence "organizations").
    return ConfigOut(
        signinUrl=settings.signin_url,
        auth=AuthConfigOut(
            clientId=settings.auth_audience.removeprefix("api://"),
            authority=f"{settings.authority_host.rstrip('/')}/organizations",
        ),
        scoreBands=[ScoreBandOut(band=b, label=label, min=floor) for b, floor, label in SCORE_BANDS],
    )
