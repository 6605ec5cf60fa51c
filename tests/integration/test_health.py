"""GET /api/health against the real stack, and with Azurite stopped."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.bootstrap import Services, build_services, prepare_local_resources
from core.settings import Settings
from devtools.stack import Azurite, start_azurite
from tests.conftest import asgi_client


async def test_health_is_ok_when_everything_is_up(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {d["name"]: d["ok"] for d in body["dependencies"]} == {"cosmos": True, "blob": True, "queue": True}


@pytest.fixture
def own_azurite(tmp_path: Path) -> Iterator[Azurite]:
    """An Azurite of this test's own, so stopping it leaves the session's stack alone."""
    azurite = start_azurite(tmp_path, in_memory=True)
    yield azurite
    azurite.stop()


async def test_health_names_blob_and_queue_when_azurite_stops(
    settings: Settings, services: Services, own_azurite: Azurite
) -> None:
    from pydantic import SecretStr

    local = settings.model_copy(
        update={
            "storage_connection": SecretStr(own_azurite.connection_string()),
            "health_timeout_seconds": 2.0,
        }
    )
    prepared = build_services(local)
    await prepare_local_resources(prepared)
    await prepared.close()

    async with asgi_client(local) as api:
        assert (await api.get("/api/health")).status_code == 200
        own_azurite.stop()
        response = await api.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["message"] == "down: blob, queue"
    states = {d["name"]: d["ok"] for d in body["dependencies"]}
    assert states == {"cosmos": True, "blob": False, "queue": False}


async def test_openapi_document_is_served(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/openapi.json")
    assert response.status_code == 200
    assert "/api/health" in response.json()["paths"]
