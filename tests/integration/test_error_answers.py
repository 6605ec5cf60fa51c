"""The store's failures reach clients through the API's one exception handler: Unavailable as 503
with Retry-After (also while authenticating, outside the routes), Conflict as 409, never a 500.
The real stack and sign-in; only the one repository read a request depends on is made to fail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.store.errors import Conflict, Unavailable
from core.store.repository import PartitionRepository, StoredItem
from functions.api.errors import DEFAULT_RETRY_AFTER
from tests.world import World


@pytest.fixture
def failing_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Exception]:
    """Reads of the ids named here raise the exception given; every other read is real."""
    failures: dict[str, Exception] = {}
    real_get, real_find = PartitionRepository.get, PartitionRepository.find

    async def get(self: PartitionRepository, item_id: str) -> StoredItem:
        if item_id in failures:
            raise failures[item_id]
        return await real_get(self, item_id)

    async def find(self: PartitionRepository, item_id: str) -> StoredItem | None:
        if item_id in failures:
            raise failures[item_id]
        return await real_find(self, item_id)

    monkeypatch.setattr(PartitionRepository, "get", get)
    monkeypatch.setattr(PartitionRepository, "find", find)
    return failures


def _customer(world: World) -> tuple[str, str]:
    customer_id = world.customers[world.tenant_x].customer_id
    return f"/api/customers/{customer_id}", f"customer:{customer_id}"


async def test_the_store_unavailable_is_a_503_with_retry_after(
    client: httpx.AsyncClient, world: World, tokens: dict[str, str], failing_reads: dict[str, Exception]
) -> None:
    url, document_id = _customer(world)
    headers = {"authorization": f"Bearer {tokens['msp_admin_a']}"}
    assert (await client.get(url, headers=headers)).status_code == 200
    failing_reads[document_id] = Unavailable(
        f"Cosmos DB failed on customer '{document_id}': ServiceRequestError"
    )
    answer = await client.get(url, headers=headers)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == str(DEFAULT_RETRY_AFTER)
    detail: Any = answer.json()["detail"]
    assert set(answer.json()) == {"detail"} and isinstance(detail, str)
    assert "Cosmos" not in detail and document_id not in detail  # logged, not shown


async def test_the_store_conflict_is_a_409_with_its_message(
    client: httpx.AsyncClient, world: World, tokens: dict[str, str], failing_reads: dict[str, Exception]
) -> None:
    url, document_id = _customer(world)
    failing_reads[document_id] = Conflict(document_id)
    answer = await client.get(url, headers={"authorization": f"Bearer {tokens['msp_admin_a']}"})
    assert answer.status_code == 409
    assert answer.json() == {"detail": str(Conflict(document_id))}
    assert "retry-after" not in answer.headers


async def test_the_store_unavailable_while_authenticating_is_a_503_too(
    client: httpx.AsyncClient, failing_reads: dict[str, Exception]
) -> None:
    # An API key is looked up in the store by AuthenticateFirst, before any route or handler.
    key_id = "0" * 32
    failing_reads[f"apikey:{key_id}"] = Unavailable(
        "Cosmos DB failed on apikey: ServiceRequestError", retry_after=7
    )
    token = f"spk.org-unreachable.{key_id}.{'A' * 43}"
    answer = await client.post(
        "/api/customers", headers={"authorization": f"Bearer {token}"}, json={"displayName": "x"}
    )
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "7"
    assert answer.headers["connection"] == "close"  # the body was never read
    assert "Cosmos" not in answer.json()["detail"]
