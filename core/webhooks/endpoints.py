"""Webhook endpoints an MSP admin registers: where, which events, and the signing secret.

SSRF guard: an endpoint must be https, and every address its host resolves to must be public
(core.webhooks.addresses: never private, loopback, link-local, multicast or reserved, nor an IPv6
form of such an IPv4 address). The check runs when the endpoint is registered and again before
every delivery, because DNS can change after registration. A setting allows loopback for local
development only.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from core.store import OrgRepository
from core.webhooks.addresses import refusal

EVENTS = (
    "scan.completed",
    "finding.opened",
    "finding.resolved",
    "score.changed",
    "tenant.connection_lost",
    "tenant.connected",
)
ENDPOINT_TYPE = "webhook_endpoint"


class EndpointRefused(ValueError):
    """The endpoint cannot be used; the message names the field and the reason."""


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def check_url(url: str, *, allow_loopback: bool = False) -> str:
    """Return the URL if it may receive deliveries, or raise EndpointRefused saying why."""
    if len(url) > 2000:
        raise EndpointRefused("url: at most 2,000 characters")
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise EndpointRefused("url: only https endpoints receive webhooks")
    if not parts.hostname or parts.username or parts.password:
        raise EndpointRefused("url: give a host, without credentials in the URL")
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise EndpointRefused("url: the port is not valid") from exc
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise EndpointRefused(f"url: {parts.hostname} does not resolve") from exc
    addresses = {str(info[4][0]) for info in infos}
    reasons = {a: refusal(a, allow_loopback=allow_loopback) for a in sorted(addresses)}
    refused = [f"{a}: {why}" for a, why in reasons.items() if why]
    if refused:
        raise EndpointRefused(
            f"url: {parts.hostname} resolves to a non-public address ({'; '.join(refused)})"
        )
    return url


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
    org: OrgRepository, *, url: str, events: list[str], description: str, allow_loopback: bool
) -> Endpoint:
    checked_events = check_events(events)  # before the DNS lookup: cheap checks first
    checked_url = await check_url(url, allow_loopback=allow_loopback)
    endpoint_id = uuid.uuid4().hex
    doc = {
        "id": f"webhook:{endpoint_id}",
        "type": ENDPOINT_TYPE,
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
    docs = await org.query_all("c.type = @t AND c.enabled = true", {"@t": ENDPOINT_TYPE})
    return [Endpoint.from_document(d) for d in docs]
