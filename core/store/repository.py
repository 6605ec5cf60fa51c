"""Partition-scoped repositories over the async Cosmos DB client.

A repository is bound to exactly one partition value when it is built, and every call it makes
passes that partition key. Queries get the partition filter written into their text as well, so a
caller cannot widen a query to other partitions by forgetting a parameter (and the local stand-in,
which ignores the partition header on queries, sees the same filter Cosmos DB would apply).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.cosmos.aio import ContainerProxy
from azure.cosmos.exceptions import CosmosAccessConditionFailedError, CosmosHttpResponseError

from core.store import documents as docs
from core.store.errors import AccessDenied, AlreadyExists, Conflict, InvalidId, NotFound, Unavailable

if TYPE_CHECKING:
    pass

Item = dict[str, Any]

# Cosmos adds these to every stored item; they never leave the repository inside a document.
_SYSTEM_FIELDS = ("_rid", "_self", "_etag", "_attachments", "_ts")
_PARTITION_PARAM = "@partition"
MAX_PAGE_SIZE = 500
BATCH_LIMIT = 100

# The SDK splices an id into the REST path unescaped (`.../docs/{id}`), so an id holding a path
# character or a dot segment names another resource: on the stand-in `principal:x/../principal:y`
# read y, `.` listed the whole container and `..` read the container itself. Cosmos DB forbids
# these characters in ids anyway; refusing them here keeps every caller, whatever built the id
# (a token's claim, a URL, a key), on the one document it names.
_FORBIDDEN_IN_ID = ("/", "\\", "?", "#")
_DOT_SEGMENTS = frozenset({".", ".."})
MAX_ID_BYTES = 1023  # Cosmos DB's limit for an id


def check_document_id(item_id: str) -> str:
    """`item_id` when it can only name one document of a container; otherwise InvalidId."""
    if not isinstance(item_id, str) or not item_id:
        raise InvalidId(item_id, "an id is a non-empty string")
    # A server or proxy on the way may percent-decode the path, so the decoded form must pass too.
    for form in {item_id, unquote(item_id)}:
        if any(c in form for c in _FORBIDDEN_IN_ID):
            raise InvalidId(item_id, "it may not contain '/', '\\', '?' or '#'")
        if form in _DOT_SEGMENTS:
            raise InvalidId(item_id, "'.' and '..' are path segments, not ids")
        # Control characters break the request line; lone surrogates cannot even be encoded.
        if any(unicodedata.category(c) in ("Cc", "Cs") for c in form):
            raise InvalidId(item_id, "it may not contain control characters")
    if len(item_id.encode()) > MAX_ID_BYTES:
        raise InvalidId(item_id, f"at most {MAX_ID_BYTES} bytes")
    return item_id


@dataclass(frozen=True)
class StoredItem:
    body: Item
    etag: str

    @property
    def id(self) -> str:
        return str(self.body["id"])


@dataclass(frozen=True)
class Page:
    items: list[Item]
    continuation: str | None


def _stored(raw: Mapping[str, Any]) -> StoredItem:
    body = {k: v for k, v in raw.items() if k not in _SYSTEM_FIELDS}
    return StoredItem(body=body, etag=str(raw.get("_etag", "")))


def _strip(raw: Mapping[str, Any]) -> Item:
    return {k: v for k, v in raw.items() if k not in _SYSTEM_FIELDS}


def _status(error: CosmosHttpResponseError) -> int | None:
    return getattr(error, "status_code", None)


def type_filter(type_: str, equal: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    clauses, params = ["c.type = @type"], {"@type": type_}
    for field, value in equal.items():
        if not field.isidentifier():
            raise ValueError(f"not a field name: {field!r}")
        clauses.append(f"c.{field} = @{field}")
        params[f"@{field}"] = value
    return " AND ".join(clauses), params


class PartitionRepository:
    """All reads and writes of one partition (one org or one tenant) of one container."""

    kind = "item"

    def __init__(self, container: ContainerProxy, partition_field: str, partition_value: str) -> None:
        if not partition_value or not partition_value.strip():
            raise ValueError(f"a {type(self).__name__} needs a non-empty {partition_field}")
        self._container = container
        self.partition_field = partition_field
        self.partition_value = partition_value

    @property
    def container(self) -> ContainerProxy:
        return self._container

    def _with_partition(self, item: Mapping[str, Any]) -> Item:
        if "id" not in item or not str(item["id"]):
            raise ValueError("an item needs a non-empty 'id'")
        check_document_id(item["id"])
        current = item.get(self.partition_field)
        if current is not None and current != self.partition_value:
            # A write that names another partition is a bug in the caller, never a silent move.
            raise ValueError(
                f"item {item['id']!r} belongs to {self.partition_field}={current!r}, "
                f"not {self.partition_value!r}"
            )
        return {**item, self.partition_field: self.partition_value}

    async def create(self, item: Mapping[str, Any]) -> StoredItem:
        body = self._with_partition(item)
        try:
            return _stored(await self._container.create_item(body))
        except ResourceExistsError as exc:
            raise AlreadyExists(self.kind, body["id"]) from exc
        except AzureError as exc:
            raise self._translate(exc, body["id"]) from exc

    async def get(self, item_id: str) -> StoredItem:
        check_document_id(item_id)
        try:
            raw = await self._container.read_item(item_id, partition_key=self.partition_value)
        except ResourceNotFoundError as exc:
            raise NotFound(self.kind, item_id) from exc
        except AzureError as exc:
            raise self._translate(exc, item_id) from exc
        return _stored(raw)

    async def find(self, item_id: str) -> StoredItem | None:
        try:
            return await self.get(item_id)
        except NotFound:
            return None

    async def replace(self, item: Mapping[str, Any], etag: str) -> StoredItem:
        """Write `item` only if the stored copy still has `etag` (optimistic concurrency)."""
        body = self._with_partition(item)
        try:
            raw = await self._container.replace_item(
                body["id"], body, etag=etag, match_condition=MatchConditions.IfNotModified
            )
        except CosmosAccessConditionFailedError as exc:  # 412: someone wrote it since we read it
            raise Conflict(body["id"]) from exc
        except ResourceNotFoundError as exc:
            raise NotFound(self.kind, body["id"]) from exc
        except AzureError as exc:
            raise self._translate(exc, body["id"]) from exc
        return _stored(raw)

    async def upsert(self, item: Mapping[str, Any]) -> StoredItem:
        """Create or overwrite. Only for items with a single writer (e.g. a scan's own findings)."""
        body = self._with_partition(item)
        try:
            return _stored(await self._container.upsert_item(body))
        except AzureError as exc:
            raise self._translate(exc, body["id"]) from exc

    async def upsert_many(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Upsert many items of this partition in batches of 100 (Cosmos's batch limit). Batches
        are not relied on for atomicity (the local stand-in cannot roll back): callers write
        items whose re-write is harmless, and a failed batch raises so the caller retries."""
        bodies = [self._with_partition(item) for item in items]
        for start in range(0, len(bodies), BATCH_LIMIT):
            chunk = bodies[start : start + BATCH_LIMIT]
            try:
                results = await self._container.execute_item_batch(
                    [("upsert", (body,)) for body in chunk], partition_key=self.partition_value
                )
            except AzureError as exc:
                raise self._translate(exc, "batch") from exc
            failed = [r for r in results if int(r.get("statusCode", 500)) >= 400]
            if failed:
                raise Unavailable(f"{len(failed)} of {len(chunk)} batched upserts failed")

    async def delete(self, item_id: str, etag: str | None = None) -> None:
        check_document_id(item_id)
        kwargs: dict[str, Any] = {}
        if etag is not None:
            kwargs = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        try:
            await self._container.delete_item(item_id, partition_key=self.partition_value, **kwargs)
        except ResourceNotFoundError as exc:
            raise NotFound(self.kind, item_id) from exc
        except CosmosAccessConditionFailedError as exc:
            raise Conflict(item_id) from exc
        except AzureError as exc:
            raise self._translate(exc, item_id) from exc

    def _scoped_query(self, where: str | None, order_by: str | None) -> str:
        # Only code-owned fragments are spliced in; every value travels as a query parameter.
        query = f"SELECT * FROM c WHERE c.{self.partition_field} = {_PARTITION_PARAM}"  # noqa: S608
        if where:
            query += f" AND ({where})"
        if order_by:
            query += f" ORDER BY {order_by}"
        return query

    def _parameters(self, parameters: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        params = [{"name": _PARTITION_PARAM, "value": self.partition_value}]
        for name, value in (parameters or {}).items():
            if name == _PARTITION_PARAM:
                raise ValueError(f"{_PARTITION_PARAM} is reserved for the partition filter")
            params.append({"name": name, "value": value})
        return params

    async def query_page(
        self,
        where: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        *,
        order_by: str | None = None,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        """One page of matching items; pass `Page.continuation` back in for the next one."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        try:
            pager: Any = self._container.query_items(
                self._scoped_query(where, order_by),
                parameters=self._parameters(parameters),
                partition_key=self.partition_value,
                max_item_count=page_size,
            ).by_page(continuation)
            try:
                page = await pager.__anext__()
            except StopAsyncIteration:
                return Page(items=[], continuation=None)
            items = [_strip(raw) async for raw in page]
            return Page(items=items, continuation=pager.continuation_token or None)
        except AzureError as exc:
            raise self._translate(exc, "query") from exc

    async def query_stored(
        self, where: str | None = None, parameters: Mapping[str, Any] | None = None
    ) -> list[StoredItem]:
        """Like `query_all`, keeping each item's etag for a conditional write afterwards."""
        try:
            return [
                _stored(raw)
                async for raw in self._container.query_items(
                    self._scoped_query(where, None),
                    parameters=self._parameters(parameters),
                    partition_key=self.partition_value,
                )
            ]
        except AzureError as exc:
            raise self._translate(exc, "query") from exc

    async def query_all(
        self,
        where: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        *,
        order_by: str | None = None,
    ) -> list[Item]:
        try:
            return [
                _strip(raw)
                async for raw in self._container.query_items(
                    self._scoped_query(where, order_by),
                    parameters=self._parameters(parameters),
                    partition_key=self.partition_value,
                )
            ]
        except AzureError as exc:
            raise self._translate(exc, "query") from exc

    async def of_type(self, type_: str, **equal: Any) -> list[Item]:
        """Every document of one type in this partition whose named fields equal the values given
        (field names are code-chosen; values travel as parameters)."""
        where, params = type_filter(type_, equal)
        return await self.query_all(where, params)

    async def audit_entries(self, limit: int = 200) -> list[Item]:
        """The partition's audit entries, newest first (ids sort like the log reads)."""
        entries = await self.of_type(docs.AUDIT)
        return sorted(entries, key=lambda e: e["id"], reverse=True)[:limit]

    def _translate(self, exc: AzureError, key: str) -> Exception:
        if isinstance(exc, CosmosHttpResponseError) and _status(exc) == 412:
            return Conflict(key)  # a 412 outside replace/delete (a batch) is the same lost race
        if isinstance(exc, CosmosHttpResponseError) and _status(exc) in (401, 403):
            # A resource token that does not cover this partition or verb (403), or one revoked
            # since the request took it (401; core/store/scope.py).
            return AccessDenied(f"Cosmos DB refused access to {self.kind} '{key}': {exc.message}")
        return Unavailable(f"Cosmos DB failed on {self.kind} '{key}': {type(exc).__name__}")
