"""Webhooks: the SSRF guard, Standard Webhooks signatures verified by a local HTTPS receiver with
the library, retries with back-off, and disabling an endpoint that keeps failing."""

from __future__ import annotations

import asyncio
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.bootstrap import Services
from core.settings import Settings
from core.webhooks.delivery import DISABLE_AFTER, deliver, publish, webhook_queue
from core.webhooks.endpoints import EndpointRefused, check_events, check_url, create_endpoint
from devtools.processes import free_port
from devtools.stack import write_self_signed_certificate
from tests.conftest import loopback_webhook_services


@dataclass
class Receiver:
    url: str
    client_tls: ssl.SSLContext
    client_tls_path: str
    secrets: dict[str, str] = field(default_factory=dict)  # path -> secret to verify with
    received: list[dict[str, Any]] = field(default_factory=list)
    answer: int = 204


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[Receiver]:
    cert, key = write_self_signed_certificate(tmp_path / "tls")
    port = free_port()
    state = Receiver(f"https://127.0.0.1:{port}", ssl.create_default_context(cafile=str(cert)), str(cert))

    async def hook(request: Request) -> Response:
        body = await request.body()
        # Verified with the library, as a customer's receiver would.
        payload = Webhook(state.secrets[request.url.path]).verify(body, dict(request.headers))
        state.received.append(payload)
        return Response(status_code=state.answer)

    app = Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
            log_level="warning",
            lifespan="off",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.02)
    yield state
    server.should_exit = True
    await task


@pytest.fixture
async def hooks(settings: Settings) -> AsyncIterator[Services]:
    async with loopback_webhook_services(settings) as services:
        yield services


@pytest.fixture
async def scan_hooks(scan_settings: Settings) -> AsyncIterator[Services]:
    """As `hooks`, with the Graph simulator's settings (scans and mail)."""
    async with loopback_webhook_services(scan_settings) as services:
        yield services


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/x", "only https"),
        ("https://10.1.2.3/x", "non-public"),
        ("https://192.168.0.10/x", "non-public"),
        ("https://169.254.169.254/latest/meta-data", "non-public"),
        ("https://127.0.0.1:8443/x", "non-public"),
        ("https://localhost/x", "non-public"),
        ("https://[::1]/x", "non-public"),
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https://hooks.example.com:99999/x", "port"),
        ("ftp://hooks.example.com/x", "only https"),
    ],
)
async def test_the_ssrf_guard_refuses_what_is_not_public_https(url: str, reason: str) -> None:
    with pytest.raises(EndpointRefused, match=reason):
        await check_url(url)


async def test_loopback_only_with_the_development_setting_and_events_are_checked() -> None:
    assert await check_url("https://127.0.0.1:8443/x", allow_loopback=True) == "https://127.0.0.1:8443/x"
    with pytest.raises(EndpointRefused, match="non-public"):
        await check_url("https://10.0.0.1/x", allow_loopback=True)  # only loopback is relaxed
    with pytest.raises(EndpointRefused, match="unknown event"):
        check_events(["scan.completed", "tenant.exploded"])


async def _deliver_next(services: Services, receiver: Receiver) -> str:
    queue = webhook_queue(services)
    (message,) = await queue.receive(max_messages=1, visibility_timeout=30)
    async with httpx.AsyncClient(verify=receiver.client_tls, follow_redirects=False) as client:
        outcome = await deliver(services, message.json(), client=client)
    await queue.delete(message)
    await queue.close()
    return outcome


async def test_a_published_event_arrives_signed_and_is_logged(hooks: Services, receiver: Receiver) -> None:
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    endpoint = await create_endpoint(
        hooks.store.org(org_id),
        url=f"{receiver.url}/ok",
        events=["scan.completed"],
        description="ticketing",
        allow_loopback=True,
    )
    receiver.secrets["/ok"] = endpoint.secret
    assert await publish(hooks, org_id, "finding.opened", {"checkId": "x"}) == 0  # not subscribed
    assert await publish(hooks, org_id, "scan.completed", {"tenantId": "t1", "score": 71.5}) == 1
    assert await _deliver_next(hooks, receiver) == "delivered"
    (payload,) = receiver.received
    assert payload["type"] == "scan.completed" and payload["version"] == "1"
    assert payload["data"] == {"tenantId": "t1", "score": 71.5}
    log = await hooks.store.org(org_id).query_all("c.type = @t", {"@t": "webhook_delivery"})
    assert [(e["ok"], e["statusCode"], e["attempt"]) for e in log] == [(True, 204, 1)]


async def test_failures_back_off_then_a_failing_endpoint_is_disabled(
    hooks: Services, receiver: Receiver
) -> None:
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    org = hooks.store.org(org_id)
    endpoint = await create_endpoint(
        org, url=f"{receiver.url}/down", events=["score.changed"], description="", allow_loopback=True
    )
    receiver.secrets["/down"] = endpoint.secret
    receiver.answer = 500
    await publish(hooks, org_id, "score.changed", {"from": 50, "to": 40})
    assert (await _deliver_next(hooks, receiver)).startswith("failed, retry 2 in 5 s")
    # The retry waits on the queue, invisible for its back-off.
    assert await webhook_queue(hooks).receive(max_messages=1, visibility_timeout=1) == []

    stored = await org.get(f"webhook:{endpoint.id}")
    await org.replace({**stored.body, "consecutiveFailures": DISABLE_AFTER - 1}, stored.etag)
    await publish(hooks, org_id, "score.changed", {"from": 40, "to": 30})
    assert (await _deliver_next(hooks, receiver)).startswith("failed and disabled")
    assert (await org.get(f"webhook:{endpoint.id}")).body["enabled"] is False
    audit = await org.query_all("c.type = @t", {"@t": "audit"})
    assert any(e["action"] == "webhook.disabled" for e in audit)
    assert await publish(hooks, org_id, "score.changed", {}) == 0  # nothing goes to a disabled endpoint


