"""The Cosmos DB account: one database, three containers, and the repositories built over them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from azure.cosmos import PartitionKey
from azure.cosmos.aio import ContainerProxy, CosmosClient

from core.settings import Settings
from core.store import documents
from core.store.partitions import OrgRepository, RelationshipRepository, TenantRepository

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


def _client_from_settings(settings: Settings) -> CosmosClient:
    if not settings.cosmos_endpoint:
        raise ValueError("COSMOS_ENDPOINT is not set")
    kwargs: dict[str, Any] = {}
    if settings.cosmos_ca_cert:
        kwargs["connection_verify"] = settings.cosmos_ca_cert
    if settings.cosmos_key is not None:
        credential: Any = settings.cosmos_key.get_secret_value()
    else:
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()
    return CosmosClient(settings.cosmos_endpoint, credential=credential, **kwargs)


class CosmosStore:
    """Owns the client; hands out repositories that are each bound to one partition."""

    def __init__(self, client: CosmosClient, database_name: str) -> None:
        self._client = client
        self._database = client.get_database_client(database_name)
        self._orgs: ContainerProxy = self._database.get_container_client(ORGS_CONTAINER)
        self._tenants: ContainerProxy = self._database.get_container_client(TENANTS_CONTAINER)
        self._relationships: ContainerProxy = self._database.get_container_client(RELATIONSHIPS_CONTAINER)

    @classmethod
    def from_settings(cls, settings: Settings) -> CosmosStore:
        return cls(_client_from_settings(settings), settings.cosmos_database)

    async def ensure_containers(self) -> None:
        """Create the database and containers when missing (local only; Bicep owns them in Azure)."""
        database = await self._client.create_database_if_not_exists(self._database.id)
        for name, path in CONTAINERS.items():
            await database.create_container_if_not_exists(name, partition_key=PartitionKey(path=path))

    def org(self, org_id: str) -> OrgRepository:
        return OrgRepository(self._orgs, org_id)

    def home_tenant(self, tenant_id: str) -> TenantRepository:
        """People whose home directory is `tenant_id` (their memberships)."""
        return TenantRepository(self._tenants, tenant_id)

    def relationship(self, relationship_id: str) -> RelationshipRepository:
        """One org's data about one tenant it manages."""
        return RelationshipRepository(self._relationships, relationship_id)

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
