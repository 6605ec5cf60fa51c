"""Publishing events and delivering them to endpoints, signed per the Standard Webhooks spec.

Each (event, endpoint) pair is one queue message. A failed delivery goes back on the queue with
exponential back-off (5 s, 10 s, 20 s ... capped at an hour) until 24 hours after its first try;
every attempt is logged. An endpoint that keeps failing (DISABLE_AFTER consecutive failures, or a
delivery that ran out of retries) is disabled, and the MSP is told through the audit log.
"""

from __future__ import annotations

import html
import json
import logging
import ssl
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from standardwebhooks import Webhook

from core.audit import SYSTEM, record
from core.lazy import lazy_module
from core.messages import WebhookDelivery
from core.ports import Services
from core.store import NotFound
from core.store.documents import WEBHOOK_DELIVERY, webhook_delivery_id
from core.store.model import StoredModel, Timestamp
from core.webhooks.egress import EgressPolicy, EndpointRefused, pinned_client, vet
from core.webhooks.endpoints import WebhookEndpoint, enabled_endpoints

if TYPE_CHECKING:
    import httpx
else:
    httpx = lazy_module("httpx")  # with the first delivery, not with the API (issue 24)

log = logging.getLogger(__name__)


class DeliveryAttempt(StoredModel):
    """One attempt to deliver one event to one endpoint, in the org's delivery log."""

    id: str
    type: str = WEBHOOK_DELIVERY
    endpoint_id: str
    event_id: str
    event: str  # the event's type
    attempt: int
    at: Timestamp
    ok: bool
    status_code: int | None
    error: str | None


PAYLOAD_VERSION = "1"
RETRY_FOR = timedelta(hours=24)
FIRST_DELAY_SECONDS = 5
MAX_DELAY_SECONDS = 3600
DISABLE_AFTER = 20


def event_payload(event_type: str, org_id: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "type": event_type,
        "version": PAYLOAD_VERSION,
        "id": f"evt_{uuid.uuid4().hex}",
        "timestamp": now.isoformat(),
        "orgId": org_id,
        "data": data,
    }


async def publish(services: Services, org_id: str, event_type: str, data: dict[str, Any]) -> int:
    """Queue one delivery per enabled endpoint subscribed to the event. Returns how many."""
    return await publish_all(services, org_id, [(event_type, data)])


async def publish_all(services: Services, org_id: str, events: list[tuple[str, dict[str, Any]]]) -> int:
    """Queue deliveries of several events, reading the org's endpoints once."""
    if not events:
        return 0
    endpoints = await enabled_endpoints(services.store.org(org_id))
    if not endpoints:
        return 0
    now = services.clock.now()
    queued = 0
    for event_type, data in events:
        event = event_payload(event_type, org_id, data, now)
        for endpoint in (e for e in endpoints if event_type in e.events):
            message = WebhookDelivery(
                org_id=org_id,
                endpoint_id=endpoint.endpoint_id,
                event=event,
                attempt=1,
                first_attempt_at=now.isoformat(),
            )
            await services.webhook_queue.send(message.to_message())
            queued += 1
    return queued


async def _tell_msp_admins(
    services: Services, org_id: str, endpoint: WebhookEndpoint, error: str | None
) -> None:
    """Mail the org's MSP admins that an endpoint was disabled. Best effort: the audit entry is
    the record; a mail outage must not turn a delivery failure into a crash."""
    from core.mail.graph import MailFailed

    admins = await services.store.org(org_id).members(role="msp_admin")
    recipients = sorted({a["email"] for a in admins if a.get("email")})
    if not recipients:
        return
    body = (
        "<p>ScanPosture stopped sending webhooks to an endpoint that kept failing:</p>"
        f"<p><code>{html.escape(endpoint.url)}</code><br>Last error: {html.escape(error or 'unknown')}</p>"
        "<p>Fix the receiver, then enable the endpoint again in ScanPosture.</p>"
    )
    try:
        await services.mailer.send(
            to=recipients,
            subject="ScanPosture: a webhook endpoint was disabled",
            html=body,
        )
    except MailFailed as exc:
        log.warning("could not mail the admins of %s about a disabled endpoint: %s", org_id, exc)


