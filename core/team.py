"""People: invitations, members, role changes and removal.

MSP admins manage the MSP team (admins, analysts) and customer-side users of every customer;
a customer admin manages the customer admins and viewers of their one tenant. Invitations are
single use, expire, and are bound to the invited email address and to where its holder signs in
from (the customer's tenant, or one of the MSP's home tenants); the code carries the org id so
accepting it is a point read. The rule that an MSP keeps an admin is kept by the org's admin
roster (core.auth.admin_roster), which serialises every change to who is an admin.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import errors
from core.audit import Actor, record
from core.auth.admin_roster import Admin, LastAdmin, RosterBusy, add_admin, remove_admin
from core.auth.principals import Grant, Membership, grant_membership, revoke_membership
from core.auth.roles import Role
from core.auth.tokens import TokenClaims
from core.customers import find_customer
from core.orgs import home_tenants
from core.ports import Services
from core.store import Conflict, NotFound
from core.store.documents import INVITATION, MEMBER, invitation_id


class TeamError(errors.Refused):
    """A request about people that cannot be carried out; the message says why (answered 400
    unless a subclass says otherwise through its other kind)."""


class NotAllowed(errors.Forbidden, TeamError):
    """The caller may not do this to that person or role."""


class NoSuchMember(errors.NotFound, TeamError):
    """No such member, invitation or person in the caller's organisation."""


class ChangedMeanwhile(errors.Conflict, TeamError):
    """Someone else changed the same people at the same moment; try again."""


@dataclass(frozen=True)
class Invitation:
    code: str
    email: str
    role: Role
    tenant_id: str | None
    expires_at: datetime


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_scope(grant: Grant, role: Role, tenant_id: str | None) -> None:
    """Who may hand out which role: the DESIGN.md table, applied to people."""
    if role.is_msp:
        if grant.role is not Role.MSP_ADMIN:
            raise NotAllowed("only MSP admins manage the MSP team")
        if tenant_id is not None:
            raise TeamError("MSP roles cover every customer: do not name a tenant")
        return
    if tenant_id is None:
        raise TeamError("customer roles need the customer's tenantId")
    if grant.role is Role.CUSTOMER_ADMIN and grant.tenant_id != tenant_id:
        raise NotAllowed("customer admins manage the people of their own tenant only")
    if grant.role not in (Role.MSP_ADMIN, Role.CUSTOMER_ADMIN):
        raise NotAllowed("you may not manage people")


async def invite(
    services: Services, grant: Grant, actor: Actor, *, email: str, role: Role, tenant_id: str | None
) -> Invitation:
    _check_scope(grant, role, tenant_id)
    if tenant_id is not None and await find_customer(services.store.org(grant.org_id), tenant_id) is None:
        raise TeamError("that tenant is not a customer of your organisation")
    secret = secrets.token_urlsafe(32)
    expires_at = services.clock.now() + timedelta(days=services.settings.invitation_days)
    await services.store.org(grant.org_id).create(
        {
            "id": invitation_id(_hash(secret)),
            "type": INVITATION,
            "email": email.lower(),
            "role": role.value,
            "tenantId": tenant_id,
            "expiresAt": expires_at.isoformat(),
            "acceptedAt": None,
            "invitedBy": actor.to_json(),
        }
    )
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor,
        tenant_id=tenant_id,
        action="invitation.sent",
        target={"email": email.lower(), "role": role.value, "tenantId": tenant_id},
    )
    return Invitation(f"{grant.org_id}.{secret}", email.lower(), role, tenant_id, expires_at)


async def _check_signed_in_from(
    services: Services, org_id: str, customer_tenant_id: str | None, signed_in_from: str
) -> None:
    """Entra does not verify the email claim, so an address alone binds nothing: a customer role
    is taken only from that customer's tenant, an MSP role only from one of the MSP's own."""
    tid = signed_in_from.lower()
    if customer_tenant_id is not None:
        if tid != customer_tenant_id.lower():
            raise NotAllowed(
                "this invitation is for people of the customer's own Microsoft 365 tenant, and you "
                "signed in from another one (tid); sign in with your account in the customer's tenant"
            )
        return
    if tid not in (await home_tenants(services.store, org_id)).tenant_ids:
        raise NotAllowed(
            "this invitation is for the MSP's own staff, and you signed in from a tenant that is "
            "not one of the MSP's home tenants (tid); sign in with your account at the MSP"
        )


