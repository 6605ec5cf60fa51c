"""Scan now: a person asks for a scan of one tenant. It is queued; while one is queued or running,
asking again returns that one instead of queueing another."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.audit import Actor, record
from core.auth.principals import Grant
from core.ports import Services
from core.scan.requests import ScanRequest
from core.store import AlreadyExists, Conflict, RelationshipRepository
from core.store.documents import PENDING_ID, SCAN_REQUEST

# A request still pending after this long was lost (its message poisoned): a new one may start.
PENDING_EXPIRES = timedelta(hours=1)


@dataclass(frozen=True)
class ScanTicket:
    scan_id: str
    status: str
    requested_at: str
    created: bool


def _is_live(body: dict[str, Any], now: datetime) -> bool:
    return body["status"] in ("queued", "running") and (
        now - datetime.fromisoformat(body["requestedAt"]) < PENDING_EXPIRES
    )


async def request_scan(services: Services, grant: Grant, actor: Actor) -> ScanTicket:
    assert grant.tenant_id is not None
    tenant = services.store.relationship(grant.relationship)
    now = services.clock.now()
    for _ in range(4):
        existing = await tenant.find(PENDING_ID)
        if existing is not None and _is_live(existing.body, now):
            b = existing.body
            return ScanTicket(b["scanId"], b["status"], b["requestedAt"], created=False)
        scan_id = f"manual-{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
        body: dict[str, Any] = {
            "id": PENDING_ID,
            "type": SCAN_REQUEST,
            "scanId": scan_id,
            "status": "queued",
            "requestedAt": now.isoformat(),
            "requestedBy": actor.to_json(),
        }
        try:
            if existing is None:
                await tenant.create(body)
            else:
                await tenant.replace(body, existing.etag)
        except (AlreadyExists, Conflict):
            continue  # someone asked at the same moment: theirs is the one
        request = ScanRequest(
            org_id=grant.org_id,
            tenant_id=grant.tenant_id,
            customer_id=grant.relationship,
            request_id=scan_id,
            reason="manual",
        )
        await services.scan_queue.send(request.to_message())
        await record(
            services.store,
            org_id=grant.org_id,
            actor=actor,
            tenant_id=grant.tenant_id,
            relationship_id=grant.relationship,
            action="scan.requested",
            target={"scanId": scan_id},
        )
        return ScanTicket(scan_id, "queued", body["requestedAt"], created=True)
    raise Conflict(PENDING_ID)


async def mark_pending(tenant: RelationshipRepository, scan_id: str, status: str) -> None:
    """Move the pending request along (running, then done) if it is the one being scanned."""
    existing = await tenant.find(PENDING_ID)
    if existing is None or existing.body["scanId"] != scan_id:
        return
    # A conflict means a newer request replaced it meanwhile: nothing of ours to update.
    with contextlib.suppress(Conflict):
        await tenant.replace({**existing.body, "status": status}, existing.etag)
