"""Isolation enforced by the database, attacked through the API.

The attack: a route that forgets to authorise (registered here only, never in production routing)
reads a relationship partition named by the query string. A customer viewer of tenant X who passes
tenant Y's relationship id must get 403 from Cosmos DB, not Y's data; an MSP admin, who keeps the
app's identity, shows the route really does forget. Then every tenant route a customer calls is
shown, from the stand-in's own log, to have reached relationship data with that customer's token
only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from core.bootstrap import LazyServices, Services
from core.settings import Settings
from core.store.resource_tokens import Mode, user_id
from functions.api import API_PREFIX, create_api
from functions.api.auth import PrincipalDep
from functions.api.deps import ServicesDep
from functions.api.gate import PUBLIC_PATHS
from tests.integration.test_isolation import OPERATIONS, _url
from tests.integration.test_resource_tokens import request_log, request_log_position
from tests.world import World

forgetful = APIRouter()


@forgetful.get("/test-only/forgetful")
async def forgets_authorisation(
    relationship: str, principal: PrincipalDep, services: ServicesDep
) -> dict[str, Any]:
    """Authenticates, then reads whatever partition it is told to: the bug the database must stop."""
    probes = await services.store.relationship(relationship).of_type("isolation_probe")
    return {"checkIds": [p["checkId"] for p in probes]}


@forgetful.post("/test-only/forgetful")
async def writes_without_authorisation(
    relationship: str, principal: PrincipalDep, services: ServicesDep
) -> dict[str, Any]:
    """Authenticates, then writes into whatever partition it is told to."""
    await services.store.relationship(relationship).upsert(
        {"id": "isolation_probe:planted", "type": "isolation_probe", "checkId": "planted"}
    )
    return {"written": True}


@pytest.fixture
async def attack_client(api_settings: Settings, api_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    services = LazyServices(api_settings)
    app = create_api(services)
    app.include_router(forgetful, prefix=API_PREFIX)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as c:
            yield c
    finally:
        await services.close()


@pytest.fixture
async def seeded(api_services: Services, world: World) -> tuple[str, str]:
    """X's and Y's relationship ids, each partition holding a probe only its own people may see
    (its own type, so no other test counts it)."""
    x = world.customers[world.tenant_x].relationship_id
    y = world.customers[world.tenant_y].relationship_id
    for rid, check in ((x, "probe.x_only"), (y, "probe.y_only")):
        await api_services.store.relationship(rid).upsert(
            {"id": f"isolation_probe:{check}", "type": "isolation_probe", "checkId": check}
        )
    return x, y


def _bearer(tokens: dict[str, str], person: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[person]}"}


async def test_a_route_that_forgets_authorisation_gets_403_from_the_database(
    attack_client: httpx.AsyncClient,
    tokens: dict[str, str],
    seeded: tuple[str, str],
    api_settings: Settings,
) -> None:
    x, y = seeded
    since = await request_log_position(api_settings)
    stolen = await attack_client.get(
        "/api/test-only/forgetful", params={"relationship": y}, headers=_bearer(tokens, "customer_viewer_x")
    )
    assert stolen.status_code == 403, stolen.text
    assert "y_only" not in stolen.text and "Cosmos DB refused" in stolen.json()["detail"]
    refused = [
        r
        for r in await request_log(api_settings, since)
        if r["link"].endswith("/docs") and r.get("status") == 403
    ]
    assert refused and all(r["user"] == user_id(x, Mode.READ) for r in refused)  # the database said no
    own = await attack_client.get(
        "/api/test-only/forgetful", params={"relationship": x}, headers=_bearer(tokens, "customer_viewer_x")
    )
    assert own.status_code == 200 and "probe.x_only" in own.json()["checkIds"]
    # The route really does forget: the MSP's admin, on the app's identity, reads Y through it.
    msp = await attack_client.get(
        "/api/test-only/forgetful", params={"relationship": y}, headers=_bearer(tokens, "msp_admin_a")
    )
    assert msp.status_code == 200 and "probe.y_only" in msp.json()["checkIds"]


async def test_an_admin_of_y_cannot_write_into_x_through_a_forgetful_route(
    attack_client: httpx.AsyncClient, tokens: dict[str, str], seeded: tuple[str, str]
) -> None:
    x, _ = seeded
    answer = await attack_client.get(
        "/api/test-only/forgetful", params={"relationship": x}, headers=_bearer(tokens, "customer_admin_y")
    )
    assert answer.status_code == 403 and "x_only" not in answer.text


TENANT_READS = (
    "/api/tenants/{t}/dashboard",
    "/api/tenants/{t}/findings",
    "/api/tenants/{t}/scans",
    "/api/tenants/{t}/findings/export?format=csv",
)


@pytest.mark.parametrize("person", ["customer_viewer_x", "customer_admin_x"])
async def test_customer_requests_reach_relationship_data_only_with_their_own_token(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    world: World,
    seeded: tuple[str, str],
    api_settings: Settings,
    person: str,
) -> None:
    x, _ = seeded
    mode = Mode.ALL if person == "customer_admin_x" else Mode.READ
    since = await request_log_position(api_settings)
    for path in TENANT_READS:
        answer = await client.get(path.format(t=world.tenant_x), headers=_bearer(tokens, person))
        assert answer.status_code == 200, (path, answer.text)
    relationships = f"colls/{'relationships'}"
    served = [r for r in await request_log(api_settings, since) if relationships in r["link"]]
    assert served, "the routes read relationship data"
    assert {(r["auth"], r.get("user"), r.get("status")) for r in served} == {
        ("resource", user_id(x, mode), 200)
    }


async def test_msp_requests_keep_the_app_identity(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    world: World,
    seeded: tuple[str, str],
    api_settings: Settings,
) -> None:
    since = await request_log_position(api_settings)
    answer = await client.get(
        f"/api/tenants/{world.tenant_x}/findings", headers=_bearer(tokens, "msp_analyst_a")
    )
    assert answer.status_code == 200
    served = [r for r in await request_log(api_settings, since) if "colls/relationships" in r["link"]]
    assert served and {r["auth"] for r in served} == {"master"}


async def test_a_viewer_cannot_write_even_its_own_partition_and_an_admin_only_its_own(
    attack_client: httpx.AsyncClient, tokens: dict[str, str], seeded: tuple[str, str], api_services: Services
) -> None:
    x, y = seeded
    route = "/api/test-only/forgetful"
    viewer = await attack_client.post(
        route, params={"relationship": x}, headers=_bearer(tokens, "customer_viewer_x")
    )
    assert viewer.status_code == 403, viewer.text  # its token is Read
    across = await attack_client.post(
        route, params={"relationship": y}, headers=_bearer(tokens, "customer_admin_x")
    )
    assert across.status_code == 403, across.text  # its token is All, for X only
    assert await api_services.store.relationship(x).find("isolation_probe:planted") is None
    assert await api_services.store.relationship(y).find("isolation_probe:planted") is None
    own = await attack_client.post(
        route, params={"relationship": x}, headers=_bearer(tokens, "customer_admin_x")
    )
    assert own.status_code == 200
    await api_services.store.relationship(x).delete("isolation_probe:planted")


@pytest.mark.parametrize("person", ["customer_viewer_x", "customer_admin_x", "customer_admin_y"])
async def test_every_read_route_a_customer_calls_uses_only_that_customers_token(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    world: World,
    seeded: tuple[str, str],
    api_settings: Settings,
    person: str,
) -> None:
    """The isolation matrix's GET routes, on tenant X, as each customer principal: whatever each
    answers (200, 403, 404), the relationship data it read went through that person's own token."""
    x, y = seeded
    own = {
        "customer_viewer_x": user_id(x, Mode.READ),
        "customer_admin_x": user_id(x, Mode.ALL),
        "customer_admin_y": user_id(y, Mode.ALL),
    }[person]
    since = await request_log_position(api_settings)
    for method, path, _ in OPERATIONS:
        if method == "GET" and path not in PUBLIC_PATHS:
            answer = await client.get(_url(method, path, world), headers=_bearer(tokens, person))
            assert answer.status_code < 500, (path, answer.text)
    served = [r for r in await request_log(api_settings, since) if "colls/relationships" in r["link"]]
    assert {(r["auth"], r.get("user")) for r in served} <= {("resource", own)}
    if person != "customer_admin_y":
        assert served, "a customer of X read X's data"
