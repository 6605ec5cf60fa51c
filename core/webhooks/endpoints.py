"""Webhook endpoints an MSP admin registers: where, which events, and the signing secret.

SSRF guard (core.webhooks.egress): an endpoint must be https, and every address its host resolves
to must be public (core.webhooks.addresses). The check runs when the endpoint is registered and
again before every delivery, because DNS can change after registration; each delivery then
connects to exactly the addresses it vetted. A setting allows loopback for local development only.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from core.store import OrgRepository
from core.store.documents import WEBHOOK_ENDPOINT, webhook_endpoint_id
from core.store.model import StoredModel, Timestamp
from core.webhooks.egress import EgressPolicy, EndpointRefused, vet

EVENTS = (
    "scan.completed",
    "finding.opened",
    "finding.resolved",
    "score.changed",
    "tenant.connection_lost",
    "tenant.connected",
)


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def check_url(url: str, policy: EgressPolicy | None = None) -> str:
    """Return the URL if it may receive deliveries, or raise EndpointRefused saying why."""
    return (await vet(url, policy or EgressPolicy())).url


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise EndpointRefused(
            f"events: unknown event(s) {', '.join(unknown)}; choose from {', '.join(EVENTS)}"
        )
    if not events:
        raise EndpointRefused("events: choose at least one event")
    return sorted(set(events))


class WebhookEndpoint(StoredModel):
    """A registered endpoint, in the org's partition. `secret` never leaves in a listing."""

    id: str
    type: str = WEBHOOK_ENDPOINT
    endpoint_id: str
    url: str
    events: list[str]
    secret: str
    enabled: bool = True
    description: str = ""
    consecutive_failures: int = 0
    created_at: Timestamp

    def public(self) -> dict[str, Any]:
        """What the API shows of an endpoint: everything but the signing secret."""
        return self.model_dump(by_alias=True, mode="json", include=_PUBLIC)


_PUBLIC = {"endpoint_id", "url", "events", "enabled", "description", "consecutive_failures", "created_at"}


async def create_endpoint(
    org: OrgRepository,
    *,
    url: str,
    events: list[str],
    description: str,
    policy: EgressPolicy,
    now: datetime | None = None,
) -> WebhookEndpoint:
    checked_events = check_events(events)  # before the DNS lookup: cheap checks first
    checked_url = await check_url(url, policy)
    endpoint_id = uuid.uuid4().hex
    endpoint = WebhookEndpoint(
        id=webhook_endpoint_id(endpoint_id),
        endpoint_id=endpoint_id,
        url=checked_url,
        events=checked_events,
        secret=new_secret(),
        description=description,
        created_at=now or datetime.now(UTC),
    )
    await org.create(endpoint.to_document())
    return endpoint


async def enabled_endpoints(org: OrgRepository) -> list[WebhookEndpoint]:
    return await org.webhook_endpoints(enabled_only=True)


async def rotate_secret(org: OrgRepository, endpoint_id: str) -> WebhookEndpoint:
    """A new signing secret; deliveries from now on are signed with it. NotFound if no such endpoint."""
    endpoint, etag = await org.webhook_endpoint(endpoint_id)
    rotated = endpoint.model_copy(update={"secret": new_secret()})
    await org.replace(rotated.to_document(), etag)
    return rotated


async def enable_endpoint(org: OrgRepository, endpoint_id: str) -> WebhookEndpoint:
    """Turn an endpoint back on after it was disabled for failing, its failure count cleared."""
    endpoint, etag = await org.webhook_endpoint(endpoint_id)
    enabled = endpoint.model_copy(update={"enabled": True, "consecutive_failures": 0})
    await org.replace(enabled.to_document(), etag)
    return enabled
