"""Reading a simulated tenant the way a scan does, for the reading tests: its snapshot, or its
whole assessment, through the real connection, and the demo tenants by name."""

from __future__ import annotations

from core.checks.model import TenantSnapshot
from core.collect.collector import collect_tenant
from core.collect.connection import open_connection
from core.collect.connector import GraphTenantConnector
from core.scan.assess import Assessment
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator


async def collected_snapshot(settings: Settings, tenant_id: str) -> TenantSnapshot:
    """What the collector reads from the tenant (no evaluation)."""
    connection = open_connection(settings, tenant_id)
    try:
        return await collect_tenant(connection, settings)
    finally:
        await connection.close()


async def assess(graphsim: GraphSimulator, tenant_id: str) -> Assessment:
    """The tenant scanned as the queue worker scans it, with the simulator's own settings."""
    settings = Settings(**{k.lower(): v for k, v in graphsim.env().items()})  # type: ignore[arg-type]
    return await GraphTenantConnector(settings).assess(tenant_id)


def demo_tenant_id(graphsim: GraphSimulator, name: str) -> str:
    return next(t["id"] for t in graphsim.demo_tenants() if t["displayName"] == name)
