"""Adding a customer and connecting its tenant through Entra admin consent.

The consent link carries a `state` of 256 random bits, prefixed with the org id so the anonymous
callback can find it with a point read in that org's partition. Only a hash of the secret is
stored; it is single use, expires, and is bound to one customer. The callback trusts nothing in
its query string until it has proved, with an app-only Graph request to the tenant, that the app
really is consented there and that the tenant owns the customer's primary domain.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from core.audit import SYSTEM, Actor, record
from core.auth.principals import revoke_membership
from core.bootstrap import Services
from core.collect.connection import TenantUnreachable, open_connection
from core.collect.readers import SourceError, read_graph_source
from core.collect.sources import graph_source
from core.customers import (
    Cadence,
    Connection,
    ConnectionState,
    Customer,
    TenantAlreadyACustomer,
    bump_fleet_version,
    find_customer,
    get_customer_by_id,
    mark_connection_lost,
    register_customer,
    update_customer_by_id,
)
from core.scan.requests import ScanRequest
from core.settings import Settings
from core.store import Conflict, NotFound
from core.webhooks.events import emit

CONSENT_SCOPE = "https://graph.microsoft.com/.default"
_GUID = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")


class ConsentRefused(Exception):
    """The callback cannot connect the customer; the message is shown to the person."""


@dataclass(frozen=True)
class ConsentLink:
    url: str
    expires_at: datetime


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def consent_redirect_uri(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/") + "/api/consent/callback"


async def issue_consent_link(services: Services, org_id: str, customer_id: str) -> ConsentLink:
    settings = services.settings
    secret = secrets.token_urlsafe(32)  # 256 bits
    expires_at = datetime.now(UTC) + timedelta(days=settings.consent_link_days)
    await services.store.org(org_id).create(
        {
            "id": f"consent:{_hash(secret)}",
            "type": "consent_state",
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
    url = f"{settings.authority_host.rstrip('/')}/organizations/v2.0/adminconsent?{query}"
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
) -> tuple[Customer, ConsentLink]:
    customer = await register_customer(
        services.store.org(org_id),
        tenant_id=tenant_id,
        display_name=display_name,
        primary_domain=primary_domain.lower(),
        cadence=cadence,
        report_recipients=report_recipients,
        report_cadence=report_cadence,
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


async def _verified_domains(services: Services, tenant_id: str, attempts: int, delay: float) -> list[str]:
    """Prove consent with an app-only request to the tenant, retrying while Entra replicates the
    new service principal (tokens are refused for a short while after consent)."""
    organization = graph_source("organization")
    last: Exception | None = None
    for attempt in range(attempts):
        connection = open_connection(services.settings, tenant_id)
        try:
            await connection.probe_token()
            rows = await read_graph_source(connection.graph, connection.graph_base_url, organization)
            return [d["name"].lower() for row in rows for d in row.get("verifiedDomains", [])]
        except (TenantUnreachable, SourceError) as exc:
            last = exc
        finally:
            await connection.close()
        if attempt + 1 < attempts:
            await asyncio.sleep(delay)
    raise ConsentRefused(f"ScanPosture could not read the tenant after consent: {last}")


async def complete_consent(
    services: Services,
    *,
    state: str | None,
    tenant: str | None,
    error: str | None,
    error_description: str | None,
    actor: Actor,
    proof_attempts: int = 6,
    proof_delay: float = 2.0,
) -> Customer:
    """Connect the customer named by `state`, or raise ConsentRefused leaving it as it was."""
    if error:
        raise ConsentRefused(f"consent was not granted: {error_description or error}")
    org_id, _, secret = (state or "").partition(".")
    if not org_id or not secret:
        raise ConsentRefused("this consent link is not valid")
    org = services.store.org(org_id)
    stored = await org.find(f"consent:{_hash(secret)}")
    if stored is None:
        raise ConsentRefused("this consent link is not valid")
    if stored.body["usedAt"]:
        raise ConsentRefused("this consent link was already used; ask your provider for a new one")
    if datetime.fromisoformat(stored.body["expiresAt"]) <= datetime.now(UTC):
        raise ConsentRefused("this consent link has expired; ask your provider for a new one")
    tenant_id = (tenant or "").lower()
    if not _GUID.match(tenant_id):
        raise ConsentRefused("the sign-in service did not say which tenant consented")
    try:
        customer, _ = await get_customer_by_id(org, stored.body["customerId"])
    except NotFound as exc:
        raise ConsentRefused("the customer this link was made for no longer exists") from exc
    if customer.tenant_id and customer.tenant_id != tenant_id:
        raise ConsentRefused("consent came from a different Microsoft 365 tenant than this customer's")
    other = await find_customer(org, tenant_id)
    if other is not None and other[0].customer_id != customer.customer_id:
        raise ConsentRefused(str(TenantAlreadyACustomer(tenant_id)))

    domains = await _verified_domains(services, tenant_id, proof_attempts, proof_delay)
    if customer.primary_domain.lower() not in domains:
        raise ConsentRefused(
            f"the tenant that consented does not own {customer.primary_domain}; "
            "sign in with an administrator of the customer's own tenant"
        )
    try:  # single use, even against a replay racing this very request
        await org.replace({**stored.body, "usedAt": datetime.now(UTC).isoformat()}, stored.etag)
    except Conflict as exc:
        raise ConsentRefused("this consent link was already used") from exc

    reconnect = customer.connection.state is ConnectionState.CONNECTION_LOST

    def connect(c: Customer) -> None:
        c.tenant_id = tenant_id
        c.connection = Connection(state=ConnectionState.CONNECTED, since=datetime.now(UTC))

    connected = await update_customer_by_id(org, customer.customer_id, connect)
    request = ScanRequest(
        org_id=org_id,
        tenant_id=tenant_id,
        customer_id=customer.customer_id,
        request_id=f"consent-{_hash(secret)[:16]}",
        reason="consent",
    )
    await services.scan_queue.send(request.to_message())
    connected_event = {"tenantId": tenant_id, "customerId": customer.customer_id, "reconnected": reconnect}
    await emit(services, org_id, [("tenant.connected", connected_event)])
    await record(
        services.store,
        org_id=org_id,
        actor=actor,
        tenant_id=tenant_id,
        relationship_id=customer.relationship_id,
        action="consent.reconnected" if reconnect else "consent.granted",
        target={"customerId": customer.customer_id, "tenantId": tenant_id},
    )
    return connected


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
        members = await org.query_all(
            "c.type = @t AND c.tenantId = @tenant", {"@t": "member", "@tenant": customer.tenant_id}
        )
        for member in members:
            await revoke_membership(
                services.store,
                home_tenant_id=member["homeTenantId"],
                object_id=member["objectId"],
                org_id=org_id,
                tenant_id=customer.tenant_id,
            )
    await org.delete(customer.id, etag)
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