async def accept(services: Services, claims: TokenClaims, code: str, actor: Actor) -> Membership:
    """The signed-in user takes the invitation meant for their email address."""
    org_id, _, secret = code.partition(".")
    org = services.store.org(org_id) if org_id else None
    stored = await org.find_invitation(_hash(secret)) if org and secret else None
    if org is None or stored is None:
        raise TeamError("this invitation is not valid")
    body = stored.body
    if body["acceptedAt"]:
        raise TeamError("this invitation was already used")
    if datetime.fromisoformat(body["expiresAt"]) <= services.clock.now():
        raise TeamError("this invitation has expired; ask for a new one")
    if (claims.email or "").lower() != body["email"]:
        raise NotAllowed("this invitation was sent to another email address")
    await _check_signed_in_from(services, org_id, body["tenantId"], claims.tenant_id)
    try:
        await org.replace({**body, "acceptedAt": services.clock.now().isoformat()}, stored.etag)
    except Conflict as exc:
        raise TeamError("this invitation was already used") from exc
    membership = Membership(org_id, Role(body["role"]), body["tenantId"])
    await grant_membership(
        services.store,
        home_tenant_id=claims.tenant_id,
        object_id=claims.object_id,
        membership=membership,
        name=claims.name,
        email=claims.email,
    )
    if membership.role is Role.MSP_ADMIN:
        await _join_roster(services, org_id, (claims.tenant_id, claims.object_id))
    await record(
        services.store,
        org_id=org_id,
        actor=actor,
        tenant_id=body["tenantId"],
        action="invitation.accepted",
        target={"email": body["email"], "role": body["role"], "tenantId": body["tenantId"]},
    )
    return membership


async def list_members(services: Services, grant: Grant) -> list[dict[str, Any]]:
    """MSP admins see the whole org; customer admins and viewers their own tenant's people."""
    org = services.store.org(grant.org_id)
    if grant.role.is_msp:
        return await org.members()
    # Asked of the store, not filtered here: a customer's people may not read the rest at all.
    return await org.members(tenant_id=grant.tenant_id)


async def _member(services: Services, grant: Grant, member_id: str) -> dict[str, Any]:
    try:
        member = (await services.store.org(grant.org_id).get(member_id)).body
    except NotFound as exc:
        raise NoSuchMember("no such member") from exc
    # Through a tenant's route, only that tenant's people exist.
    if member.get("type") != MEMBER or (
        grant.tenant_id is not None and member["tenantId"] != grant.tenant_id
    ):
        raise NoSuchMember("no such member")
    return member


async def _join_roster(services: Services, org_id: str, admin: Admin) -> None:
    try:
        await add_admin(services.store, org_id, admin)
    except RosterBusy as exc:
        raise ChangedMeanwhile("the MSP admins changed at the same moment; try again") from exc


async def _leave_roster(services: Services, org_id: str, admin: Admin, refusal: str) -> None:
    """The atomic last-admin rule: refused here, nothing has changed yet."""
    try:
        await remove_admin(services.store, org_id, admin)
    except LastAdmin as exc:
        raise TeamError(refusal) from exc
    except RosterBusy as exc:
        raise ChangedMeanwhile("the MSP admins changed at the same moment; try again") from exc


async def change_role(services: Services, grant: Grant, actor: Actor, member_id: str, role: Role) -> None:
    member = await _member(services, grant, member_id)
    _check_scope(grant, Role(member["role"]), member["tenantId"])
    _check_scope(grant, role, member["tenantId"])
    who = (member["homeTenantId"], member["objectId"])
    # Roster first when an admin steps down, last when one is made (core.auth.admin_roster).
    if member["role"] == Role.MSP_ADMIN.value and role is not Role.MSP_ADMIN:
        await _leave_roster(services, grant.org_id, who, "an organisation needs at least one MSP admin")
    await grant_membership(
        services.store,
        home_tenant_id=member["homeTenantId"],
        object_id=member["objectId"],
        membership=Membership(grant.org_id, role, member["tenantId"]),
        name=member["name"],
        email=member["email"],
    )
    if role is Role.MSP_ADMIN:
        await _join_roster(services, grant.org_id, who)
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor,
        tenant_id=member["tenantId"],
        action="member.role_changed",
        target={"memberId": member_id, "from": member["role"], "to": role.value},
    )


async def remove_member(services: Services, grant: Grant, actor: Actor, member_id: str) -> None:
    member = await _member(services, grant, member_id)
    _check_scope(grant, Role(member["role"]), member["tenantId"])
    if member["role"] == Role.MSP_ADMIN.value:
        who = (member["homeTenantId"], member["objectId"])
        await _leave_roster(services, grant.org_id, who, "the last MSP admin cannot be removed")
    await revoke_membership(
        services.store,
        home_tenant_id=member["homeTenantId"],
        object_id=member["objectId"],
        org_id=grant.org_id,
        tenant_id=member["tenantId"],
    )
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor,
        tenant_id=member["tenantId"],
        action="member.removed",
        target={"memberId": member_id, "email": member["email"], "role": member["role"]},
    )