async def _disabled(services: Services, org_id: str, endpoint: WebhookEndpoint, error: str | None) -> None:
    """Tell the MSP that an endpoint was disabled: the audit log, and mail to its admins."""
    await _tell_msp_admins(services, org_id, endpoint, error)
    await record(
        services.store,
        org_id=org_id,
        actor=SYSTEM,
        action="webhook.disabled",
        target={"endpointId": endpoint.endpoint_id, "url": endpoint.url, "lastError": error},
    )


def backoff_seconds(attempt: int) -> int:
    return int(min(FIRST_DELAY_SECONDS * 2 ** (attempt - 1), MAX_DELAY_SECONDS))


async def _post(
    endpoint: WebhookEndpoint,
    event: dict[str, Any],
    now: datetime,
    policy: EgressPolicy,
    tls: ssl.SSLContext | None,
) -> tuple[bool, int | None, str | None]:
    """Sign and send one event: (ok, HTTP status, error). The URL is vetted here, at send time,
    and the request goes only to the addresses this vetting saw (no second lookup)."""
    body = json.dumps(event, separators=(",", ":"))
    try:
        target = await vet(endpoint.url, policy)
        headers = {
            "content-type": "application/json",
            "webhook-id": event["id"],
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(endpoint.secret).sign(event["id"], now, body),
            "user-agent": "ScanPosture-Webhooks/1",
        }
        async with pinned_client(target, tls=tls) as http:
            response = await http.post(target.url, content=body, headers=headers)
    except (httpx.HTTPError, EndpointRefused) as exc:
        return False, None, f"{type(exc).__name__}: {exc}"[:300]
    status = response.status_code
    return 200 <= status < 300, status, None if 200 <= status < 300 else f"HTTP {status}"


async def deliver(
    services: Services,
    message: WebhookDelivery | dict[str, Any],
    *,
    tls: ssl.SSLContext | None = None,
    policy: EgressPolicy | None = None,
) -> str:
    """Handle one delivery message (the webhook queue's handler). Returns what happened.

    `tls` trusts a local receiver's CA and `policy` replaces the one from settings: tests only."""
    if not isinstance(message, WebhookDelivery):
        message = WebhookDelivery.model_validate(message)
    org = services.store.org(message.org_id)
    try:
        endpoint, etag = await org.webhook_endpoint(message.endpoint_id)
    except NotFound:
        return "dropped: endpoint removed"
    if not endpoint.enabled:
        return "dropped: endpoint disabled"
    event, attempt = message.event, message.attempt
    now = services.clock.now()
    ok, status, error = await _post(
        endpoint, event, now, policy or EgressPolicy.from_settings(services.settings), tls
    )
    logged = DeliveryAttempt(
        id=webhook_delivery_id(event["id"], endpoint.endpoint_id, attempt),
        endpoint_id=endpoint.endpoint_id,
        event_id=event["id"],
        event=event["type"],
        attempt=attempt,
        at=now,
        ok=ok,
        status_code=status,
        error=error,
    )
    await org.create(logged.to_document())
    failures = 0 if ok else endpoint.consecutive_failures + 1
    first = datetime.fromisoformat(message.first_attempt_at)
    out_of_time = not ok and now - first >= RETRY_FOR
    disable = failures >= DISABLE_AFTER or out_of_time
    updated = endpoint.model_copy(update={"consecutive_failures": failures, "enabled": not disable})
    await org.replace(updated.to_document(), etag)
    if disable:
        await _disabled(services, message.org_id, endpoint, error)
        return f"failed and disabled the endpoint: {error}"
    if ok:
        return "delivered"
    retry = message.model_copy(update={"attempt": attempt + 1})
    await services.webhook_queue.send(retry.to_message(), visibility_delay=backoff_seconds(attempt))
    return f"failed, retry {attempt + 1} in {backoff_seconds(attempt)} s: {error}"
