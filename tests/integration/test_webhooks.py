"""Webhooks: the SSRF guard, Standard Webhooks signatures verified by a local HTTPS receiver with
the library, retries with back-off, and disabling an endpoint that keeps failing."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any, cast

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
import uvicorn
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.bootstrap import Services
from core.settings import Settings
from core.webhooks.delivery import DISABLE_AFTER, deliver, publish
from core.webhooks.egress import EgressPolicy, EndpointRefused, pinned_client, vet
from core.webhooks.endpoints import check_events, check_url, create_endpoint
from devtools.processes import free_port
from devtools.stack import write_self_signed_certificate
from tests.conftest import loopback_webhook_services, webhook_services


@dataclass
class Receiver:
    url: str
    client_tls: ssl.SSLContext
    client_tls_path: str
    secrets: dict[str, str] = field(default_factory=dict)  # path -> secret to verify with
    received: list[dict[str, Any]] = field(default_factory=list)
    answer: int = 204
    location: str | None = None  # sent with a 3xx answer


@contextlib.asynccontextmanager
async def serving_receiver(tls_dir: Path, *, bind: str, port: int, url_host: str) -> AsyncIterator[Receiver]:
    """A local HTTPS receiver on bind:port, registered as https://url_host:port. Its certificate
    names localhost and 127.0.0.1 only (so a connection checked against another name fails)."""
    cert, key = write_self_signed_certificate(tls_dir)
    state = Receiver(f"https://{url_host}:{port}", ssl.create_default_context(cafile=str(cert)), str(cert))

    async def hook(request: Request) -> Response:
        body = await request.body()
        # Verified with the library, as a customer's receiver would.
        payload = Webhook(state.secrets[request.url.path]).verify(body, dict(request.headers))
        state.received.append(payload)
        headers = {"location": state.location} if state.location else None
        return Response(status_code=state.answer, headers=headers)

    app = Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=bind,
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
    try:
        yield state
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[Receiver]:
    async with serving_receiver(
        tmp_path / "tls", bind="127.0.0.1", port=free_port(), url_host="127.0.0.1"
    ) as state:
        yield state


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
        ("https://[::ffff:10.0.0.1]/x", "non-public"),
        ("https://[64:ff9b::a9fe:a9fe]/x", "non-public"),  # NAT64 of the metadata service
        ("https://[2002:7f00:1::]/x", "non-public"),  # 6to4 of 127.0.0.1
        ("https://168.63.129.16/x", "non-public"),  # Azure's wire server: public, refused by name
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https://hooks.example.com:99999/x", "port"),
        ("ftp://hooks.example.com/x", "only https"),
    ],
)
async def test_the_ssrf_guard_refuses_what_is_not_public_https(url: str, reason: str) -> None:
    with pytest.raises(EndpointRefused, match=reason):
        await check_url(url)


async def test_loopback_only_with_the_development_setting_and_events_are_checked() -> None:
    development = EgressPolicy(allow_loopback=True)
    assert await check_url("https://127.0.0.1:8443/x", development) == "https://127.0.0.1:8443/x"
    with pytest.raises(EndpointRefused, match="non-public"):
        await check_url("https://10.0.0.1/x", development)  # only loopback is relaxed
    with pytest.raises(EndpointRefused, match="non-public"):
        await check_url("https://[::ffff:127.0.0.1]:8443/x", development)  # not through an embedding
    with pytest.raises(EndpointRefused, match="unknown event"):
        check_events(["scan.completed", "tenant.exploded"])


async def _deliver_next(services: Services, receiver: Receiver, policy: EgressPolicy | None = None) -> str:
    queue = services.webhook_queue
    (message,) = await queue.receive(max_messages=1, visibility_timeout=30)
    outcome = await deliver(services, message.json(), tls=receiver.client_tls, policy=policy)
    await queue.delete(message)
    return outcome


async def test_a_published_event_arrives_signed_and_is_logged(hooks: Services, receiver: Receiver) -> None:
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    endpoint = await create_endpoint(
        hooks.store.org(org_id),
        url=f"{receiver.url}/ok",
        events=["scan.completed"],
        description="ticketing",
        policy=EgressPolicy.from_settings(hooks.settings),
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
        org,
        url=f"{receiver.url}/down",
        events=["score.changed"],
        description="",
        policy=EgressPolicy.from_settings(hooks.settings),
    )
    receiver.secrets["/down"] = endpoint.secret
    receiver.answer = 500
    await publish(hooks, org_id, "score.changed", {"from": 50, "to": 40})
    assert (await _deliver_next(hooks, receiver)).startswith("failed, retry 2 in 5 s")
    # The retry waits on the queue, invisible for its back-off.
    assert await hooks.webhook_queue.receive(max_messages=1, visibility_timeout=1) == []

    stored = await org.get(f"webhook:{endpoint.endpoint_id}")
    await org.replace({**stored.body, "consecutiveFailures": DISABLE_AFTER - 1}, stored.etag)
    await publish(hooks, org_id, "score.changed", {"from": 40, "to": 30})
    assert (await _deliver_next(hooks, receiver)).startswith("failed and disabled")
    assert (await org.get(f"webhook:{endpoint.endpoint_id}")).body["enabled"] is False
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
        policy=EgressPolicy.from_settings(hooks.settings),
    )
    receiver.secrets["/late"] = endpoint.secret
    receiver.answer = 503
    yesterday = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    message = {
        "orgId": org_id,
        "endpointId": endpoint.endpoint_id,
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
    outcome = await deliver(hooks, message, tls=receiver.client_tls)
    assert outcome.startswith("failed and disabled")


async def test_a_scan_publishes_completed_opened_and_score_events(
    scan_hooks: Services, graphsim: object, receiver: Receiver
) -> None:
    import json as _json

    from core.customers import register_customer
    from core.scan.requests import ScanRequest
    from core.scan.service import handle_scan_request
    from devtools.graphsim.launcher import GraphSimulator
    from devtools.graphsim.synthetic import synthetic_tenant

    assert isinstance(graphsim, GraphSimulator)
    services = scan_hooks
    queue = services.webhook_queue
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
        policy=EgressPolicy.from_settings(services.settings),
    )
    request = ScanRequest(org_id=org_id, tenant_id=tenant_id, request_id="evt-1", reason="manual")
    await handle_scan_request(services, _json.dumps(request.to_message()))
    messages = await queue.receive(max_messages=32, visibility_timeout=30)
    kinds = [m.json()["event"]["type"] for m in messages]
    assert kinds.count("scan.completed") == 1
    assert kinds.count("finding.opened") >= 1  # a weak tenant's first scan opens P1/P2 findings
    assert "score.changed" not in kinds  # not subscribed (and a first scan has no change)


async def test_the_local_worker_delivers_queued_webhooks(hooks: Services, receiver: Receiver) -> None:
    from functions.local_host import QueueOptions, drain_webhook_queue_once

    org_id = f"org-{uuid.uuid4().hex[:8]}"
    endpoint = await create_endpoint(
        hooks.store.org(org_id),
        url=f"{receiver.url}/worker",
        events=["tenant.connected"],
        description="",
        policy=EgressPolicy.from_settings(hooks.settings),
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
        policy=EgressPolicy.from_settings(services.settings),
    )
    receiver.secrets["/gone"] = endpoint.secret
    receiver.answer = 500
    stored = await services.store.org(org_id).get(f"webhook:{endpoint.endpoint_id}")
    await services.store.org(org_id).replace(
        {**stored.body, "consecutiveFailures": DISABLE_AFTER - 1}, stored.etag
    )
    before = len(graphsim.sent_mail(graphsim.provider_tenant_id))
    await publish(services, org_id, "score.changed", {})
    assert (await _deliver_next(services, receiver)).startswith("failed and disabled")
    (mail,) = graphsim.sent_mail(graphsim.provider_tenant_id)[before:]
    assert mail["recipients"] == ["ops@msp.example"] and "disabled" in mail["subject"]


class RebindingDns(asyncio.DatagramProtocol):
    """An attacker's authoritative DNS server for one name: each A query gets the next address in
    `answers` (the last one repeats), with TTL 0 so nothing caches it. AAAA gets no answer."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.answers: list[str] = []
        self.asked: list[str] = []  # the A answers given, in order
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # 3.11's is not a subclass

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        for question in query.question:
            if question.name.to_text(omit_final_dot=True).lower() != self.name:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.A:
                address = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
                self.asked.append(address)
                response.answer.append(dns.rrset.from_text(question.name, 0, "IN", "A", address))
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


