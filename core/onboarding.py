"""Adding a customer, its consent link, losing and removing it.

The consent link carries a `state` of 256 random bits, prefixed with the org id so the anonymous
callback can find it with a point read in that org's partition. Only a hash of the secret is
stored; it is single use, expires, and is bound to one customer. What the callback must see before
it connects anyone (the tenant's own administrator signing in) is in `core.consent`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from core.audit import SYSTEM, Actor, record
from core.auth.principals import revoke_membership
from core.collect.connection import TenantUnreachable
from core.customers import (
    Cadence,
    Customer,
    DomainAlreadyACustomer,
    bump_fleet_version,
    clean_tags,
    get_customer_by_id,
    mark_connection_lost,
    register_customer,
    update_customer_by_id,
)
from core.ports import Services
from core.settings import Settings
from core.store import OrgRepository
from core.store.documents import CONSENT_STATE, consent_state_document_id
from core.webhooks.events import emit

CONSENT_SCOPE = "https://graph.microsoft.com/.default"


class ConsentRefused(Exception):
    """The callback cannot connect the customer; the message is shown to the person."""


@dataclass(frozen=True)
class ConsentLink:
    url: str
    expires_at: datetime


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def consent_state_id(secret: str) -> str:
    """Where a consent link's state lives in its org's partition (only the secret's hash)."""
    return consent_state_document_id(hash_secret(secret))


def consent_redirect_uri(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/") + "/api/consent/callback"


async def issue_consent_link(services: Services, org_id: str, customer_id: str) -> ConsentLink:
    settings = services.settings
    secret = secrets.token_urlsafe(32)  # 256 bits
    expires_at = services.clock.now() + timedelta(days=settings.consent_link_days)
    await services.store.org(org_id).create(
        {
            "id": consent_state_id(secret),
            "type": CONSENT_STATE,
            "customerId": customer_id,
            "expiresAt": expires_at.isoformat(),
            "usedAt": None,
        }
    )
    query = urlencode(
        {
            "client_id": settings.app_client_id,
            "scope": CONSENT_SCOPE,
            "redirect_uri": consent_redirect_uri(settings),
            "state": f"{org_id}.{secret}",
        }
    )
    url = f"{settings.browser_authority.rstrip('/')}/organizations/v2.0/adminconsent?{query}"
    return ConsentLink(url, expires_at)


async def add_customer(
    services: Services,
    *,
    org_id: str,
    actor: Actor,
    display_name: str,
    primary_domain: str,
    tenant_id: str | None,
    cadence: Cadence,
    report_recipients: list[str],
    report_cadence: Literal["weekly", "monthly"] = "monthly",
    tags: list[str] | None = None,
    confirm_duplicate: bool = False,
) -> tuple[Customer, ConsentLink]:
    """Register a customer and make its first consent link. A primary domain another customer of
    the org already has is refused unless a person confirmed it (`confirm_duplicate`); a tenant
    already managed is always refused (one relationship per org and tenant)."""
    org = services.store.org(org_id)
    if not confirm_duplicate:
        await _refuse_duplicate_domain(org, primary_domain)
    customer = await register_customer(
        org,
        tenant_id=tenant_id,
        display_name=display_name,
        primary_domain=primary_domain.lower(),
        cadence=cadence,
        report_recipients=report_recipients,
        report_cadence=report_cadence,
        tags=tags,
    )
    link = await issue_consent_link(services, org_id, customer.customer_id)
    await record(
        services.store,
        org_id=org_id,
        actor=actor,
        action="customer.added",
        target={"customerId": customer.customer_id, "displayName": display_name, "tenantId": tenant_id},
    )
    return customer, link


async def _refuse_duplicate_domain(org: OrgRepository, primary_domain: str) -> None:
    domain = primary_domain.lower()
    for other in await org.customers():
        if other.primary_domain.lower() == domain:
            raise DomainAlreadyACustomer(domain, other.display_name)


@dataclass(frozen=True)
class CustomerChange:
    """What an MSP admin may edit on a customer; None leaves a field as it is."""

    display_name: str | None = None
    cadence: Cadence | None = None
    report_recipients: list[str] | None = None
    tags: list[str] | None = None


async def edit_customer(
    services: Services, *, org_id: str, customer_id: str, actor: Actor, change: CustomerChange
) -> Customer:
    tags = clean_tags(change.tags) if change.tags is not None else None  # refused before any write

    def apply(customer: Customer) -> None:
        if change.display_name is not None:
            customer.display_name = change.display_name
        if change.cadence is not None:
            customer.cadence = change.cadence
        if change.report_recipients is not None:
            customer.report_recipients = change.report_recipients
        if tags is not None:
            customer.tags = tags

    customer = await update_customer_by_id(services.store.org(org_id), customer_id, apply)
    changed = [name for name, value in vars(change).items() if value is not None]
    await record(
        services.store,
        org_id=org_id,
        actor=actor,
        tenant_id=customer.tenant_id,
        action="customer.updated",
        target={"customerId": customer_id, "displayName": customer.display_name, "changed": changed},
    )
    return customer


async def connection_lost(services: Services, org_id: str, tenant_id: str, exc: TenantUnreachable) -> None:
    """The tenant removed the app: mark it, keep its history, and say so in the audit log."""
    lost = await mark_connection_lost(services.store.org(org_id), tenant_id, exc.code, str(exc))
    await emit(services, org_id, [("tenant.connection_lost", {"tenantId": tenant_id, "errorCode": exc.code})])
    await record(
        services.store,
        org_id=org_id,
        actor=SYSTEM,
        tenant_id=tenant_id,
        relationship_id=lost.relationship_id,
        action="consent.lost",
        target={"tenantId": tenant_id, "errorCode": exc.code},
    )


async def remove_customer(services: Services, *, org_id: str, customer_id: str, actor: Actor) -> None:
    """Stop managing a customer: its people lose access and it is no longer scanned. Its tenant's
    records stay in their partition (audit, history) but no route reaches them any more."""
    org = services.store.org(org_id)
    customer, etag = await get_customer_by_id(org, customer_id)
    if customer.tenant_id:
        members = await org.members(tenant_id=customer.tenant_id)
        for member in members:
            await revoke_membership(
                services.store,
                home_tenant_id=member["homeTenantId"],
                object_id=member["objectId"],
                org_id=org_id,
                tenant_id=customer.tenant_id,
            )
    await org.delete(customer.id, etag)
    # And the database's own half: the relationship's resource tokens stop working everywhere.
    # After the record is gone, so no request can mint them again (only a granted relationship
    # asks the broker for a token).
    await services.store.revoke_relationship(customer.relationship_id)
    await bump_fleet_version(org)
    await record(
        services.store,
        org_id=org_id,
        actor=actor,
        tenant_id=customer.tenant_id,
        action="customer.removed",
        target={
            "customerId": customer_id,
            "displayName": customer.display_name,
            "tenantId": customer.tenant_id,
        },
    )
