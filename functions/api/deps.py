"""Dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import Scope

from core import errors
from core.bootstrap import Services


async def get_services(request: Request) -> Services:
    return await request.app.state.services.get()


ServicesDep = Annotated[Services, Depends(get_services)]


def known_query_parameters(*allowed: str) -> Callable[[Request], None]:
    """Refuse query parameters a route does not take: a misspelt filter must not silently
    return everything."""

    def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - set(allowed) - {"org"})
        if unknown:
            raise errors.Refused(
                f"unknown query parameter(s): {', '.join(unknown)}; "
                f"this route takes: {', '.join(sorted(allowed)) or 'none'}",
            )

    return check


def route_path(scope: Scope) -> str:
    """The path the routes see (`/api/...`), without any root path the host mounted the app at."""
    path, root = str(scope["path"]), str(scope.get("root_path") or "")
    return path[len(root) :] if root and path.startswith(root + "/") else path
