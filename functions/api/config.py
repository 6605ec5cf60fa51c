"""GET /api/config: what the portal needs to know before anyone signs in (public: no secrets)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from functions.api.deps import ServicesDep

router = APIRouter(tags=["config"])


class AuthConfigOut(BaseModel):
    clientId: str
    authority: str


class ConfigOut(BaseModel):
    signinUrl: str
    auth: AuthConfigOut


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
    )
