"""The Cosmos DB account: one database, three containers, and the repositories built over them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from azure.cosmos import PartitionKey
from azure.cosmos.aio import ContainerProxy, CosmosClient

from core.settings import Settings
from core.store import documents
from core.store.narrow_org import CustomerRows, NarrowOrgRepository, OrgView
from core.store.partitions import OrgRepository, RelationshipRepository, TenantRepository
from core.store.resource_tokens import Mode, TokenBroker
from core.store.scope import RelationshipScope, current_scope
from core.wire import azure_client_options

if TYPE_CHECKING:
    from core.customers import Customer

ORGS_CONTAINER = "orgs"
# People's principal documents, keyed by their own home tenant.
TENANTS_CONTAINER = "tenants"
# Tenant-level data, keyed by the relationship (one org managing one tenant), never the tenant id.
RELATIONSHIPS_CONTAINER = "relationships"
CONTAINERS: dict[str, str] = {
    ORGS_CONTAINER: "/orgId",
    TENANTS_CONTAINER: "/tenantId",
    RELATIONSHIPS_CONTAINER: "/relationshipId",
}


def _client_options(settings: Settings) -> dict[str, Any]:
    return {"connection_verify": settings.cosmos_ca_cert} if settings.cosmos_ca_cert else {}


def _client_from_settings(settings: Settings) -> CosmosClient:
    if not settings.cosmos_endpoint:
        raise ValueError("COSMOS_ENDPOINT is not set")
    kwargs = _client_options(settings)
    if settings.cosmos_key is not None:
        credential: Any = settings.cosmos_key.get_secret_value()
    else:
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()
    return CosmosClient(settings.cosmos_endpoint, credential=credential, **azure_client_options(**kwargs))


def _broker_from_settings(settings: Settings) -> tuple[TokenBroker | None, CosmosClient | None]:
    """The resource-token broker and the key-authenticated client only it uses; none when
    customer principals are not switched to resource tokens. Fails closed: switched on without
    a key is a configuration error, never a silent fall back to the app's identity."""
    if not settings.customer_resource_tokens:
        return None, None
    key = settings.cosmos_broker_key or settings.cosmos_key
    if key is None:
        raise ValueError("CUSTOMER_RESOURCE_TOKENS is on but COSMOS_BROKER_KEY is not set")
    options = _client_options(settings)
    admin = CosmosClient(
        settings.cosmos_endpoint, credential=key.get_secret_value(), **azure_client_options(**options)
    )
    broker = TokenBroker(
        admin.get_database_client(settings.cosmos_database),
        endpoint=settings.cosmos_endpoint,
        container_name=RELATIONSHIPS_CONTAINER,
        lifetime_seconds=settings.resource_token_seconds,
        client_options=options,
    )
    return broker, admin


class CosmosStore:
    """Owns the client; hands out repositories that are each bound to one partition."""

    def __init__(
        self,
        client: CosmosClient,
        database_name: str,
        broker: TokenBroker | None = None,
        broker_client: CosmosClient | None = None,
    ) -> None:
        self._client = client
        self.broker = broker
        self._broker_client = broker_client
        self._database = client.get_database_client(database_name)
        self._orgs: ContainerProxy = self._database.get_container_client(ORGS_CONTAINER)
        self._tenants: ContainerProxy = self._database.get_container_client(TENANTS_CONTAINER)
        self._relationships: ContainerProxy = self._database.get_container_client(RELATIONSHIPS_CONTAINER)

    @classmethod
    def from_settings(cls, settings: Settings) -> CosmosStore:
        broker, broker_client = _broker_from_settings(settings)
        return cls(_client_from_settings(settings), settings.cosmos_database, broker, broker_client)

    async def ensure_containers(self) -> None:
        """Create the database and containers when missing (local only; Bicep owns them in Azure)."""
        database = await self._client.create_database_if_not_exists(self._database.id)
        for name, path in CONTAINERS.items():
            await database.create_container_if_not_exists(name, partition_key=PartitionKey(path=path))

    def org(self, org_id: str) -> OrgRepository:
        """One org's partition; inside a customer principal's request only the documents of that
        customer's own (core/store/narrow_org.py)."""
        scope = current_scope()
        if scope is not None:
            return NarrowOrgRepository(self._orgs, org_id, scope.org_view(org_id), scope.customer_rows)
        return OrgRepository(self._orgs, org_id)

    def home_tenant(self, tenant_id: str) -> TenantRepository:
        """People whose home directory is `tenant_id` (their memberships)."""
        return TenantRepository(self._tenants, tenant_id)

    def relationship(self, relationship_id: str) -> RelationshipRepository:
        """One org's data about one tenant it manages: through the caller's resource tokens inside
        a customer principal's request (core/store/scope.py), else with the app's identity."""
        scope = current_scope()
        container = self._relationships if scope is None else scope.container(relationship_id)
        return RelationshipRepository(container, relationship_id)

    async def scope_for(
        self,
        relationships: dict[str, Mode],
        orgs: dict[str, OrgView] | None = None,
        customer_rows: CustomerRows | None = None,
    ) -> RelationshipScope | None:
        """Containers over resource tokens for exactly these relationships, in these modes, and
        these narrow views of org partitions (with the customer records already read for them);
        None when customer principals keep the app's identity (CUSTOMER_RESOURCE_TOKENS off)."""
        if self.broker is None:
            return None
        broker = self.broker
        containers = {rid: await broker.container(rid, mode) for rid, mode in relationships.items()}
        return RelationshipScope(containers, orgs or {}, dict(customer_rows or {}))

    async def revoke_relationship(self, relationship_id: str) -> None:
        """Delete the relationship's Cosmos users and permissions: its tokens stop working."""
        if self.broker is not None:
            await self.broker.revoke(relationship_id)

    async def connected_customers(self) -> AsyncIterator[Customer]:
        """Every connected customer of every org. Cross-partition: for scheduling jobs only,
        never on a request path (DESIGN.md)."""
        from core.customers import ConnectionState

        async for customer in self._customers(ConnectionState.CONNECTED.value):
            yield customer

    async def all_customers(self) -> AsyncIterator[Customer]:
        """Every customer of every org, in any state. Cross-partition: for migrations only."""
        async for customer in self._customers(None):
            yield customer

    async def _customers(self, state: str | None) -> AsyncIterator[Customer]:
        from core.customers import Customer

        query = "SELECT * FROM c WHERE c.type = @type"
        if state is not None:
            query += " AND c.connection.state = @state"
        parameters: list[dict[str, object]] = [{"name": "@type", "value": documents.CUSTOMER}]
        if state is not None:
            parameters.append({"name": "@state", "value": state})
        async for raw in self._orgs.query_items(query, parameters=parameters):
            yield Customer.model_validate(raw)

    async def relationships_of(self, tenant_id: str) -> list[Customer]:
        """Every org's relationship with one tenant, in any state. Cross-partition: for jobs (the
        migration) and tests only, never on a request path."""
        from core.customers import Customer

        query = "SELECT * FROM c WHERE c.type = @type AND c.tenantId = @tenant"
        parameters: list[dict[str, object]] = [
            {"name": "@type", "value": documents.CUSTOMER},
            {"name": "@tenant", "value": tenant_id},
        ]
        return [
            Customer.model_validate(raw) async for raw in self._orgs.query_items(query, parameters=parameters)
        ]

    async def ping(self) -> None:
        """Raise if the account cannot be read."""
        await self._database.read()

    async def close(self) -> None:
        await self._client.close()
        if self.broker is not None:
            await self.broker.close()
        if self._broker_client is not None:
            await self._broker_client.close()
