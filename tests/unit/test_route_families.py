"""functions.api.families: the app a path gets at a cold start holds every route that path could
match in the whole API, in the same order, so it answers as the whole API would (issue 24)."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import compile_path

from core.bootstrap import LazyServices
from functions.api import API_PREFIX, ROUTER_MODULES, create_api, routers
from functions.api.families import SEGMENTS, FamilyApps, routers_for
from tests.unit.fakes import fake_settings


def _routes() -> list[tuple[str, str, re.Pattern[str]]]:
    """(router module, full path template, its regex) for every route of the API."""
    found = []
    for module, router in zip(ROUTER_MODULES, routers(), strict=True):
        for route in router.routes:
            path = API_PREFIX + route.path  # type: ignore[attr-defined]
            found.append((module, path, compile_path(path)[0]))
    return found


def _sample_paths() -> list[str]:
    """Every route's path with its parameters filled, with and without a trailing slash, and a few
    that no route has."""
    paths = [re.sub(r"{[^}]+}", "x1", path) for _, path, _ in _routes()]
    paths += [p + "/" for p in paths]
    return [*paths, "/api", "/api/", "/api/health/extra", "/api/nothing", "/api/mcp", "/api/openapi.json"]


def test_every_route_starts_with_a_literal_segment_that_names_its_router() -> None:
    for module, path, _ in _routes():
        segment = path.removeprefix(API_PREFIX + "/").split("/", 1)[0]
        assert "{" not in segment, path
        assert module in SEGMENTS.get(segment, ()), f"{path} ({module}): add it to SEGMENTS"


def test_segments_name_only_routers_with_routes_under_them() -> None:
    claimed = {(m, p.removeprefix(API_PREFIX + "/").split("/", 1)[0]) for m, p, _ in _routes()}
    for segment, modules in SEGMENTS.items():
        for module in modules:
            assert (module, segment) in claimed, f"{module} has no route under /api/{segment}"


@pytest.mark.parametrize("path", _sample_paths())
def test_a_path_gets_every_router_that_could_match_it_in_the_apis_order(path: str) -> None:
    chosen = routers_for(path)
    assert list(chosen) == [m for m in ROUTER_MODULES if m in chosen]
    for module, template, regex in _routes():
        if regex.match(path):
            assert module in chosen, f"{path} matches {template} of {module}"


def test_paths_no_family_claims_get_the_whole_api() -> None:
    for path in ("/api/openapi.json", "/api/docs", "/api/mcp", "/api/nothing", "/api", "/elsewhere"):
        assert routers_for(path) == ROUTER_MODULES
    assert routers_for("/api/health") == ("health",)


async def test_family_apps_answer_as_the_whole_api() -> None:
    """Without a credential nothing reaches a store, so every answer comes from routing, the
    middleware and the error handlers: the same whichever app gives it."""
    settings = fake_settings()
    whole = create_api(LazyServices(settings))
    families = FamilyApps(LazyServices(settings))
    public = {"/api/health", "/api/consent/callback"}  # these reach the store
    methods = ("GET", "POST", "PATCH", "DELETE")
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=whole), base_url="http://t") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=families), base_url="http://t") as b,
    ):
        for path in _sample_paths():
            if path.rstrip("/") in public or path.startswith("/api/mcp"):
                continue
            for method in methods:
                expected, got = await a.request(method, path), await b.request(method, path)
                assert (got.status_code, got.headers.get("location"), got.content) == (
                    expected.status_code,
                    expected.headers.get("location"),
                    expected.content,
                ), (method, path)
