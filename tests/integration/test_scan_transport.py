"""The scanner's aiohttp wire under httpx (core.collect.transport), against a real local HTTP server:
what httpx's own transport would have done must still happen, byte for byte where it matters."""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from aiohttp import web

from core.collect.connection import graph_http_client
from core.collect.readers import send_json
from core.collect.transport import AiohttpTransport, SharedSessionTokenTransport, shared_session
from core.settings import Settings
from core.wire import ENVIRONMENT_PROXIES

SEEN: dict[str, object] = {}


async def _echo(request: web.Request) -> web.Response:
    SEEN["raw_path"] = request.raw_path
    SEEN["body"] = await request.read()
    SEEN["authorization"] = request.headers.get("Authorization")
    SEEN["peer"] = request.transport.get_extra_info("peername") if request.transport else None
    return web.json_response({"method": request.method})


async def _forwarded(request: web.Request) -> web.Response:
    """As a forward proxy sees a plain-HTTP request: the whole URL in the request line."""
    SEEN["proxied"] = str(request.url) if request.host.startswith("proxied.invalid") else None
    return web.json_response({"via": "proxy"})


async def _gzipped(_: web.Request) -> web.Response:
    body = gzip.compress(b'{"value": [1, 2, 3]}')
    return web.Response(body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})


async def _two_links(_: web.Request) -> web.Response:
    response = web.Response(text="{}")
    response.headers.add("Link", "<a>; rel=next")
    response.headers.add("Link", "<b>; rel=last")
    return response


async def _moved(_: web.Request) -> web.Response:
    raise web.HTTPFound("/echo")


async def _slow(_: web.Request) -> web.Response:
    await asyncio.sleep(2)
    return web.Response(text="late")


THROTTLED: list[dict[str, str]] = []


async def _throttled_once(request: web.Request) -> web.Response:
    THROTTLED.append(dict(request.headers))
    if len(THROTTLED) == 1:
        error = {"error": {"code": "TooManyRequests"}}
        return web.json_response(error, status=429, headers={"Retry-After": "0"})
    return web.json_response({"value": []})


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/echo", _echo)
    app.router.add_get("/through-proxy", _forwarded)
    app.router.add_get("/gzip", _gzipped)
    app.router.add_get("/links", _two_links)
    app.router.add_get("/moved", _moved)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/throttled", _throttled_once)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


VERIFY = ssl.create_default_context()


def _client(timeout: float = 10.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=AiohttpTransport(VERIFY), timeout=httpx.Timeout(timeout))


async def test_the_query_goes_out_exactly_as_httpx_encoded_it(server: str) -> None:
    client = _client()
    try:
        url = f"{server}/echo?$filter=groupId%20eq%20'a%2Fb'&$select=id,displayName"
        response = await client.get(url, headers={"Authorization": "Bearer t"})
    finally:
        await client.aclose()
    assert response.status_code == 200
    assert SEEN["raw_path"] == str(httpx.URL(url).raw_path, "ascii")
    assert SEEN["authorization"] == "Bearer t"


async def test_a_post_body_arrives_whole(server: str) -> None:
    client = _client()
    body = b'{"CmdletInput": {"CmdletName": "Get-Mailbox"}}' * 200
    try:
        response = await client.post(f"{server}/echo", content=body)
    finally:
        await client.aclose()
    assert response.json() == {"method": "POST"}
    assert SEEN["body"] == body


async def test_a_compressed_body_is_decoded_once(server: str) -> None:
    client = _client()
    try:
        response = await client.get(f"{server}/gzip")
    finally:
        await client.aclose()
    assert response.json() == {"value": [1, 2, 3]}


async def test_repeated_headers_are_all_kept(server: str) -> None:
    client = _client()
    try:
        response = await client.get(f"{server}/links")
    finally:
        await client.aclose()
    assert response.headers.get_list("link") == ["<a>; rel=next", "<b>; rel=last"]


async def test_redirects_are_left_to_the_middleware(server: str) -> None:
    client = _client()
    try:
        response = await client.get(f"{server}/moved")
    finally:
        await client.aclose()
    assert response.status_code == 302
    assert response.headers["location"].endswith("/echo")


async def test_a_read_timeout_is_httpx_s_read_timeout(server: str) -> None:
    """The collector reads timeouts as 'timed out waiting for the service' (core.collect.failures)."""
    client = _client(timeout=0.3)
    try:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{server}/slow")
    finally:
        await client.aclose()


async def test_a_refused_connection_is_httpx_s_connect_error() -> None:
    with socket.socket() as held:  # a port nobody listens on
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
    client = _client()
    try:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")
    finally:
        await client.aclose()


