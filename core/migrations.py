"""Moving data written by earlier versions into the shape this version reads.

Before relationships, a tenant's scans, findings, acceptances, audit entries, report records and
deliveries lived in the `tenants` container under the raw tenant id, and report blobs under
`reports/{tenantId}/`, so every org that added the tenant read the same history. This moves each
tenant's data into the partition of the one relationship that owns it and deletes the old copy;
running it again finds nothing left to move.

Which relationship owns old data: the one whose tenant proved consent (connected or connection
lost); where several orgs claim the tenant (the hole this version closes), the earliest added, as
the later ones could have come in only through it. The others start empty.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

from core.customers import ConnectionState, Customer, bump_fleet_version
from core.ports import Services
from core.store import NotFound, TenantRepository
from core.store.documents import AUDIT, REPORT

log = logging.getLogger(__name__)

_PROVEN = (ConnectionState.CONNECTED, ConnectionState.CONNECTION_LOST)


@dataclass
class MigrationReport:
    tenants: int = 0
    documents: int = 0
    blobs: int = 0
    # Tenants several orgs claimed: tenant id -> the relationship that got the history.
    contested: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"moved {self.documents} documents and {self.blobs} report blobs of {self.tenants} tenants"]
        for tenant_id, owner in self.contested.items():
            out.append(f"tenant {tenant_id}: several orgs claim it; its history went to {owner}")
        return out


def owner_of(relationships: list[Customer]) -> Customer | None:
    """The relationship that inherits a tenant's old, shared history."""
    proven = [r for r in relationships if r.connection.state in _PROVEN]
    return min(proven, key=lambda r: r.created_at) if proven else None


async def migrate_relationships(services: Services) -> MigrationReport:
    report = MigrationReport()
    by_tenant: dict[str, list[Customer]] = {}
    async for customer in services.store.all_customers():
        if customer.tenant_id:
            by_tenant.setdefault(customer.tenant_id, []).append(customer)
    for tenant_id, relationships in sorted(by_tenant.items()):
        owner = owner_of(relationships)
        if owner is None:
            continue
        moved = await _move_documents(services, tenant_id, owner)
        moved_blobs = await _move_report_blobs(services, tenant_id, owner)
        if moved or moved_blobs:
            # The owner's dashboard and findings now read the moved findings: its org's cached
            # answers (core/answers.py) must not outlive the move.
            await bump_fleet_version(services.store.org(owner.org_id))
            report.tenants += 1
            report.documents += moved
            report.blobs += moved_blobs
            if len([r for r in relationships if r.connection.state in _PROVEN]) > 1:
                report.contested[tenant_id] = owner.relationship_id
    return report


async def _move_documents(services: Services, tenant_id: str, owner: Customer) -> int:
    old = services.store.home_tenant(tenant_id)
    target = services.store.relationship(owner.relationship_id)
    documents = await old.all_but_principals()
    prefix, moved = f"{tenant_id}/", 0
    for document in documents:
        foreign = document.get("type") == AUDIT and document.get("auditOrgId") != owner.org_id
        if foreign:  # another org's entry: it stays in that org's own log, not in this history
            await _delete_quietly(old, document["id"])
            continue
        body = {k: v for k, v in document.items() if k != "tenantId"}
        if document.get("type") == REPORT and str(body.get("blob", "")).startswith(prefix):
            body["blob"] = f"{owner.relationship_id}/{body['blob'][len(prefix) :]}"
        await target.upsert(body)  # written before the old copy goes: a crash leaves a copy, not a gap
        await _delete_quietly(old, document["id"])
        moved += 1
    log.info("tenant %s: %d documents to relationship %s", tenant_id, moved, owner.relationship_id)
    return moved


async def _delete_quietly(repo: TenantRepository, item_id: str) -> None:
    with contextlib.suppress(NotFound):  # another run of the migration got there first
        await repo.delete(item_id)


async def _move_report_blobs(services: Services, tenant_id: str, owner: Customer) -> int:
    container = services.settings.reports_container
    names = await services.blobs.list(container, f"{tenant_id}/")
    for name in names:
        data = await services.blobs.get(container, name)
        await services.blobs.put(
            container, f"{owner.relationship_id}/{name[len(tenant_id) + 1 :]}", data, "application/pdf"
        )
        await services.blobs.delete(container, name)
    return len(names)
