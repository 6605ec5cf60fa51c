"""The one table from queue to message model to handler (DESIGN.md, ports and adapters).

Every queue message is a pydantic model whose JSON wire shape is the message's body. The Azure
queue triggers (functions/queues.py) and the local worker (functions/local_host.py) both serve
every queue from `MESSAGES`, through `dispatch`: parse the text into the queue's model, hand it to
the queue's handler, return the handler's outcome. A malformed message raises ValueError naming
the field, so host.json's retry and poison rules apply, unless its queue parks malformed messages
in the poison queue at once (the scan queue does).

Handlers are imported when first called, so indexing the Functions app stays light.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.scan.requests import ScanRequest
from core.settings import Settings

if TYPE_CHECKING:
    from core.ports import Services

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


class SummaryMessage(BaseModel):
    """One owed email summary, queued by the daily job (core.summaries.enqueue_due_summaries)."""

    model_config = ConfigDict(populate_by_name=True)

    org_id: str = Field(alias="orgId", min_length=1)
    tenant_id: str = Field(alias="tenantId", min_length=1)
    # The relationship the summary is for; absent in messages queued by older versions.
    customer_id: str | None = Field(default=None, alias="customerId")
    period: str = Field(min_length=1)

    def to_message(self) -> dict[str, str]:
        return self.model_dump(by_alias=True, exclude_none=True)


class WebhookDelivery(BaseModel):
    """One (event, endpoint) delivery attempt, queued by core.webhooks.delivery.publish_all and
    re-queued with back-off after a failed attempt."""

    model_config = ConfigDict(populate_by_name=True)

    org_id: str = Field(alias="orgId", min_length=1)
    endpoint_id: str = Field(alias="endpointId", min_length=1)
    event: dict[str, Any]
    attempt: int = Field(ge=1)
    # ISO 8601, kept as the text the first attempt wrote so a re-queued message is unchanged.
    first_attempt_at: str = Field(alias="firstAttemptAt")

    def to_message(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


def parse_message(model: type[M], text: str) -> M:
    """Raise ValueError naming what is wrong with a malformed message."""
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise ValueError(problems) from exc


@dataclass(frozen=True)
class Route(Generic[M]):
    """One queue: the trigger's function name, the setting naming the queue, its message model,
    its handler, and what a malformed message gets."""

    function_name: str
    queue_setting: str  # a field of core.settings.Settings, and (upper-cased) the app setting
    label: str  # for logs and errors: "malformed <label>: <problems>"
    model: type[M]
    handler: Callable[[Services, M], Awaitable[str]]
    # None: raise, so the host retries and poisons; else park the text at once, return the outcome.
    on_malformed: Callable[[Services, str, ValueError], Awaitable[str]] | None = None

    @property
    def app_setting(self) -> str:
        return self.queue_setting.upper()

    def queue_name(self, settings: Settings) -> str:
        return str(getattr(settings, self.queue_setting))


async def dispatch(services: Services, route: Route[Any], text: str) -> str:
    """Handle one message's text as `route` says. Returns the outcome; raises to have it retried."""
    try:
        message = parse_message(route.model, text)
    except ValueError as exc:
        if route.on_malformed is not None:
            return await route.on_malformed(services, text, exc)
        raise ValueError(f"malformed {route.label}: {exc}") from exc
    return await route.handler(services, message)


# Handlers, imported on first call.


async def _scan(services: Services, request: ScanRequest) -> str:
    from core.scan.service import scan_requested

    return await scan_requested(services, request)


async def _poison_scan(services: Services, text: str, exc: ValueError) -> str:
    from core.scan.service import poison_scan_request

    return await poison_scan_request(services, text, exc)


async def _summary(services: Services, message: SummaryMessage) -> str:
    from core.summaries import handle_summary

    return await handle_summary(services, message)


async def _webhook(services: Services, message: WebhookDelivery) -> str:
    from core.webhooks.delivery import deliver

    return await deliver(services, message)


SCAN_REQUESTS: Route[ScanRequest] = Route(
    "scan_request_trigger", "scan_queue_name", "scan request", ScanRequest, _scan, _poison_scan
)
WEBHOOK_DELIVERIES: Route[WebhookDelivery] = Route(
    "webhook_delivery_trigger", "webhook_queue_name", "webhook delivery", WebhookDelivery, _webhook
)
EMAIL_SUMMARIES: Route[SummaryMessage] = Route(
    "email_summary_trigger", "email_queue_name", "summary message", SummaryMessage, _summary
)

MESSAGES: tuple[Route[Any], ...] = (SCAN_REQUESTS, WEBHOOK_DELIVERIES, EMAIL_SUMMARIES)