@contextlib.asynccontextmanager
async def rebinding_dns(name: str) -> AsyncIterator[tuple[RebindingDns, int]]:
    transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: RebindingDns(name), local_addr=("127.0.0.1", 0)
    )
    try:
        yield protocol, transport.get_extra_info("sockname")[1]
    finally:
        transport.close()


@contextlib.asynccontextmanager
async def tcp_tripwire(host: str, port: int) -> AsyncIterator[list[tuple[str, int]]]:
    """A listener that records every connection made to it (before any TLS or HTTP) and drops it."""
    peers: list[tuple[str, int]] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername"))
        writer.close()

    server = await asyncio.start_server(on_connect, host, port)
    try:
        yield peers
    finally:
        server.close()
        await server.wait_closed()


async def test_dns_rebinding_cannot_turn_a_delivery_to_loopback(settings: Settings, tmp_path: Path) -> None:
    """The endpoint's host is `localhost`, resolved by the product through DNS_NAMESERVERS, here an
    attacker's server that answers 127.0.0.2 to the first query and 127.0.0.1 after. Loopback is not
    allowed; 127.0.0.2 alone stands in for a public address (`also_allow`, a test-only allowance),
    so 127.0.0.1 is what the vetting must never let a delivery reach. A receiver listens on
    127.0.0.2:port, and a tripwire on 127.0.0.1:same port records any connection at all.

    Guarded, the delivery resolves once (one A query), vets 127.0.0.2 and connects to it, with TLS
    checked against "localhost". Were the connection to resolve the host again - through the same
    DNS server, or through the system as plain httpx does (where localhost is 127.0.0.1) - it would
    land on the tripwire; were it to check the certificate against the address instead of the name,
    the 127.0.0.2 receiver's certificate (localhost, 127.0.0.1) would not verify. Either way the
    first delivery would not arrive."""
    port = free_port()
    async with (
        rebinding_dns("localhost") as (dns_server, dns_port),
        serving_receiver(tmp_path / "tls", bind="127.0.0.2", port=port, url_host="localhost") as vetted,
        tcp_tripwire("127.0.0.1", port) as tripwire,
        webhook_services(
            settings, webhooks_allow_loopback=False, dns_nameservers=f"127.0.0.1:{dns_port}"
        ) as services,
    ):
        policy = replace(
            EgressPolicy.from_settings(services.settings), also_allow=frozenset({ip_address("127.0.0.2")})
        )
        assert not policy.allow_loopback and policy.nameservers == f"127.0.0.1:{dns_port}"
        org_id = f"org-{uuid.uuid4().hex[:8]}"
        dns_server.answers = ["127.0.0.2"]  # registration sees the public-looking answer too
        endpoint = await create_endpoint(
            services.store.org(org_id),
            url=f"{vetted.url}/hook",
            events=["score.changed"],
            description="rebinding",
            policy=policy,
        )
        vetted.secrets["/hook"] = endpoint.secret

        dns_server.answers, dns_server.asked = ["127.0.0.2", "127.0.0.1"], []
        await publish(services, org_id, "score.changed", {"from": 50, "to": 40})
        outcome = await _deliver_next(services, vetted, policy)
        assert tripwire == [], "a delivery reached the loopback listener"
        assert dns_server.asked == ["127.0.0.2"]  # resolved once
        assert outcome == "delivered"
        assert [p["data"] for p in vetted.received] == [{"from": 50, "to": 40}]

        # The next delivery's one lookup gets 127.0.0.1: refused before any connection, and logged.
        await publish(services, org_id, "score.changed", {"from": 40, "to": 30})
        outcome = await _deliver_next(services, vetted, policy)
        assert outcome.startswith("failed, retry 2") and "127.0.0.1: loopback" in outcome
        assert dns_server.asked == ["127.0.0.2", "127.0.0.1"]
        assert len(vetted.received) == 1 and tripwire == []
        log = await services.store.org(org_id).query_all("c.type = @t", {"@t": "webhook_delivery"})
        assert sorted((e["ok"], e["statusCode"], "non-public" in (e["error"] or "")) for e in log) == [
            (False, None, True),
            (True, 204, False),
        ]


