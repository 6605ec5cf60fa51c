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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.store import OrgRepository
from core.store.documents import WEBHOOK_ENDPOINT, webhook_endpoint_id
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


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    events: list[str]
    secret: str
    enabled: bool
    description: str

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Endpoint:
        return cls(
            doc["endpointId"], doc["url"], doc["events"], doc["secret"], doc["enabled"], doc["description"]
        )


async def create_endpoint(
    org: OrgRepository, *, url: str, events: list[str], description: str, policy: EgressPolicy
) -> Endpoint:
    checked_events = check_events(events)  # before the DNS lookup: cheap checks first
    checked_url = await check_url(url, policy)
    endpoint_id = uuid.uuid4().hex
    doc = {
        "id": webhook_endpoint_id(endpoint_id),
        "type": WEBHOOK_ENDPOINT,
        "endpointId": endpoint_id,
        "url": checked_url,
        "events": checked_events,
        "secret": new_secret(),
        "enabled": True,
        "description": description,
        "consecutiveFailures": 0,
        "createdAt": datetime.now(UTC).isoformat(),
    }
    await org.create(doc)
    return Endpoint.from_document(doc)


async def enabled_endpoints(org: OrgRepository) -> list[Endpoint]:
    docs = await org.webhook_endpoints(enabled_only=True)
    return [Endpoint.from_document(d) for d in docs]
