"""Customers: add one and get its consent link, re-issue the link, read one tenant's record."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from core import errors
from core.audit import record
from core.auth.principals import Grant
from core.auth.roles import Action
from core.customers import Customer, get_customer, get_customer_by_id
from core.lazy import lazy_module
from core.onboarding import CustomerChange, add_customer, edit_customer, issue_consent_link, remove_customer
from core.store import NotFound
from functions.api.auth import PrincipalDep, actor, require
from functions.api.deps import ServicesDep

if TYPE_CHECKING:
    from core.mail import graph, invitation
else:
    invitation = lazy_module("core.mail.invitation")  # mail, at the first invitation sent
    graph = lazy_module("core.mail.graph")  # its MailFailed is only met after an invitation was tried

router = APIRouter(tags=["customers"])
DOMAIN = r"^([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}$"
GUID = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"


class NewCustomer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "displayName": "Contoso Dental",
                    "primaryDomain": "contoso-dental.example",
                    "cadence": "weekly",
                    "reportCadence": "monthly",
                    "reportRecipients": ["practice.manager@contoso-dental.example"],
                }
            ]
        },
    )

    displayName: str = Field(min_length=1, max_length=120)
    primaryDomain: str = Field(
        pattern=DOMAIN, max_length=253, description="A verified domain of the customer's tenant"
    )
    tenantId: str | None = Field(default=None, pattern=GUID)
    cadence: Literal["daily", "weekly"] = "weekly"
    reportCadence: Literal["weekly", "monthly"] = "monthly"
    reportRecipients: list[EmailStr] = Field(default_factory=list, max_length=20)
    tags: list[str] = Field(default_factory=list, description="Short labels to filter the fleet by")
    confirmDuplicate: bool = Field(
        default=False,
        description="Add it although another customer has the same primary domain (a person confirmed it)",
    )


class CustomerPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"tags": ["dental", "gold plan"]}]}
    )

    displayName: str | None = Field(default=None, min_length=1, max_length=120)
    cadence: Literal["daily", "weekly"] | None = None
    reportRecipients: list[EmailStr] | None = Field(default=None, max_length=20)
    tags: list[str] | None = Field(default=None, description="Replaces the customer's tags")


class ConsentLinkOut(BaseModel):
    url: str
    expiresAt: datetime


class CustomerOut(BaseModel):
    customerId: str
    tenantId: str | None
    displayName: str
    primaryDomain: str
    cadence: str
    reportRecipients: list[str]
    tags: list[str]
    connection: dict[str, object]
    summary: dict[str, object]

    @classmethod
    def of(cls, customer: Customer) -> CustomerOut:
        return cls(
            customerId=customer.customer_id,
            tenantId=customer.tenant_id,
            displayName=customer.display_name,
            primaryDomain=customer.primary_domain,
            cadence=customer.cadence,
            reportRecipients=customer.report_recipients,
            tags=customer.tags,
            connection=customer.connection.to_document(),
            summary=customer.summary.to_document(),
        )


class AddedCustomerOut(BaseModel):
    customer: CustomerOut
    consentLink: ConsentLinkOut


ManageCustomers = Annotated[Grant, Depends(require(Action.MANAGE_CUSTOMERS))]
ViewTenant = Annotated[Grant, Depends(require(Action.VIEW_TENANT))]


@router.post("/customers", response_model=AddedCustomerOut, status_code=201)
async def add(
    body: NewCustomer,
    grant: ManageCustomers,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> AddedCustomerOut:
    customer, link = await add_customer(
        services,
        org_id=grant.org_id,
        actor=actor(request, principal),
        display_name=body.displayName,
        primary_domain=body.primaryDomain,
        tenant_id=body.tenantId.lower() if body.tenantId else None,
        cadence=body.cadence,
        report_recipients=[str(r) for r in body.reportRecipients],
        report_cadence=body.reportCadence,
        tags=body.tags,
        confirm_duplicate=body.confirmDuplicate,
    )
    return AddedCustomerOut(
        customer=CustomerOut.of(customer), consentLink=ConsentLinkOut(url=link.url, expiresAt=link.expires_at)
    )


@router.get("/customers/{customer_id}", response_model=CustomerOut)
async def get_one(customer_id: str, grant: ManageCustomers, services: ServicesDep) -> CustomerOut:
    try:
        customer, _ = await get_customer_by_id(services.store.org(grant.org_id), customer_id)
    except NotFound as exc:
        raise errors.NotFound("no such customer") from exc
    return CustomerOut.of(customer)


@router.patch("/customers/{customer_id}", response_model=CustomerOut)
async def edit(
    customer_id: str,
    body: CustomerPatch,
    grant: ManageCustomers,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> CustomerOut:
    """Rename a customer, change its scan cadence or report recipients, or replace its tags."""
    change = CustomerChange(
        display_name=body.displayName,
        cadence=body.cadence,
        report_recipients=None if body.reportRecipients is None else [str(r) for r in body.reportRecipients],
        tags=body.tags,
    )
    try:
        customer = await edit_customer(
            services,
            org_id=grant.org_id,
            customer_id=customer_id,
            actor=actor(request, principal),
            change=change,
        )
    except NotFound as exc:
        raise errors.NotFound("no such customer") from exc
    return CustomerOut.of(customer)


@router.post("/customers/{customer_id}/consent-link", response_model=ConsentLinkOut, status_code=201)
async def new_consent_link(
    customer_id: str, grant: ManageCustomers, principal: PrincipalDep, services: ServicesDep, request: Request
) -> ConsentLinkOut:
    """A fresh link: for a customer whose first link expired, or that lost its connection."""
    try:
        await get_customer_by_id(services.store.org(grant.org_id), customer_id)
    except NotFound as exc:
        raise errors.NotFound("no such customer") from exc
    link = await issue_consent_link(services, grant.org_id, customer_id)
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor(request, principal),
        action="consent.link_issued",
        target={"customerId": customer_id},
    )
    return ConsentLinkOut(url=link.url, expiresAt=link.expires_at)


class ConsentEmailIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"to": ["global.admin@customer.example"]}]}
    )
    to: list[EmailStr] = Field(
        min_length=1, max_length=5, description="The customer's Global Administrator(s)"
    )


@router.post("/customers/{customer_id}/consent-link/email", status_code=202)
async def email_consent_link(
    customer_id: str,
    body: ConsentEmailIn,
    grant: ManageCustomers,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> dict[str, object]:
    """A fresh consent link, mailed to the customer's administrator through the mailer."""
    try:
        customer, _ = await get_customer_by_id(services.store.org(grant.org_id), customer_id)
    except NotFound as exc:
        raise errors.NotFound("no such customer") from exc
    link = await issue_consent_link(services, grant.org_id, customer_id)
    try:
        await invitation.send_consent_email(services, customer, link, [str(a) for a in body.to])
    except graph.MailFailed as exc:
        raise HTTPException(502, f"the consent link was made but could not be mailed: {exc}") from exc
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor(request, principal),
        action="consent.link_emailed",
        target={"customerId": customer_id, "to": [str(a) for a in body.to]},
    )
    return {"sentTo": [str(a) for a in body.to], "expiresAt": link.expires_at}


@router.delete("/customers/{customer_id}", status_code=204)
async def remove(
    customer_id: str, grant: ManageCustomers, principal: PrincipalDep, services: ServicesDep, request: Request
) -> Response:
    try:
        await remove_customer(
            services, org_id=grant.org_id, customer_id=customer_id, actor=actor(request, principal)
        )
    except NotFound as exc:
        raise errors.NotFound("no such customer") from exc
    return Response(status_code=204)


@router.get("/tenants/{tenant_id}", response_model=CustomerOut)
async def tenant(tenant_id: str, grant: ViewTenant, services: ServicesDep) -> CustomerOut:
    """One tenant's customer record and posture summary (MSP staff and that tenant's own users)."""
    customer, _ = await get_customer(services.store.org(grant.org_id), tenant_id)
    return CustomerOut.of(customer)
