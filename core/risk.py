"""Risk acceptance: a failing finding set aside, with a justification and an expiry of at most a
year. Accepted findings leave the score and the open-priority count (applied at read time, see
core.posture), show as accepted everywhere, and reopen by themselves when the acceptance expires;
the hourly sweep then clears it and writes the audit entry. Every step is audited."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from core import errors
from core.audit import SYSTEM, Actor, record
from core.auth.principals import Grant
from core.checks.model import Status
from core.customers import Customer, update_customer_by_id
from core.ports import Services
from core.scan.findings import Acceptance, Finding
from core.store import Conflict, NotFound
from core.store.documents import finding_id

MAX_ACCEPTANCE = timedelta(days=365)
MIN_JUSTIFICATION = 10


class AcceptanceRefused(errors.Refused):
    """The acceptance cannot be made or changed; the message names the field or the reason."""


async def _change_finding(
    services: Services,
    relationship_id: str,
    check_id: str,
    acceptance: Acceptance | None,
    *,
    must_fail: bool,
) -> Finding:
    repo = services.store.relationship(relationship_id)
    for _ in range(8):
        try:
            finding, etag = await repo.finding(check_id)
        except NotFound as exc:
            raise AcceptanceRefused(f"there is no finding for check '{check_id}' in this tenant") from exc
        if must_fail and finding.status != Status.FAIL.value:
            raise AcceptanceRefused("only a failing finding can be accepted as a risk")
        changed = finding.model_copy(update={"acceptance": acceptance})
        try:
            await repo.replace(changed.to_document(), etag)
            return changed
        except Conflict:
            continue  # a scan wrote the finding meanwhile: apply ours to the fresh copy
    raise Conflict(finding_id(check_id))


async def accept_risk(
    services: Services,
    grant: Grant,
    actor: Actor,
    *,
    check_id: str,
    justification: str,
    expires_at: datetime,
    now: datetime | None = None,
) -> Finding:
    now = now or services.clock.now()
    if len(justification.strip()) < MIN_JUSTIFICATION:
        raise AcceptanceRefused(f"justification: say why, in at least {MIN_JUSTIFICATION} characters")
    if expires_at.tzinfo is None:
        raise AcceptanceRefused("expiresAt: give a time zone (e.g. 2027-01-31T00:00:00Z)")
    if expires_at <= now:
        raise AcceptanceRefused("expiresAt: must be in the future")
    if expires_at - now > MAX_ACCEPTANCE:
        raise AcceptanceRefused("expiresAt: an acceptance lasts at most one year")
    acceptance = Acceptance(
        justification=justification.strip(),
        accepted_at=now,
        expires_at=expires_at.astimezone(UTC),
        accepted_by=actor.to_json(),
    )
    finding = await _change_finding(services, grant.relationship, check_id, acceptance, must_fail=True)

    def remember(customer: Customer) -> None:
        customer.summary.acceptances[check_id] = expires_at.astimezone(UTC)
        customer.summary.acceptances_changed_at = now

    await update_customer_by_id(services.store.org(grant.org_id), grant.relationship, remember)
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor,
        tenant_id=grant.tenant_id,
        relationship_id=grant.relationship,
        action="risk.accepted",
        target={
            "checkId": check_id,
            "expiresAt": acceptance.expires_at.isoformat(),
            "justification": acceptance.justification,
        },
    )
    return finding


async def revoke_acceptance(services: Services, grant: Grant, actor: Actor, *, check_id: str) -> Finding:
    finding = await _change_finding(services, grant.relationship, check_id, None, must_fail=False)

    def forget(customer: Customer) -> None:
        customer.summary.acceptances.pop(check_id, None)
        customer.summary.acceptances_changed_at = services.clock.now()

    await update_customer_by_id(services.store.org(grant.org_id), grant.relationship, forget)
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor,
        tenant_id=grant.tenant_id,
        relationship_id=grant.relationship,
        action="risk.revoked",
        target={"checkId": check_id},
    )
    return finding


async def sweep_expired_acceptances(services: Services, now: datetime | None = None) -> int:
    """Clear acceptances that have expired and audit each reopening (hourly job; cross-partition
    like the rest of scheduling). Views already treat them as reopened before this runs."""
    now = now or services.clock.now()
    reopened = 0
    async for customer in services.store.connected_customers():
        expired = [c for c, at in customer.summary.acceptances.items() if at <= now]
        if not expired or customer.tenant_id is None:
            continue
        for check_id in expired:
            # A finding that is gone (check retired) still has its acceptance dropped below.
            with contextlib.suppress(AcceptanceRefused):
                await _change_finding(services, customer.relationship_id, check_id, None, must_fail=False)

        def drop(c: Customer, gone: list[str] = expired) -> None:
            # Stamped with when the last of them expired, which is when the posture changed.
            moments = [c.summary.acceptances[x] for x in gone if x in c.summary.acceptances]
            for check_id in gone:
                c.summary.acceptances.pop(check_id, None)
            earlier = c.summary.acceptances_changed_at
            if moments:
                c.summary.acceptances_changed_at = max(moments if earlier is None else [*moments, earlier])

        await update_customer_by_id(services.store.org(customer.org_id), customer.customer_id, drop)
        for check_id in expired:
            await record(
                services.store,
                org_id=customer.org_id,
                actor=SYSTEM,
                tenant_id=customer.tenant_id,
                relationship_id=customer.relationship_id,
                action="risk.expired",
                target={"checkId": check_id},
            )
        reopened += len(expired)
    return reopened
