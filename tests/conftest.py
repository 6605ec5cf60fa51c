"""Fixtures over the real local stack: one Azurite and one Cosmos stand-in per test session,
started and stopped by the same launcher `make demo` uses."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from core.bootstrap import LazyServices, Services, build_services, prepare_local_resources
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator, start_graph_simulator
from devtools.processes import free_port
from devtools.signin.launcher import SignInProvider, start_signin
from devtools.stack import LocalStack
from functions.api import create_api
from tests.world import World


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(scope="session")
def settings(stack: LocalStack) -> Settings:
    return stack.settings()


@pytest.fixture(scope="session")
async def services(settings: Settings) -> AsyncIterator[Services]:
    built = build_services(settings)
    await prepare_local_resources(built)
    yield built
    await built.close()


@pytest.fixture
def unique_id() -> str:
    """A fresh partition value, so tests never see each other's data."""
    return f"t-{uuid.uuid4()}"


@contextlib.asynccontextmanager
async def asgi_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API in-process over ASGI, with its own services closed afterwards."""
    services = LazyServices(settings)
    api = create_api(services)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api), base_url="http://testserver"
        ) as c:
            yield c
    finally:
        await services.close()


@contextlib.contextmanager
def api_over_http(settings: Settings, wrap: Callable[[Any], Any] = lambda app: app) -> Iterator[int]:
    """The API served by uvicorn on a free loopback port, in a thread of its own (`wrap` may put
    an ASGI layer around it); yields the port."""
    port = free_port()
    services = LazyServices(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            wrap(create_api(services)), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )

    def serve() -> None:
        async def run() -> None:
            try:
                await server.serve()
            finally:
                await services.close()

        asyncio.run(run())

    thread = threading.Thread(target=serve, name=f"api-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.asynccontextmanager
async def loopback_webhook_services(settings: Settings) -> AsyncIterator[Services]:
    """Services that accept loopback webhook endpoints, with a webhook queue of their own."""
    async with webhook_services(settings, webhooks_allow_loopback=True) as services:
        yield services


@contextlib.asynccontextmanager
async def webhook_services(settings: Settings, **update: Any) -> AsyncIterator[Services]:
    """Services with a webhook queue of their own and the given settings changed."""
    local = settings.model_copy(update={**update, "webhook_queue_name": f"hooks-{uuid.uuid4().hex[:10]}"})
    services = build_services(local)
    try:
        await prepare_local_resources(services)  # its own webhook queue too
        yield services
    finally:
        await services.close()


@pytest.fixture
async def api(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(settings) as client:
        yield client


@pytest.fixture(scope="session")
def graphsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphSimulator]:
    simulator = start_graph_simulator(tmp_path_factory.mktemp("graphsim"))
    yield simulator
    simulator.stop()


@pytest.fixture
async def entra(graphsim: GraphSimulator) -> AsyncIterator[httpx.AsyncClient]:
    """A browser at Entra (the simulator), trusting its certificate: the customer's administrator
    consenting and signing in."""
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(graphsim.ca_cert))) as http:
        yield http


@pytest.fixture(scope="session")
def scan_settings(stack: LocalStack, graphsim: GraphSimulator) -> Settings:
    """Settings that point at the local stack and the Graph simulator."""
    env = {**stack.env(), **graphsim.env()}
    return Settings(**{k.lower(): v for k, v in env.items()})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def scan_services(scan_settings: Settings, services: Services) -> AsyncIterator[Services]:
    built = build_services(scan_settings)
    yield built
    await built.close()


API_AUDIENCE = "api://scanposture-tests"


@pytest.fixture(scope="session")
def world() -> World:
    return World.plan()


@pytest.fixture(scope="session")
def signin(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInProvider]:
    provider = start_signin(
        tmp_path_factory.mktemp("signin"), [p.signin_user() for p in world.people.values()], API_AUDIENCE
    )
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def api_settings(scan_settings: Settings, signin: SignInProvider) -> Settings:
    """Everything real: the stack, the Graph simulator and the sign-in provider."""
    return scan_settings.model_copy(update={k.lower(): v for k, v in signin.env().items()})


@pytest.fixture(scope="session")
async def api_services(api_settings: Settings, world: World, services: Services) -> AsyncIterator[Services]:
    built = build_services(api_settings)
    await world.build(built)
    yield built
    await built.close()


@pytest.fixture(scope="session")
def tokens(signin: SignInProvider, world: World) -> dict[str, str]:
    return {pid: signin.token_for(pid) for pid in world.people}


@pytest.fixture
async def client(api_settings: Settings, api_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(api_settings) as http:
        yield http
