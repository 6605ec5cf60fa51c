"""The audit log: who did what, when, from where.

Every entry is written to the org's partition (MSP admins read their whole org's log in one
single-partition query); an entry about one customer is also written to that relationship's
partition, so the tenant's own admins read theirs without seeing the org's, and another org that
manages the same tenant never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.customers import find_customer
from core.ports import Store
from core.store.documents import AUDIT, audit_id
from core.store.repository import PartitionRepository


@dataclass(frozen=True)
class Actor:
    kind: str  # "user", "system", "anonymous" or "tenant_admin" (who proved consent at the callback)
    tenant_id: str | None = None
    object_id: str | None = None
    name: str | None = None
    email: str | None = None
    source_ip: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "tenantId": self.tenant_id,
            "objectId": self.object_id,
            "name": self.name,
            "email": self.email,
            "sourceIp": self.source_ip,
        }


SYSTEM = Actor(kind="system")


async def record(
    store: Store,
    *,
    org_id: str,
    actor: Actor,
    action: str,
    target: dict[str, Any],
    tenant_id: str | None = None,
    relationship_id: str | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    entry = {
        "id": audit_id(now),
        "type": AUDIT,
        "at": now.isoformat(),
        "actor": actor.to_json(),
        "action": action,
        "target": target,
        "auditOrgId": org_id,
        "auditTenantId": tenant_id,
    }
    await store.org(org_id).create(entry)
    if tenant_id and not relationship_id:
        # The org's relationship with the tenant, if it still has one (a removal is logged after).
        found = await find_customer(store.org(org_id), tenant_id)
        relationship_id = found[0].relationship_id if found else None
    if relationship_id:
        await store.relationship(relationship_id).create(entry)
    return entry


async def read_log(repo: PartitionRepository, limit: int = 200) -> list[dict[str, Any]]:
    """Newest first."""
    return await repo.audit_entries(limit)
