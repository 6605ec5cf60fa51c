"""`scanposture migrate relationships`: data that earlier versions kept under the raw tenant id
moves to the relationship that owns it, once, and a second org that had claimed the same tenant
gets none of it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.bootstrap import Services, build_services, prepare_local_resources
from core.customers import Connection, ConnectionState, Customer, save_new_customer
from core.store.documents import customer_document_id
from devtools.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def isolated(stack: LocalStack) -> AsyncIterator[tuple[Services, dict[str, str]]]:
    """A database of its own: the migration reads every org's customers."""
    database = f"migrate-{uuid.uuid4().hex[:10]}"
    services = build_services(stack.settings(cosmos_database=database))
    await prepare_local_resources(services)
    yield services, {**stack.env(), "COSMOS_DATABASE": database}
    await services.close()


async def _relationship(
    services: Services, org_id: str, tenant_id: str, age: timedelta, state: str
) -> Customer:
    customer_id = uuid.uuid4().hex
    customer = Customer(
        id=customer_document_id(customer_id),
        customer_id=customer_id,
        org_id=org_id,
        tenant_id=tenant_id,
        display_name=f"{org_id}'s customer",
        primary_domain="old.example",
        connection=Connection(state=ConnectionState(state)),
        created_at=datetime.now(UTC) - age,
    )
    await save_new_customer(services.store.org(org_id), customer)
    return customer


def _migrate(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "functions.cli", "migrate", "relationships"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", **env},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


async def test_old_tenant_data_moves_to_its_first_proven_relationship_once(
    isolated: tuple[Services, dict[str, str]],
) -> None:
    services, env = isolated
    tenant = str(uuid.uuid4())
    owner = await _relationship(services, "org-first", tenant, timedelta(days=90), "connected")
    hijacker = await _relationship(services, "org-later", tenant, timedelta(days=1), "connected")
    pending = await _relationship(services, "org-pending", tenant, timedelta(days=200), "pending_consent")
    old = services.store.home_tenant(tenant)  # where earlier versions wrote tenant data
    await old.create({"id": "finding:mfa", "type": "finding", "checkId": "mfa", "status": "fail"})
    await old.create({"id": "scan:s1", "type": "scan", "status": "completed"})
    await old.create(
        {"id": "audit:1", "type": "audit", "auditOrgId": "org-first", "action": "scan.requested"}
    )
    await old.create({"id": "audit:2", "type": "audit", "auditOrgId": "org-later", "action": "risk.accepted"})
    await old.create({"id": "report:s1", "type": "report", "scanId": "s1", "blob": f"{tenant}/s1.pdf"})
    await old.create({"id": "principal:someone", "type": "principal", "memberships": []})
    reports = services.settings.reports_container
    await services.blobs.put(reports, f"{tenant}/s1.pdf", b"%PDF-old", "application/pdf")

    first = _migrate(env)

    assert "moved 4 documents and 1 report blobs of 1 tenants" in first
    assert f"its history went to {owner.relationship_id}" in first
    moved = {d["id"]: d for d in await services.store.relationship(owner.relationship_id).query_all()}
    assert set(moved) == {"finding:mfa", "scan:s1", "audit:1", "report:s1"}  # not the other org's entry
    assert all("tenantId" not in d for d in moved.values())
    assert moved["report:s1"]["blob"] == f"{owner.relationship_id}/s1.pdf"
    assert await services.blobs.get(reports, f"{owner.relationship_id}/s1.pdf") == b"%PDF-old"
    assert await services.blobs.list(reports, f"{tenant}/") == []
    for other in (hijacker, pending):
        assert await services.store.relationship(other.relationship_id).query_all() == []
    assert [d["id"] for d in await old.query_all()] == ["principal:someone"]  # people stay put

    second = _migrate(env)  # idempotent: nothing is left to move, nothing moved is touched

    assert "moved 0 documents and 0 report blobs of 0 tenants" in second
    again = await services.store.relationship(owner.relationship_id).query_all()
    assert {d["id"] for d in again} == set(moved)
