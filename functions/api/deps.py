"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.bootstrap import Services


async def get_services(request: Request) -> Services:
    return await request.app.state.services.get()


ServicesDep = Annotated[Services, Depends(get_services)]
