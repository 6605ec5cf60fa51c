"""Branding: the fleet's default set and a customer's own, each a primary and secondary colour and
a logo. The logo lives in Blob storage, the rest in the org's partition. A customer's branding
can be switched off (ScanPosture's neutral look), and customer admins may set their own tenant's
only when the MSP allows it.

A change is written blob first, document second: a failed upload leaves the previous branding
in force, and a document never points at a logo that is not there.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core import errors
from core.audit import Actor, record
from core.auth.principals import Grant
from core.auth.roles import Role
from core.customers import Customer
from core.orgs import get_org
from core.ports import Services
from core.reports.logo import sanitise_logo
from core.reports.model import NEUTRAL_PRIMARY, NEUTRAL_SECONDARY, Brand
from core.store import NotFound
from core.store.documents import BRANDING, FLEET_BRANDING_ID, customer_branding_id

HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


class BrandingRefused(errors.Refused):
    """The change is not allowed or not valid; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class BrandingScope:
    """Either the fleet default (customer_id None) or one customer's own branding."""

    org_id: str
    customer_id: str | None = None

    @property
    def document_id(self) -> str:
        return customer_branding_id(self.customer_id) if self.customer_id else FLEET_BRANDING_ID

    @property
    def logo_prefix(self) -> str:
        return f"{self.org_id}/{self.customer_id or 'fleet'}/"


def _check_colour(field: str, value: str | None) -> None:
    if value is not None and not HEX_COLOUR.match(value):
        raise BrandingRefused(f"{field}: a colour is #RRGGBB, not {value!r}")


async def read_branding(services: Services, scope: BrandingScope) -> dict[str, Any] | None:
    stored = await services.store.org(scope.org_id).find(scope.document_id)
    return stored.body if stored else None


async def _may_customer_admins_brand(services: Services, org_id: str) -> bool:
    fleet = await read_branding(services, BrandingScope(org_id))
    return bool(fleet and fleet.get("customerAdminsMayBrand"))


async def _authorise(services: Services, grant: Grant, scope: BrandingScope) -> None:
    if grant.role is Role.CUSTOMER_ADMIN and not await _may_customer_admins_brand(services, scope.org_id):
        raise BrandingRefused("your provider does not let customer admins change branding", 403)


async def update_branding(
    services: Services,
    grant: Grant,
    actor: Actor,
    scope: BrandingScope,
    *,
    changes: dict[str, Any],
    logo: bytes | None = None,
) -> dict[str, Any]:
    """Apply `changes` (primary, secondary, enabled, customerAdminsMayBrand) and/or a new logo."""
    await _authorise(services, grant, scope)
    _check_colour("primary", changes.get("primary"))
    _check_colour("secondary", changes.get("secondary"))
    if "customerAdminsMayBrand" in changes and (scope.customer_id or grant.role is not Role.MSP_ADMIN):
        raise BrandingRefused("customerAdminsMayBrand: only an MSP admin sets it, on the fleet branding")
    logo_blob = None
    if logo is not None:
        clean = sanitise_logo(logo)  # raises LogoRejected before anything is stored
        logo_blob = f"{scope.logo_prefix}{uuid.uuid4().hex}.png"
        await services.blobs.put(services.settings.logos_container, logo_blob, clean, "image/png")
    org = services.store.org(scope.org_id)
    stored = await org.find(scope.document_id)
    body = stored.body if stored else {"id": scope.document_id, "type": BRANDING, "enabled": True}
    body = {**body, **changes, "updatedAt": datetime.now(UTC).isoformat(), "updatedBy": actor.to_json()}
    if logo_blob:
        body["logoBlob"] = logo_blob
    if stored:
        await org.replace(body, stored.etag)
    else:
        await org.create(body)
    await record(
        services.store,
        org_id=scope.org_id,
        actor=actor,
        tenant_id=grant.tenant_id,
        relationship_id=grant.relationship_id,
        action="branding.changed",
        target={"customerId": scope.customer_id, "changed": sorted([*changes, *(["logo"] if logo else [])])},
    )
    return body


async def logo_bytes(services: Services, branding: dict[str, Any] | None) -> bytes | None:
    if not branding or not branding.get("logoBlob"):
        return None
    try:
        return await services.blobs.get(services.settings.logos_container, branding["logoBlob"])
    except NotFound:
        return None


def _stored_colour(branding: dict[str, Any] | None, key: str) -> str | None:
    """A stored colour, checked again on the way out: it ends up in the portal's CSS and in PDFs,
    whoever wrote the document (an old version, a hand edit)."""
    value = str((branding or {}).get(key) or "")
    return value if HEX_COLOUR.match(value) else None


async def fleet_brand(services: Services, org_id: str) -> Brand:
    """The MSP's own look for documents addressed to the MSP (invoices): the fleet's colours, no logo."""
    org = await get_org(services.store, org_id)
    msp_name = str((org or {}).get("name") or org_id)
    fleet = await read_branding(services, BrandingScope(org_id))
    if fleet is None:
        return Brand.neutral(msp_name)
    primary = _stored_colour(fleet, "primary") or NEUTRAL_PRIMARY
    return Brand(True, primary, _stored_colour(fleet, "secondary") or NEUTRAL_SECONDARY, None, msp_name)


async def brand_for(services: Services, customer: Customer) -> Brand:
    """What a customer's outputs look like: their own colours and logo where they set them, the
    fleet's otherwise, ScanPosture's neutral look when branding is off for them."""
    org = await get_org(services.store, customer.org_id)
    msp_name = (org or {}).get("name") or customer.org_id
    own = await read_branding(services, BrandingScope(customer.org_id, customer.customer_id))
    fleet = await read_branding(services, BrandingScope(customer.org_id))
    if own is not None and own.get("enabled") is False:
        return Brand.neutral(msp_name)
    if own is None and fleet is None:
        return Brand.neutral(msp_name)

    def pick(key: str, default: str) -> str:
        return _stored_colour(own, key) or _stored_colour(fleet, key) or default

    logo = await logo_bytes(services, own if own and own.get("logoBlob") else fleet)
    return Brand(True, pick("primary", NEUTRAL_PRIMARY), pick("secondary", NEUTRAL_SECONDARY), logo, msp_name)