async def test_scans_one_after_another_reuse_the_connection(server: str) -> None:
    """Each scan has its own httpx client; the loop's session keeps the connection warm between
    them, so the second scan pays no new connection (no TLS handshake, against Graph)."""
    peers = []
    for _ in range(2):
        client = _client()
        try:
            await client.get(f"{server}/echo")
        finally:
            await client.aclose()
        peers.append(SEEN["peer"])
    assert peers[0] == peers[1]


async def test_a_loops_session_is_closed_when_the_loop_shuts_down(server: str) -> None:
    """asyncio.run (as the CLI and benchmarks use) finalizes the session with its loop: nothing is
    left open, and another loop gets a session of its own."""

    async def one_scan() -> object:
        client = _client()
        await client.get(f"{server}/echo")
        await client.aclose()
        return await shared_session(VERIFY)

    other_loops_session = await asyncio.to_thread(asyncio.run, one_scan())
    assert other_loops_session.closed  # type: ignore[attr-defined]
    assert await shared_session(VERIFY) is not other_loops_session


async def test_the_scan_client_still_retries_a_throttled_read(server: str) -> None:
    """The retry middleware survives the shorter chain in graph_http_client (Graph's telemetry
    headers go only to Microsoft's own hosts, so this local server sees none)."""
    from kiota_abstractions.authentication import AnonymousAuthenticationProvider
    from msgraph.graph_request_adapter import GraphRequestAdapter

    THROTTLED.clear()
    client = graph_http_client(Settings())
    try:
        adapter = GraphRequestAdapter(AnonymousAuthenticationProvider(), client=client)
        answer = await send_json(adapter, "GET", f"{server}/throttled")
    finally:
        await client.aclose()
    assert answer == {"value": []} and len(THROTTLED) == 2


async def test_token_requests_borrow_the_loops_session_and_leave_it_open(server: str) -> None:
    """A credential's transport (azure-core) on the shared session: closing the credential, as
    every scan does, must not close the session the next scan's requests use."""
    from azure.core.rest import HttpRequest

    transport = SharedSessionTokenTransport(VERIFY)
    async with transport:
        answer = await transport.send(HttpRequest("GET", f"{server}/echo"))
        assert answer.status_code == 200
        assert transport.session is await shared_session(VERIFY)
    assert not (await shared_session(VERIFY)).closed


class _DropsFirst:
    """A bare HTTP server that closes its first connection without answering (as a server does to a
    kept-alive connection it timed out) and answers every later one."""

    def __init__(self) -> None:
        self.connections = 0

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await reader.readuntil(b"\r\n\r\n")
        if self.connections > 1:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            await writer.drain()
        writer.close()


@pytest.mark.parametrize(("method", "answered"), [("GET", True), ("POST", False)])
async def test_a_dropped_connection_is_retried_once_for_a_read_only(method: str, answered: bool) -> None:
    """aiohttp sends an idempotent request once more when the server closed the connection without
    an answer (a kept-alive connection it timed out: likelier now that scans share warm ones), and
    never a POST (the mailer's sendMail must not go twice). The transport relies on both."""
    drops = _DropsFirst()
    server = await asyncio.start_server(drops, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = _client()
    try:
        if answered:
            response = await client.request(method, f"http://127.0.0.1:{port}/")
            assert response.status_code == 200 and drops.connections == 2
        else:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.request(method, f"http://127.0.0.1:{port}/", content=b"{}")
            assert drops.connections == 1  # a POST (the mailer's sendMail) is never sent twice
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


@pytest.fixture
def proxied_by(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """Sets the proxy variables for the next requests; the proxies are read once, so forget them."""

    def set_proxy(proxy: str, no_proxy: str) -> None:
        for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", no_proxy)
        ENVIRONMENT_PROXIES.forget()

    yield set_proxy
    ENVIRONMENT_PROXIES.forget()


@pytest.mark.parametrize("sender", ["scan", "token"])
async def test_the_proxy_variables_are_honoured(
    server: str, proxied_by: Callable[[str, str], None], sender: str
) -> None:
    """A tenant's network may only reach Microsoft through a proxy: HTTP_PROXY routes both the
    scan's requests and the token requests through it, and NO_PROXY exempts a host. The local
    server plays the proxy: a host that does not resolve answers only through it."""
    from azure.core.rest import HttpRequest

    async def get(url: str) -> int:
        if sender == "scan":
            client = _client()
            try:
                return (await client.get(url)).status_code
            finally:
                await client.aclose()
        async with SharedSessionTokenTransport(VERIFY) as transport:
            return (await transport.send(HttpRequest("GET", url))).status_code

    proxied_by(server, "localhost")
    assert await get("http://proxied.invalid/through-proxy") == 200
    assert SEEN["proxied"] == "http://proxied.invalid/through-proxy"
    proxied_by(server, "proxied.invalid")
    from azure.core.exceptions import ServiceRequestError

    with pytest.raises((httpx.ConnectError, ServiceRequestError), match=r"proxied\.invalid"):
        await get("http://proxied.invalid/through-proxy")
