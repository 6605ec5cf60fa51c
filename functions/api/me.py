"""GET /api/me: who the caller is and what they belong to (the portal starts here)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from functions.api.auth import PrincipalDep

router = APIRouter(tags=["me"])


class MembershipOut(BaseModel):
    orgId: str
    role: str
    tenantId: str | None


class MeOut(BaseModel):
    tenantId: str
    objectId: str
    name: str | None
    email: str | None
    memberships: list[MembershipOut]


@router.get("/me", response_model=MeOut)
async def me(principal: PrincipalDep) -> MeOut:
    return MeOut(
        tenantId=principal.tenant_id,
        objectId=principal.object_id,
        name=principal.name,
        email=principal.email,
        memberships=[MembershipOut(**m.to_json()) for m in principal.memberships],
    )
