"""The org partition as a customer principal may see it: its own customer records and nothing else
of its provider's.

A resource token cannot express this: the org partition holds the MSP's whole fleet (every
customer, API keys, webhooks, billing) next to the few documents a customer's own people need —
their customer record, the branding they are shown, their own tenant's members, invitations and
audit entries, and the org's name. Inside a customer principal's request (core/store/scope.py),
`CosmosStore.org()` hands out this repository instead: every document it reads or writes must be
one of those, or the whole call is refused (403; a point read answers "not found", giving no hint
that the document exists), so a route that forgets to authorise cannot list
the provider's fleet through it. tests/integration/test_narrow_org.py attacks it.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from azure.cosmos.aio import ContainerProxy

from core.store import documents as docs
from core.store.errors import AccessDenied, NotFound
from core.store.partitions import OrgRepository
from core.store.repository import Page, StoredItem

# Documents that name the tenant they belong to in `tenantId`, and a customer's people may reach
# when it is their own tenant's.
_TENANT_TYPES = frozenset({docs.CUSTOMER, docs.MEMBER, docs.INVITATION})
_VISIBLE_TYPES = _TENANT_TYPES | {docs.AUDIT, docs.BRANDING, docs.ORG}


@dataclass(frozen=True)
class OrgView:
    """What of one org a customer principal may touch: its own tenants and customer records."""

    tenant_ids: frozenset[str]
    customer_ids: frozenset[str]

    def allows(self, item: Mapping[str, Any]) -> bool:
        kind, item_id = item.get("type"), item.get("id")
        if kind in _TENANT_TYPES:
            return item.get("tenantId") in self.tenant_ids
        if kind == docs.AUDIT:
            return item.get("auditTenantId") in self.tenant_ids
        if kind == docs.BRANDING:
            allowed = {docs.FLEET_BRANDING_ID} | {docs.customer_branding_id(c) for c in self.customer_ids}
            return item_id in allowed
        return kind == docs.ORG and item_id == docs.ORG_DOCUMENT_ID  # the provider's name, for branding


# The customer records read while a request's scope was made, by (org id, tenant id): every
# request of a customer principal reads its own record first (to know its relationship), then
# `authorize` and most routes read it again; the scope's read answers them. Any write through the
# view forgets them, so a request never reads back a record older than its own change.
CustomerRows = MutableMapping[tuple[str, str], list[StoredItem]]


class NarrowOrgRepository(OrgRepository):
    """An OrgRepository that serves and accepts only documents its `OrgView` allows."""

    def __init__(
        self, container: ContainerProxy, org_id: str, view: OrgView, rows: CustomerRows | None = None
    ) -> None:
        super().__init__(container, org_id)
        self._view = view
        self._rows: CustomerRows = {} if rows is None else rows

    def for_aggregates(self) -> OrgRepository:
        """The one way out of this view: the peer position (core/peers.py) ranks the customer among
        its provider's other customers, whose records the view refuses, and returns only a
        percentile and a rounded median (shown from five scored peers), never a record."""
        return OrgRepository(self.container, self.org_id)

    async def find_fleet_version(self) -> str | None:
        """The org's fleet version, read past the view: a random token that moves when any customer
        does, which names no record; the caller's cached answers (core/answers.py) key on it and
        never show it (their ETags digest the answer, not the version)."""
        return await OrgRepository(self.container, self.org_id).find_fleet_version()

    async def customers_of_tenant(self, tenant_id: str) -> list[StoredItem]:
        key = (self.org_id, tenant_id)
        if key not in self._rows:
            self._rows[key] = await super().customers_of_tenant(tenant_id)  # checked by query_stored
        return list(self._rows[key])

    async def _changing(self) -> None:
        self._rows.clear()

    def _check(self, item: Mapping[str, Any]) -> None:
        if not self._view.allows(item):
            raise AccessDenied(f"a customer's people may not reach the org document '{item.get('id')}'")

    def _check_all(self, items: Sequence[Mapping[str, Any]]) -> None:
        for item in items:
            self._check(item)

    async def get(self, item_id: str) -> StoredItem:
        """A document outside the view does not exist for the caller (no hint that it does)."""
        stored = await super().get(item_id)
        if not self._view.allows(stored.body):
            raise NotFound(self.kind, item_id)
        return stored

    async def _existing(self, item_id: str) -> None:
        """Refuse a write over a document outside the view (which `get` would hide as missing)."""
        try:
            stored = await super().get(item_id)
        except NotFound:
            return
        self._check(stored.body)

    async def of_type(self, type_: str, **equal: Any) -> list[dict[str, Any]]:
        # Refused before asking: even an empty answer would tell whether the org has any.
        if type_ not in _VISIBLE_TYPES:
            raise AccessDenied(f"a customer's people may not list the org's {type_} documents")
        return await super().of_type(type_, **equal)

    async def query_page(self, *args: Any, **kwargs: Any) -> Page:
        page = await super().query_page(*args, **kwargs)
        self._check_all(page.items)
        return page

    async def query_stored(self, *args: Any, **kwargs: Any) -> list[StoredItem]:
        stored = await super().query_stored(*args, **kwargs)
        self._check_all([s.body for s in stored])
        return stored

    async def query_all(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        items = await super().query_all(*args, **kwargs)
        self._check_all(items)
        return items

    async def create(self, item: Mapping[str, Any]) -> StoredItem:
        self._check(item)
        await self._changing()
        return await super().create(item)

    async def replace(self, item: Mapping[str, Any], etag: str) -> StoredItem:
        self._check(item)
        await self._existing(str(item["id"]))
        await self._changing()
        return await super().replace(item, etag)

    async def upsert(self, item: Mapping[str, Any]) -> StoredItem:
        self._check(item)
        await self._existing(str(item["id"]))
        await self._changing()
        return await super().upsert(item)

    async def upsert_many(self, items: Sequence[Mapping[str, Any]]) -> None:
        raise AccessDenied("a customer's people may not write the org's documents in bulk")

    async def delete(self, item_id: str, etag: str | None = None) -> None:
        await self._existing(item_id)
        await self._changing()
        await super().delete(item_id, etag)
