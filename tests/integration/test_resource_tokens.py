"""The Cosmos stand-in's permissions and resource tokens, attacked with the real SDK, and the broker
that mints them (core/store/resource_tokens.py).

Each test is an attempt to get past a partition-bound token: another partition, a query across
partitions, another container, a write with a read token, managing permissions with a token, an
expired token, a revoked one. Cosmos's rules: https://learn.microsoft.com/en-us/rest/api/cosmos-db/permissions
"""

from __future__ import annotations

import asyncio
import json
import ssl
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from azure.cosmos.aio import ContainerProxy, CosmosClient
from azure.cosmos.exceptions import CosmosHttpResponseError

from core.audit import Actor
from core.bootstrap import Services, build_services, prepare_local_resources
from core.customers import register_customer
from core.onboarding import remove_customer
from core.settings import Settings
from core.store import AccessDenied, RelationshipRepository
from core.store.cosmos import RELATIONSHIPS_CONTAINER, CosmosStore
from core.store.resource_tokens import PERMISSION_ID, Mode, TokenBroker, user_id
from devtools.stack import LocalStack


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _store(services: Services) -> CosmosStore:
    return services.store


def _broker(services: Services) -> TokenBroker:
    broker = _store(services).broker
    assert broker is not None, "CUSTOMER_RESOURCE_TOKENS is on in the test settings"
    return broker


async def _seed(services: Services, *relationship_ids: str) -> None:
    for rid in relationship_ids:
        await services.store.relationship(rid).upsert(
            {"id": "finding:probe", "type": "finding", "secret": rid}
        )


@pytest.fixture
async def two_partitions(services: Services) -> tuple[str, str]:
    mine, theirs = f"rel-{uuid.uuid4()}", f"rel-{uuid.uuid4()}"
    await _seed(services, mine, theirs)
    return mine, theirs


async def _status(call: Any) -> int:
    try:
        await call
    except CosmosHttpResponseError as exc:
        return int(exc.status_code or 0)
    return 200


async def test_own_partition_reads_and_the_rest_is_refused_by_the_database(
    services: Services, two_partitions: tuple[str, str]
) -> None:
    mine, theirs = two_partitions
    container = await _broker(services).container(mine, Mode.READ)
    item = await container.read_item("finding:probe", partition_key=mine)
    assert item["secret"] == mine
    # Another partition, by point read and by query.
    assert await _status(container.read_item("finding:probe", partition_key=theirs)) == 403
    query = container.query_items("SELECT * FROM c", partition_key=theirs)
    assert await _status(_drain(query)) == 403
    # No partition key at all: a cross-partition query, which a partition-bound token may not make.
    cross = container.query_items(
        "SELECT * FROM c WHERE c.secret = @s", parameters=[{"name": "@s", "value": theirs}]
    )
    assert await _status(_drain(cross)) == 403


async def _drain(items: Any) -> list[Any]:
    return [i async for i in items]


async def test_a_read_token_refuses_every_write(services: Services, two_partitions: tuple[str, str]) -> None:
    mine, _ = two_partitions
    container = await _broker(services).container(mine, Mode.READ)
    body = {"id": "finding:probe", "type": "finding", "relationshipId": mine, "secret": "overwritten"}
    assert await _status(container.upsert_item(body)) == 403
    assert await _status(container.create_item({**body, "id": "new"})) == 403
    assert await _status(container.delete_item("finding:probe", partition_key=mine)) == 403
    item = await services.store.relationship(mine).get("finding:probe")
    assert item.body["secret"] == mine


async def test_an_all_token_writes_its_own_partition_only(
    services: Services, two_partitions: tuple[str, str]
) -> None:
    mine, theirs = two_partitions
    container = await _broker(services).container(mine, Mode.ALL)
    await container.upsert_item({"id": "note", "type": "note", "relationshipId": mine})
    planted = {"id": "planted", "type": "note", "relationshipId": theirs}
    assert await _status(container.upsert_item(planted)) == 403
    assert await services.store.relationship(theirs).find("planted") is None


async def test_a_token_opens_no_other_container_and_manages_no_permissions(
    settings: Settings, services: Services, two_partitions: tuple[str, str]
) -> None:
    mine, _ = two_partitions
    container = await _broker(services).container(mine, Mode.ALL)
    database = container.client_connection  # the token-bound client's connection
    orgs = f"dbs/{settings.cosmos_database}/colls/orgs"
    assert await _status(database.ReadContainer(orgs)) == 403
    users = f"dbs/{settings.cosmos_database}/users/{user_id(mine, Mode.ALL)}"
    assert await _status(database.ReadUser(users)) == 403


