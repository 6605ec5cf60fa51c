"""The resource-token broker: Cosmos DB clients that can reach one relationship's partition and
nothing else, for customer principals.

Cosmos DB has no row-level security, but a permission whose `resourcePartitionKey` is one value
yields resource tokens that open that partition of one container only, and in `Read` mode only for
reads (https://learn.microsoft.com/en-us/rest/api/cosmos-db/permissions). The broker, which alone
holds the account key, keeps one Cosmos user per (relationship, mode) — Cosmos allows one
permission per resource per user (409 otherwise), and a viewer's `Read` and an admin's `All` are
both on the one `relationships` container — creates its permission on first use, reads it for a
token and caches the token until shortly before it expires.

Each (relationship, mode) gets one client for the life of the process (building one is costly);
its credential is the mapping the SDK reads for every request (`auth.py` picks a token by the
request's link), so a refreshed token replaces the old one in place without a new client.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from azure.cosmos.aio import ContainerProxy, CosmosClient, DatabaseProxy
from azure.cosmos.exceptions import CosmosHttpResponseError, CosmosResourceExistsError

from core.store.errors import Unavailable
from core.store.repository import check_document_id
from core.wire import azure_client_options

# A token is used until this long before Cosmos's expiry, so no request carries one that lapses
# on the way.
REFRESH_MARGIN_SECONDS = 300
MAX_TOKEN_SECONDS = 18000  # Cosmos's maximum, five hours (x-ms-documentdb-expiry-seconds)


class Mode(StrEnum):
    """Cosmos's two permission modes: `Read` for viewers, `All` (read, write, delete) for admins."""

    READ = "Read"
    ALL = "All"


def user_id(relationship_id: str, mode: Mode) -> str:
    """The Cosmos user that holds one relationship's permission in one mode."""
    return check_document_id(f"rel.{relationship_id}.{mode.value.lower()}")


PERMISSION_ID = "relationship-partition"


@dataclass
class _Entry:
    client: CosmosClient
    container: ContainerProxy
    tokens: dict[str, str]  # the SDK's credential mapping, updated in place on refresh
    expires_at: float


class TokenBroker:
    """Mints and caches resource tokens per (relationship, mode); hands out containers over them."""

    def __init__(
        self,
        admin: DatabaseProxy,
        *,
        endpoint: str,
        container_name: str,
        lifetime_seconds: int = 3600,
        client_options: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 10 <= lifetime_seconds <= MAX_TOKEN_SECONDS:
            raise ValueError(f"a resource token lives 10..{MAX_TOKEN_SECONDS} seconds")
        self._admin = admin
        self._endpoint = endpoint
        self._link = f"dbs/{admin.id}/colls/{container_name}"
        self._container_name = container_name
        self._lifetime = lifetime_seconds
        self._options = client_options or {}
        self._clock = clock
        self._entries: dict[tuple[str, Mode], _Entry] = {}
        self._locks: dict[tuple[str, Mode], asyncio.Lock] = {}
        self.mints = 0  # tokens read from Cosmos so far (for tests and the benchmark)

    @property
    def resource_link(self) -> str:
        return self._link

    @property
    def database(self) -> DatabaseProxy:
        """The database as the account key sees it (users and permissions live there)."""
        return self._admin

    async def container(self, relationship_id: str, mode: Mode) -> ContainerProxy:
        """The relationships container as seen with this relationship's token in this mode."""
        key = (relationship_id, mode)
        entry = self._entries.get(key)
        if entry is not None and self._clock() < entry.expires_at - REFRESH_MARGIN_SECONDS:
            return entry.container
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            entry = self._entries.get(key)
            if entry is None or self._clock() >= entry.expires_at - REFRESH_MARGIN_SECONDS:
                entry = await self._refresh(relationship_id, mode, entry)
            return entry.container

    async def _refresh(self, relationship_id: str, mode: Mode, entry: _Entry | None) -> _Entry:
        started = self._clock()
        token = await self._token(relationship_id, mode)
        expires_at = started + self._lifetime
        if entry is not None:
            entry.tokens[self._link] = token
            entry.expires_at = expires_at
            return entry
        tokens = {self._link: token}
        client = CosmosClient(self._endpoint, credential=tokens, **azure_client_options(**self._options))
        container = client.get_database_client(self._admin.id).get_container_client(self._container_name)
        entry = _Entry(client, container, tokens, expires_at)
        self._entries[(relationship_id, mode)] = entry
        return entry

    async def _token(self, relationship_id: str, mode: Mode) -> str:
        """Read the permission (a fresh token each read); create user and permission when missing."""
        user = self._admin.get_user_client(user_id(relationship_id, mode))
        expiry = {"resource_token_expiry_seconds": self._lifetime}
        try:
            try:
                permission = await user.get_permission(PERMISSION_ID, **expiry)
            except CosmosHttpResponseError as exc:
                if exc.status_code != 404:
                    raise
                permission = await self._create(relationship_id, mode, expiry)
        except CosmosHttpResponseError as exc:
            raise Unavailable(f"Cosmos DB refused the resource token broker: {exc.status_code}") from exc
        self.mints += 1
        return str(permission.properties["_token"])

    async def _create(self, relationship_id: str, mode: Mode, expiry: dict[str, int]) -> Any:
        uid = user_id(relationship_id, mode)
        # The user may exist: made by another process, or kept when its permission was deleted.
        with contextlib.suppress(CosmosResourceExistsError):
            await self._admin.create_user({"id": uid})
        body = {
            "id": PERMISSION_ID,
            "permissionMode": mode.value,
            "resource": self._link,
            "resourcePartitionKey": [relationship_id],
        }
        user = self._admin.get_user_client(uid)
        try:
            return await user.create_permission(body, **expiry)
        except CosmosResourceExistsError:
            return await user.get_permission(PERMISSION_ID, **expiry)  # a concurrent creator won

    async def revoke(self, relationship_id: str) -> None:
        """Delete the relationship's Cosmos users (with their permissions): every token minted for
        it stops working at once, in this process and any other."""
        for mode in Mode:
            entry = self._entries.get((relationship_id, mode))
            if entry is not None:
                # Requests in flight may hold its client: keep it open (its token now fails), and
                # make the next use mint anew, which only a still-granted relationship asks for.
                entry.expires_at = float("-inf")
            try:
                await self._admin.delete_user(user_id(relationship_id, mode))
            except CosmosHttpResponseError as exc:
                if exc.status_code != 404:
                    raise Unavailable(f"Cosmos DB refused a revocation: {exc.status_code}") from exc

    async def close(self) -> None:
        for entry in self._entries.values():
            await entry.client.close()
        self._entries.clear()