async def test_a_redirect_is_not_followed(hooks: Services, receiver: Receiver) -> None:
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    endpoint = await create_endpoint(
        hooks.store.org(org_id),
        url=f"{receiver.url}/moved",
        events=["scan.completed"],
        description="",
        policy=EgressPolicy.from_settings(hooks.settings),
    )
    receiver.secrets["/moved"] = endpoint.secret
    port = free_port()
    receiver.answer, receiver.location = 307, f"https://localhost:{port}/elsewhere"
    async with tcp_tripwire("127.0.0.1", port) as tripwire:
        await publish(hooks, org_id, "scan.completed", {})
        assert (await _deliver_next(hooks, receiver)).startswith("failed, retry 2 in 5 s: HTTP 307")
    assert tripwire == [] and len(receiver.received) == 1


async def test_the_pinned_client_sends_nowhere_but_the_vetted_host() -> None:
    target = await vet("https://127.0.0.1:9/x", EgressPolicy(allow_loopback=True))
    assert (target.host, target.port, target.addresses) == ("127.0.0.1", 9, ("127.0.0.1",))
    async with pinned_client(target) as client:
        for url in ("https://localhost:9/x", "https://127.0.0.1:10/x", "http://127.0.0.1:9/x"):
            with pytest.raises(EndpointRefused, match="not vetted"):
                await client.post(url, content=b"{}")