async def test_a_write_cannot_name_its_own_partition_in_the_header_and_another_in_the_body(
    settings: Settings, services: Services, two_partitions: tuple[str, str]
) -> None:
    """What the SDK never sends but an attacker holding an `All` token could: the stand-in files a
    created document by its body, Cosmos refuses the mismatch with 400."""
    mine, theirs = two_partitions
    await _broker(services).container(mine, Mode.ALL)
    permission = (
        await _broker(services)
        .database.get_user_client(user_id(mine, Mode.ALL))
        .get_permission(PERMISSION_ID)
    )
    token = quote(permission.properties["_token"], "-_.!~*'()")
    headers = {"authorization": token, "x-ms-documentdb-partitionkey": json.dumps([mine])}
    docs_url = (
        f"{settings.cosmos_endpoint.rstrip('/')}/dbs/{settings.cosmos_database}/colls/relationships/docs"
    )
    verify = ssl.create_default_context(cafile=settings.cosmos_ca_cert) if settings.cosmos_ca_cert else True
    async with httpx.AsyncClient(verify=verify) as http:
        for extra in ({}, {"x-ms-documentdb-is-upsert": "true"}):
            planted = {"id": "smuggled", "type": "note", "relationshipId": theirs}
            answer = await http.post(docs_url, json=planted, headers={**headers, **extra})
            assert answer.status_code == 400, answer.text
        replaced = await http.put(
            f"{docs_url}/finding:probe",
            json={"id": "finding:probe", "type": "finding", "relationshipId": theirs, "secret": "x"},
            headers=headers,
        )
        assert replaced.status_code in (400, 404), replaced.text
        honest = await http.post(docs_url, json={"id": "honest", "relationshipId": mine}, headers=headers)
        assert honest.status_code == 201, honest.text
    assert await services.store.relationship(theirs).find("smuggled") is None
    assert (await services.store.relationship(theirs).get("finding:probe")).body["secret"] == theirs


async def test_a_feed_read_lists_its_own_partition_and_a_token_changes_no_container(
    settings: Settings, services: Services, two_partitions: tuple[str, str]
) -> None:
    """The stand-in's feed read lists the whole container and would run any verb on a container;
    with a partition-bound token neither may reach past the partition."""
    mine, theirs = two_partitions
    container = await _broker(services).container(mine, Mode.ALL)
    permission = (
        await _broker(services)
        .database.get_user_client(user_id(mine, Mode.ALL))
        .get_permission(PERMISSION_ID)
    )
    headers = {
        "authorization": quote(permission.properties["_token"], "-_.!~*'()"),
        "x-ms-documentdb-partitionkey": json.dumps([mine]),
    }
    coll_url = f"{settings.cosmos_endpoint.rstrip('/')}/dbs/{settings.cosmos_database}/colls/relationships"
    verify = ssl.create_default_context(cafile=settings.cosmos_ca_cert) if settings.cosmos_ca_cert else True
    async with httpx.AsyncClient(verify=verify) as http:
        feed = await http.get(f"{coll_url}/docs", headers=headers)
        assert feed.status_code == 200
        assert {d.get("secret") for d in feed.json()["Documents"]} == {mine}
        assert (await http.delete(coll_url, headers=headers)).status_code == 403
    moved = container.patch_item(
        "finding:probe",
        partition_key=mine,
        patch_operations=[{"op": "set", "path": "/relationshipId", "value": theirs}],
    )
    assert await _status(moved) == 400
    assert (await services.store.relationship(mine).get("finding:probe")).body["secret"] == mine


@pytest.fixture
async def token_client(settings: Settings) -> AsyncIterator[Any]:
    """Make a client over one raw token (what a leaked token would give an attacker)."""
    clients: list[CosmosClient] = []

    def make(token: str) -> ContainerProxy:
        link = f"dbs/{settings.cosmos_database}/colls/{RELATIONSHIPS_CONTAINER}"
        client = CosmosClient(
            settings.cosmos_endpoint, credential={link: token}, connection_verify=settings.cosmos_ca_cert
        )
        clients.append(client)
        return client.get_database_client(settings.cosmos_database).get_container_client(
            RELATIONSHIPS_CONTAINER
        )

    yield make
    for client in clients:
        await client.close()


async def test_an_expired_token_is_refused(
    services: Services, two_partitions: tuple[str, str], token_client: Any
) -> None:
    mine, _ = two_partitions
    await _broker(services).container(mine, Mode.READ)  # user and permission exist now
    user = _broker(services).database.get_user_client(user_id(mine, Mode.READ))
    permission = await user.get_permission(PERMISSION_ID, resource_token_expiry_seconds=10)
    container = token_client(permission.properties["_token"])
    assert (await container.read_item("finding:probe", partition_key=mine))["secret"] == mine
    await asyncio.sleep(10.5)
    assert await _status(container.read_item("finding:probe", partition_key=mine)) == 401
    # Cosmos's bounds on a token's validity: 10 s to 5 h.
    assert await _status(user.get_permission(PERMISSION_ID, resource_token_expiry_seconds=18001)) == 400


