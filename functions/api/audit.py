"""The audit log: an org's whole log for MSP admins, one tenant's for its admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from core.audit import read_log
from core.auth.principals import Grant
from core.auth.roles import Action
from functions.api.auth import require
from functions.api.deps import ServicesDep

router = APIRouter(tags=["audit"])


@router.get("/audit")
async def org_audit(
    grant: Annotated[Grant, Depends(require(Action.VIEW_ORG_AUDIT))],
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    return await read_log(services.store.org(grant.org_id), limit)


@router.get("/tenants/{tenant_id}/audit")
async def tenant_audit(
    tenant_id: str,
    grant: Annotated[Grant, Depends(require(Action.VIEW_TENANT_AUDIT))],
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    assert grant.tenant_id is not None  # a tenant action always grants one tenant
    return await read_log(services.store.relationship(grant.relationship), limit)