async def test_a_delivery_that_ran_out_of_time_disables_the_endpoint(
    hooks: Services, receiver: Receiver
) -> None:
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    endpoint = await create_endpoint(
        hooks.store.org(org_id),
        url=f"{receiver.url}/late",
        events=["tenant.connected"],
        description="",
        allow_loopback=True,
    )
    receiver.secrets["/late"] = endpoint.secret
    receiver.answer = 503
    yesterday = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    message = {
        "orgId": org_id,
        "endpointId": endpoint.id,
        "attempt": 12,
        "firstAttemptAt": yesterday,
        "event": {
            "type": "tenant.connected",
            "version": "1",
            "id": "evt_old",
            "timestamp": yesterday,
            "orgId": org_id,
            "data": {},
        },
    }
    async with httpx.AsyncClient(verify=receiver.client_tls) as client:
        outcome = await deliver(hooks, message, client=client)
    assert outcome.startswith("failed and disabled")


async def test_a_scan_publishes_completed_opened_and_score_events(
    scan_hooks: Services, graphsim: object, receiver: Receiver
) -> None:
    import json as _json

    from core.customers import register_customer
    from core.scan.requests import ScanRequest
    from core.scheduling import handle_scan_request
    from devtools.graphsim.launcher import GraphSimulator
    from devtools.graphsim.synthetic import synthetic_tenant

    assert isinstance(graphsim, GraphSimulator)
    services = scan_hooks
    queue = webhook_queue(services)
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    tenant_id = graphsim.load_tenant(synthetic_tenant(15, seed=int(uuid.uuid4().int % 10**6), posture="weak"))
    await register_customer(
        services.store.org(org_id),
        tenant_id=tenant_id,
        display_name="Evented",
        primary_domain="evented.example",
        connected=True,
    )
    await create_endpoint(
        services.store.org(org_id),
        url=f"{receiver.url}/all",
        events=["scan.completed", "finding.opened"],
        description="",
        allow_loopback=True,
    )
    request = ScanRequest(org_id=org_id, tenant_id=tenant_id, request_id="evt-1", reason="manual")
    await handle_scan_request(services, _json.dumps(request.to_message()))
    messages = await queue.receive(max_messages=32, visibility_timeout=30)
    kinds = [m.json()["event"]["type"] for m in messages]
    assert kinds.count("scan.completed") == 1
    assert kinds.count("finding.opened") >= 1  # a weak tenant's first scan opens P1/P2 findings
    assert "score.changed" not in kinds  # not subscribed (and a first scan has no change)
    await queue.close()


async def test_the_local_worker_delivers_queued_webhooks(hooks: Services, receiver: Receiver) -> None:
    from functions.local_host import QueueOptions, drain_webhook_queue_once

    org_id = f"org-{uuid.uuid4().hex[:8]}"
    endpoint = await create_endpoint(
        hooks.store.org(org_id),
        url=f"{receiver.url}/worker",
        events=["tenant.connected"],
        description="",
        allow_loopback=True,
    )
    receiver.secrets["/worker"] = endpoint.secret
    await publish(hooks, org_id, "tenant.connected", {"tenantId": "t9"})
    # The worker's own HTTP client must trust the receiver: point it at the receiver's CA.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", receiver.client_tls_path)
        assert await drain_webhook_queue_once(hooks, QueueOptions.from_host_json()) == 1
    assert [p["type"] for p in receiver.received] == ["tenant.connected"]


async def test_msp_admins_are_mailed_when_an_endpoint_is_disabled(
    scan_hooks: Services, graphsim: object, receiver: Receiver
) -> None:
    from core.auth.principals import Membership, grant_membership
    from core.auth.roles import Role
    from devtools.graphsim.launcher import GraphSimulator

    assert isinstance(graphsim, GraphSimulator)
    services = scan_hooks
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    await grant_membership(
        services.store,
        home_tenant_id=str(uuid.uuid4()),
        object_id=str(uuid.uuid4()),
        membership=Membership(org_id, Role.MSP_ADMIN),
        name="Ops",
        email="ops@msp.example",
    )
    endpoint = await create_endpoint(
        services.store.org(org_id),
        url=f"{receiver.url}/gone",
        events=["score.changed"],
        description="",
        allow_loopback=True,
    )
    receiver.secrets["/gone"] = endpoint.secret
    receiver.answer = 500
    stored = await services.store.org(org_id).get(f"webhook:{endpoint.id}")
    await services.store.org(org_id).replace(
        {**stored.body, "consecutiveFailures": DISABLE_AFTER - 1}, stored.etag
    )
    before = len(graphsim.sent_mail(graphsim.provider_tenant_id))
    await publish(services, org_id, "score.changed", {})
    assert (await _deliver_next(services, receiver)).startswith("failed and disabled")
    (mail,) = graphsim.sent_mail(graphsim.provider_tenant_id)[before:]
    assert mail["recipients"] == ["ops@msp.example"] and "disabled" in mail["subject"]