async def test_the_broker_refreshes_a_token_before_it_expires_on_the_same_client(
    settings: Settings, services: Services, two_partitions: tuple[str, str]
) -> None:
    mine, _ = two_partitions
    clock = ManualClock()
    broker = TokenBroker(
        _broker(services).database,
        endpoint=settings.cosmos_endpoint,
        container_name=RELATIONSHIPS_CONTAINER,
        lifetime_seconds=3600,
        client_options={"connection_verify": settings.cosmos_ca_cert},
        clock=clock,
    )
    try:
        first = await broker.container(mine, Mode.READ)
        again = await broker.container(mine, Mode.READ)
        assert again is first and broker.mints == 1  # cached
        old_token = dict(first.client_connection.resource_tokens)
        clock.now += 3600 - 300 - 1
        assert await broker.container(mine, Mode.READ) is first and broker.mints == 1
        clock.now += 2  # inside the refresh margin
        refreshed = await broker.container(mine, Mode.READ)
        assert refreshed is first and broker.mints == 2
        assert dict(first.client_connection.resource_tokens) != old_token
        assert (await refreshed.read_item("finding:probe", partition_key=mine))["secret"] == mine
        # Concurrent first uses mint once.
        other = f"rel-{uuid.uuid4()}"
        await asyncio.gather(*(broker.container(other, Mode.ALL) for _ in range(5)))
        assert broker.mints == 3
    finally:
        await broker.close()


async def test_removing_a_customer_revokes_its_tokens(services: Services, unique_id: str) -> None:
    customer = await register_customer(
        services.store.org(unique_id),
        tenant_id=str(uuid.uuid4()),
        display_name="Revoked Ltd",
        primary_domain="revoked.example",
        connected=True,
    )
    rid = customer.relationship_id
    await _seed(services, rid)
    scope = await _store(services).scope_for({rid: Mode.READ})
    assert scope is not None
    held = RelationshipRepository(scope.container(rid), rid)  # a request in flight keeps this
    assert (await held.get("finding:probe")).body["secret"] == rid
    await remove_customer(services, org_id=unique_id, customer_id=customer.customer_id, actor=Actor("system"))
    with pytest.raises(AccessDenied):
        await held.get("finding:probe")
    gone = _broker(services).database.get_user_client(user_id(rid, Mode.READ))
    assert await _status(gone.read()) == 404


async def test_the_stand_in_records_which_credential_served_each_request(
    settings: Settings, services: Services, two_partitions: tuple[str, str]
) -> None:
    mine, theirs = two_partitions
    since = await request_log_position(settings)
    container = await _broker(services).container(mine, Mode.READ)
    await container.read_item("finding:probe", partition_key=mine)
    await _status(container.read_item("finding:probe", partition_key=theirs))
    docs = [
        r for r in await request_log(settings, since) if "/docs" in r["link"] and r.get("auth") == "resource"
    ]
    assert [(r["user"], r["status"]) for r in docs][-2:] == [
        (user_id(mine, Mode.READ), 200),
        (user_id(mine, Mode.READ), 403),
    ]


async def request_log_position(settings: Settings) -> int:
    return int((await _log(settings, 0))["next"])


async def request_log(settings: Settings, since: int) -> list[dict[str, Any]]:
    return list((await _log(settings, since))["requests"])


async def _log(settings: Settings, since: int) -> dict[str, Any]:
    verify = ssl.create_default_context(cafile=settings.cosmos_ca_cert) if settings.cosmos_ca_cert else True
    async with httpx.AsyncClient(verify=verify) as http:
        url = f"{settings.cosmos_endpoint.rstrip('/')}/_standin/requests"
        answer = await http.get(
            url, params={"since": since}, headers={"authorization": "type=master&ver=1.0&sig=x"}
        )
        answer.raise_for_status()
        return dict(answer.json())


async def test_users_permissions_and_tokens_outlive_a_restart_of_the_stand_in(tmp_path: Path) -> None:
    """A real resource token is a signature that a restart of the service does not void; with
    --data the stand-in keeps its users, permissions and minted tokens too, and the broker's
    cached client goes on working."""
    with LocalStack(tmp_path / "durable", durable_cosmos=True) as stack:
        services = build_services(stack.settings())
        try:
            await prepare_local_resources(services)
            rid = f"rel-{uuid.uuid4()}"
            await _seed(services, rid)
            container = await _broker(services).container(rid, Mode.READ)
            assert (await container.read_item("finding:probe", partition_key=rid))["secret"] == rid
            await asyncio.to_thread(stack.restart_cosmos)
            assert (await container.read_item("finding:probe", partition_key=rid))["secret"] == rid
            users = _broker(services).database.get_user_client(user_id(rid, Mode.READ))
            assert (await users.read())["id"] == user_id(rid, Mode.READ)
        finally:
            await services.close()
