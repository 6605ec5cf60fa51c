"""Branding: the fleet default (MSP admins) and a customer's own (MSP admins; customer admins when
the MSP allows). Logos are uploaded as the raw PNG or JPEG request body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from core import errors
from core.auth.principals import Grant
from core.auth.roles import Action
from core.branding import (
    HEX_COLOUR,
    BrandingRefused,
    BrandingScope,
    brand_for,
    logo_bytes,
    read_branding,
    update_branding,
)
from core.customers import get_customer
from functions.api.auth import PrincipalDep, actor, require
from functions.api.deps import ServicesDep, known_query_parameters
from functions.api.examples import PNG

router = APIRouter(tags=["branding"], dependencies=[Depends(known_query_parameters())])
FleetBranding = Annotated[Grant, Depends(require(Action.MANAGE_FLEET_BRANDING))]
TenantBranding = Annotated[Grant, Depends(require(Action.MANAGE_TENANT_BRANDING))]
ViewTenant = Annotated[Grant, Depends(require(Action.VIEW_TENANT))]
COLOUR = HEX_COLOUR.pattern


class FleetBrandingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"primary": "#0B6E4F", "secondary": "#F2C14E", "customerAdminsMayBrand": True}]
        },
    )
    primary: str | None = Field(default=None, pattern=COLOUR, examples=["#0B6E4F"])
    secondary: str | None = Field(default=None, pattern=COLOUR, examples=["#F2C14E"])
    customerAdminsMayBrand: bool | None = None


class TenantBrandingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"enabled": True, "primary": "#7A1F5C"}]}
    )
    enabled: bool | None = None
    primary: str | None = Field(default=None, pattern=COLOUR)
    secondary: str | None = Field(default=None, pattern=COLOUR)


def _public(branding: dict[str, Any] | None) -> dict[str, Any]:
    if branding is None:
        return {"configured": False}
    keep = ("enabled", "primary", "secondary", "customerAdminsMayBrand", "updatedAt")
    return {
        "configured": True,
        "hasLogo": bool(branding.get("logoBlob")),
        **{k: branding.get(k) for k in keep},
    }


async def _upload(request: Request) -> bytes:
    # functions.api.bodies ends this read with a 413 as soon as the body passes MAX_LOGO_BYTES.
    return await request.body()


async def _apply(
    services: ServicesDep,
    grant: Grant,
    request: Request,
    principal: PrincipalDep,
    scope: BrandingScope,
    changes: dict[str, Any],
    logo: bytes | None = None,
) -> dict[str, Any]:
    try:
        body = await update_branding(
            services, grant, actor(request, principal), scope, changes=changes, logo=logo
        )
    except BrandingRefused as exc:  # Refused (400) unless it says 403; LogoRejected is Refused
        if exc.status == 403:
            raise errors.Forbidden(str(exc)) from exc
        raise
    return _public(body)


@router.get("/branding")
async def fleet_branding(grant: FleetBranding, services: ServicesDep) -> dict[str, Any]:
    return _public(await read_branding(services, BrandingScope(grant.org_id)))


@router.put("/branding")
async def set_fleet_branding(
    body: FleetBrandingIn,
    grant: FleetBranding,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> dict[str, Any]:
    changes = body.model_dump(exclude_none=True)
    return await _apply(services, grant, request, principal, BrandingScope(grant.org_id), changes)


@router.put("/branding/logo", openapi_extra={"requestBody": {"content": {"image/png": {}, "image/jpeg": {}}}})
async def set_fleet_logo(
    grant: FleetBranding, principal: PrincipalDep, services: ServicesDep, request: Request
) -> dict[str, Any]:
    logo = await _upload(request)
    return await _apply(services, grant, request, principal, BrandingScope(grant.org_id), {}, logo)


@router.get("/branding/logo", response_class=Response, responses={200: {"content": PNG}})
async def fleet_logo(grant: FleetBranding, services: ServicesDep) -> Response:
    """The fleet logo as stored (the branding page previews it after a reload)."""
    logo = await logo_bytes(services, await read_branding(services, BrandingScope(grant.org_id)))
    if logo is None:
        raise errors.NotFound("no logo")
    return Response(logo, media_type="image/png", headers={"cache-control": "private, max-age=60"})


async def _scope(services: ServicesDep, grant: Grant) -> BrandingScope:
    assert grant.tenant_id is not None
    customer, _ = await get_customer(services.store.org(grant.org_id), grant.tenant_id)
    return BrandingScope(grant.org_id, customer.customer_id)


@router.get("/tenants/{tenant_id}/branding")
async def tenant_branding(tenant_id: str, grant: ViewTenant, services: ServicesDep) -> dict[str, Any]:
    """The customer's own settings and what their outputs will look like."""
    scope = await _scope(services, grant)
    customer, _ = await get_customer(services.store.org(grant.org_id), tenant_id)
    effective = await brand_for(services, customer)
    fleet = await read_branding(services, BrandingScope(grant.org_id))
    return {
        "own": _public(await read_branding(services, scope)),
        # Whether the MSP lets this customer's admins change it (the portal offers the form only then).
        "customerAdminsMayBrand": bool(fleet and fleet.get("customerAdminsMayBrand")),
        "effective": {
            "enabled": effective.enabled,
            "primary": effective.primary,
            "secondary": effective.secondary,
            "hasLogo": effective.logo_png is not None,
            "preparedBy": effective.msp_name,
        },
    }


@router.put("/tenants/{tenant_id}/branding")
async def set_tenant_branding(
    tenant_id: str,
    body: TenantBrandingIn,
    grant: TenantBranding,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> dict[str, Any]:
    scope = await _scope(services, grant)
    return await _apply(services, grant, request, principal, scope, body.model_dump(exclude_none=True))


@router.put(
    "/tenants/{tenant_id}/branding/logo",
    openapi_extra={"requestBody": {"content": {"image/png": {}, "image/jpeg": {}}}},
)
async def set_tenant_logo(
    tenant_id: str, grant: TenantBranding, principal: PrincipalDep, services: ServicesDep, request: Request
) -> dict[str, Any]:
    logo = await _upload(request)
    return await _apply(services, grant, request, principal, await _scope(services, grant), {}, logo)


@router.get("/tenants/{tenant_id}/branding/logo", response_class=Response, responses={200: {"content": PNG}})
async def tenant_logo(tenant_id: str, grant: ViewTenant, services: ServicesDep) -> Response:
    customer, _ = await get_customer(services.store.org(grant.org_id), tenant_id)
    brand = await brand_for(services, customer)
    if brand.logo_png is None:
        raise errors.NotFound("no logo")
    return Response(brand.logo_png, media_type="image/png", headers={"cache-control": "private, max-age=60"})
