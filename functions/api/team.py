"""People: the MSP team (MSP admins) and each tenant's customer users (MSP admins, customer admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from core.auth.principals import Grant
from core.auth.roles import Action, Role
from core.orgs import HomeTenants, home_tenants, set_home_tenants
from core.team import accept, change_role, invite, list_members, remove_member
from functions.api.auth import ClaimsDep, PrincipalDep, actor, require
from functions.api.deps import ServicesDep

router = APIRouter(tags=["team"])

ManageTeam = Annotated[Grant, Depends(require(Action.MANAGE_TEAM))]
ManageTenantUsers = Annotated[Grant, Depends(require(Action.MANAGE_TENANT_USERS))]


class TeamInvitationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "analyst@your-msp.example", "role": "msp_analyst"}]},
    )
    email: EmailStr
    role: Literal["msp_admin", "msp_analyst"]


class TenantInvitationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "it.lead@customer.example", "role": "customer_viewer"}]},
    )
    email: EmailStr
    role: Literal["customer_admin", "customer_viewer"]


class InvitationOut(BaseModel):
    code: str = Field(description="Give this to the person; they accept it while signed in.")
    acceptUrl: str
    email: str
    role: str
    tenantId: str | None
    expiresAt: datetime


class AcceptIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"code": "msp-a.3q2-example-invitation-code"}]}
    )
    code: str = Field(min_length=10, max_length=200)


class RoleChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "customer_admin"}]})
    role: Literal["msp_admin", "msp_analyst", "customer_admin", "customer_viewer"]


class HomeTenantsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"homeTenantIds": ["3f2b8c1e-7d4a-4e9b-a1c6-0e5d9f8b2a47"]}]},
    )
    homeTenantIds: list[UUID] = Field(
        min_length=1,
        max_length=20,
        description="The Entra tenant ids the MSP's own staff sign in from. Replaces the list.",
    )


class HomeTenantsOut(BaseModel):
    homeTenantIds: list[str]
    source: Literal["org", "msp_admins"] = Field(
        description="org: recorded for the org; msp_admins: none recorded yet, so the tenants "
        "the MSP admins sign in from stand in"
    )


def _home_tenants_out(homes: HomeTenants) -> HomeTenantsOut:
    return HomeTenantsOut(
        homeTenantIds=list(homes.tenant_ids), source="org" if homes.recorded else "msp_admins"
    )


async def _invite(
    services: ServicesDep,
    grant: Grant,
    request: Request,
    principal: PrincipalDep,
    email: str,
    role: str,
    tenant_id: str | None,
) -> InvitationOut:
    invitation = await invite(
        services, grant, actor(request, principal), email=email, role=Role(role), tenant_id=tenant_id
    )
    accept_url = (
        f"{services.settings.public_base_url.rstrip('/')}/#/invitations/accept?code={invitation.code}"
    )
    return InvitationOut(
        code=invitation.code,
        acceptUrl=accept_url,
        email=invitation.email,
        role=invitation.role.value,
        tenantId=invitation.tenant_id,
        expiresAt=invitation.expires_at,
    )


@router.post("/team/invitations", response_model=InvitationOut, status_code=201)
async def invite_team_member(
    body: TeamInvitationIn,
    grant: ManageTeam,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> InvitationOut:
    return await _invite(services, grant, request, principal, str(body.email), body.role, None)


@router.post("/tenants/{tenant_id}/invitations", response_model=InvitationOut, status_code=201)
async def invite_tenant_user(
    tenant_id: str,
    body: TenantInvitationIn,
    grant: ManageTenantUsers,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> InvitationOut:
    return await _invite(services, grant, request, principal, str(body.email), body.role, grant.tenant_id)


@router.post("/invitations/accept", status_code=201)
async def accept_invitation(
    body: AcceptIn, claims: ClaimsDep, services: ServicesDep, request: Request
) -> dict[str, Any]:
    """Signed in, with or without a membership yet: this is how people get one."""
    membership = await accept(services, claims, body.code, actor(request, claims))
    return membership.to_json()


@router.get("/org/home-tenants", response_model=HomeTenantsOut)
async def read_home_tenants(grant: ManageTeam, services: ServicesDep) -> HomeTenantsOut:
    """Where invitations to MSP roles may be accepted from."""
    return _home_tenants_out(await home_tenants(services.store, grant.org_id))


@router.put("/org/home-tenants", response_model=HomeTenantsOut)
async def edit_home_tenants(
    body: HomeTenantsIn, grant: ManageTeam, principal: PrincipalDep, services: ServicesDep, request: Request
) -> HomeTenantsOut:
    homes = await set_home_tenants(
        services.store, grant.org_id, [str(t) for t in body.homeTenantIds], actor(request, principal)
    )
    return _home_tenants_out(homes)


@router.get("/team/members")
async def team_members(grant: ManageTeam, services: ServicesDep) -> list[dict[str, Any]]:
    return await list_members(services, grant)


@router.get("/tenants/{tenant_id}/members")
async def tenant_members(
    tenant_id: str, grant: ManageTenantUsers, services: ServicesDep
) -> list[dict[str, Any]]:
    return await list_members(services, grant)


async def _change(
    services: ServicesDep, grant: Grant, request: Request, principal: PrincipalDep, member_id: str, role: str
) -> None:
    await change_role(services, grant, actor(request, principal), member_id, Role(role))


async def _remove(
    services: ServicesDep, grant: Grant, request: Request, principal: PrincipalDep, member_id: str
) -> None:
    await remove_member(services, grant, actor(request, principal), member_id)


@router.patch("/team/members/{member_id}", status_code=204)
async def change_team_role(
    member_id: str,
    body: RoleChangeIn,
    grant: ManageTeam,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> Response:
    await _change(services, grant, request, principal, member_id, body.role)
    return Response(status_code=204)


@router.delete("/team/members/{member_id}", status_code=204)
async def remove_team_member(
    member_id: str, grant: ManageTeam, principal: PrincipalDep, services: ServicesDep, request: Request
) -> Response:
    await _remove(services, grant, request, principal, member_id)
    return Response(status_code=204)


@router.patch("/tenants/{tenant_id}/members/{member_id}", status_code=204)
async def change_tenant_user_role(
    tenant_id: str,
    member_id: str,
    body: RoleChangeIn,
    grant: ManageTenantUsers,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> Response:
    await _change(services, grant, request, principal, member_id, body.role)
    return Response(status_code=204)


@router.delete("/tenants/{tenant_id}/members/{member_id}", status_code=204)
async def remove_tenant_user(
    tenant_id: str,
    member_id: str,
    grant: ManageTenantUsers,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> Response:
    await _remove(services, grant, request, principal, member_id)
    return Response(status_code=204)
