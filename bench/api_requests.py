"""Per-request figures of the API benchmark (issue 24 item 2): the CPU each route of the load mix
costs in-process, and the fleet view's latency for an MSP of 10,000 customers.

CPU: each of the four routes the 50-user load cycles through (the fleet, a search by check, a
customer's failing findings and its dashboard), through the whole app (authentication, routing,
authorisation, the answer) over ASGI in this process, with the admin's real bearer token: the
process's CPU time per request, which the machine's other load does not inflate (the HTTP figures
wait for a shared CPU as well). The Cosmos stand-in's own CPU is not in it. Beside them, what a
fleet view costs when nothing of it is cached (`fleet_view_uncached`: the use case, its rows
derived afresh, and its encoding, as the fleet view cost on every request before issue 24) and the
fleet matrix's use case.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from bench.synthetic import synthetic_customer
from core.auth.api_keys import create_api_key
from core.auth.roles import Role
from core.bootstrap import LazyServices, build_services
from core.checks.catalogue import CATALOGUE
from core.customers import bump_fleet_version
from core.settings import Settings

Percentiles = Callable[[list[float]], dict[str, float]]
FLEET_URL = "/api/fleet?sort=score&order=asc"


def mix_urls(tenants: list[str], requests: int) -> dict[str, list[str]]:
    """`requests` URLs of each route of the load mix, as bench/api.py's load() asks them."""
    rng = random.Random(21)
    checks = [c.id for c in CATALOGUE]
    return {
        "fleet_view": [FLEET_URL] * requests,
        "search_by_check": [f"/api/search?check={rng.choice(checks)}" for _ in range(requests)],
        "drill_down_findings_page": [
            f"/api/tenants/{rng.choice(tenants)}/findings?status=fail&pageSize=50" for _ in range(requests)
        ],
        "drill_down_dashboard": [f"/api/tenants/{rng.choice(tenants)}/dashboard" for _ in range(requests)],
    }


async def _timed(
    call: Callable[[], Awaitable[None]], requests: int, percentiles: Percentiles
) -> dict[str, float]:
    await call()  # warm: the customer list read once, as the app has it
    samples = []
    for _ in range(requests):
        start = time.process_time()
        await call()
        samples.append((time.process_time() - start) * 1000)
    return percentiles(samples)


async def cpu_per_request(
    settings: Settings,
    org_id: str,
    headers: dict[str, str],
    tenants: list[str],
    requests: int,
    percentiles: Percentiles,
) -> dict[str, dict[str, float]]:
    """CPU per request of each route of the load mix through the app, and of the uncached fleet
    view's and the fleet matrix's use cases (see the module's docstring)."""
    from functions.api import create_api

    figures: dict[str, dict[str, float]] = {}
    lazy = LazyServices(settings)
    transport = httpx.ASGITransport(app=create_api(lazy))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, urls in mix_urls(tenants, requests).items():
                figures[name] = await _timed(_getter(client, urls, headers), requests, percentiles)
        figures |= await _use_cases(settings, org_id, requests, percentiles)
    finally:
        await lazy.close()
    return figures


def _getter(
    client: httpx.AsyncClient, urls: list[str], headers: dict[str, str]
) -> Callable[[], Awaitable[None]]:
    """A call that GETs the next of `urls` (round and round), refusing anything but a 200."""
    turn = iter(urls * 2)

    async def get() -> None:
        response = await client.get(next(turn), headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} {response.text[:200]}")

    return get


async def _use_cases(
    settings: Settings, org_id: str, requests: int, percentiles: Percentiles
) -> dict[str, dict[str, float]]:
    from core.compliance import MatrixFilter, fleet_matrix
    from core.fleet import FleetFilter, fleet_overview, forget_fleet_rows
    from core.frameworks.profiles import profile
    from core.frameworks.scorecard_view import matrix_body
    from functions.api.fleet import _row_body, summary_body

    services = build_services(settings)
    org, now, l1 = services.store.org(org_id), datetime.now(UTC), profile("cis-e3-l1")

    async def fleet() -> None:
        forget_fleet_rows()  # as after a write: every customer's row derived again
        view = await fleet_overview(org, FleetFilter(sort="score"), now)
        orjson.dumps({"customers": [_row_body(r) for r in view.rows], "summary": summary_body(view.summary)})

    async def matrix() -> None:
        orjson.dumps(matrix_body(await fleet_matrix(org, l1, MatrixFilter(below=80, sort="share"), now)))

    try:
        return {
            "fleet_view_uncached": await _timed(fleet, requests, percentiles),
            "fleet_compliance_below_80": await _timed(matrix, requests, percentiles),
        }
    finally:
        await services.close()


async def seed_fleet(settings: Settings, org_id: str, customers: int) -> dict[str, str]:
    """Another MSP of `customers` customers for the fleet view at that size (issue 24): their
    summaries only (the fleet view reads no finding), written straight and the fleet version
    moved once. Answers an MSP admin's API key, so the signed-in admin keeps a single org."""
    services = build_services(settings)
    rng, org, now = random.Random(17), services.store.org(org_id), datetime.now(UTC)
    try:
        for i in range(customers):
            customer, _ = synthetic_customer(rng, org_id, i, str(uuid.UUID(int=rng.getrandbits(128))), now)
            await org.create(customer.to_document())
        await bump_fleet_version(org)
        key = await create_api_key(
            services.store,
            org_id,
            name="bench",
            role=Role.MSP_ADMIN,
            expires_at=now + timedelta(days=1),
            created_by={"kind": "bench"},
        )
    finally:
        await services.close()
    return {"authorization": f"Bearer {key.secret_key}"}


def fleet_at_sizes(
    base: str,
    settings: Settings,
    sizes: list[int],
    requests: int,
    measure: Callable[[httpx.Client, list[str], dict[str, str]], dict[str, float]],
) -> dict[str, Any]:
    """The fleet view's latency over HTTP for an MSP of each size (issue 24: 10,000 customers)."""
    figures: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for size in sizes:
            t0 = time.perf_counter()
            headers = asyncio.run(seed_fleet(settings, f"bench-msp-{size}", size))
            seeded = round(time.perf_counter() - t0, 1)
            for _ in range(3):  # warm: the customer list read once, the answer built once
                client.get(FLEET_URL, headers=headers)
            total = client.get(FLEET_URL, headers=headers).json()["summary"]["customers"]
            if total != size:
                raise RuntimeError(f"the fleet of {size} answers {total} customers")
            figures[str(size)] = {"seed_seconds": seeded, **measure(client, [FLEET_URL] * requests, headers)}
    return figures
