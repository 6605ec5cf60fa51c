"""Delivering a webhook (core.webhooks.delivery.deliver) over the in-memory adapters: the attempt
log, the back-off retry and disabling an endpoint that keeps failing. The receiver is a loopback
port nothing listens on (port 9, discard), so every attempt fails at once without a network."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from core.auth.principals import Membership, grant_membership
from core.auth.roles import Role
from core.messages import WebhookDelivery
from core.webhooks.delivery import DISABLE_AFTER, backoff_seconds, deliver, publish_all
from core.webhooks.egress import EgressPolicy
from core.webhooks.endpoints import WebhookEndpoint, create_endpoint
from tests.unit.fakes import FakeServices, fake_services
from tests.unit.use_case_world import ORG

LOOPBACK = EgressPolicy(also_allow=frozenset({ip_address("127.0.0.1")}))


@pytest.fixture
def services() -> FakeServices:
    return fake_services()


async def _endpoint(services: FakeServices) -> WebhookEndpoint:
    return await create_endpoint(
        services.store.org(ORG),
        url="https://127.0.0.1:9/hook",
        events=["scan.completed"],
        description="nobody listens",
        policy=LOOPBACK,
        now=services.clock.now(),
    )


async def _queued(services: FakeServices) -> WebhookDelivery:
    await publish_all(services, ORG, [("scan.completed", {"scanId": "s-1"})])
    return WebhookDelivery.model_validate(services.webhook_queue.sent[-1])


async def test_a_failed_attempt_is_logged_and_retried_after_a_back_off(services: FakeServices) -> None:
    endpoint = await _endpoint(services)
    message = await _queued(services)
    outcome = await deliver(services, message, policy=LOOPBACK)

    assert outcome.startswith("failed, retry 2")
    (attempt,) = await services.store.org(ORG).webhook_deliveries(endpoint.endpoint_id)
    assert (attempt.ok, attempt.attempt, attempt.status_code) == (False, 1, None)
    assert attempt.at == services.clock.now() and attempt.error
    retry = WebhookDelivery.model_validate(services.webhook_queue.sent[-1])
    assert retry.attempt == 2 and retry.event == message.event
    assert services.webhook_queue.delays[-1] == backoff_seconds(1)
    stored, _ = await services.store.org(ORG).webhook_endpoint(endpoint.endpoint_id)
    assert stored.consecutive_failures == 1 and stored.enabled


async def test_an_endpoint_that_keeps_failing_is_disabled_and_the_admins_are_told(
    services: FakeServices,
) -> None:
    await grant_membership(
        services.store,
        home_tenant_id="msp-tenant",
        object_id="admin-1",
        membership=Membership(ORG, Role.MSP_ADMIN),
        name="Ada",
        email="ada@msp.test",
    )
    endpoint = await _endpoint(services)
    org = services.store.org(ORG)
    stored, etag = await org.webhook_endpoint(endpoint.endpoint_id)
    await org.replace(
        stored.model_copy(update={"consecutive_failures": DISABLE_AFTER - 1}).to_document(), etag
    )
    message = await _queued(services)
    queued_before = len(services.webhook_queue.sent)

    outcome = await deliver(services, message, policy=LOOPBACK)
    assert outcome.startswith("failed and disabled")
    stored, _ = await org.webhook_endpoint(endpoint.endpoint_id)
    assert not stored.enabled
    assert len(services.webhook_queue.sent) == queued_before, "a disabled endpoint gets no retry"
    (mail,) = services.mailer.sent
    assert mail.to == ["ada@msp.test"] and "127.0.0.1:9" in mail.html
    assert "webhook.disabled" in [e["action"] for e in await org.audit_entries()]
    assert await deliver(services, message, policy=LOOPBACK) == "dropped: endpoint disabled"
