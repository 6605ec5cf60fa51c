"""The scanner's wire: an httpx transport that sends each request through an aiohttp session.

msgraph-sdk and Kiota stay on top exactly as before (request building, the retry and redirect
middleware, error parsing); only the socket, TLS and HTTP/1.1 work below httpx moves to aiohttp,
whose parser is compiled. Measured against the Graph simulator (CPU per small GET, 8 in flight):
httpx's own transport 1.22 ms, this one 0.38 ms; through Kiota's adapter 1.51 ms against 0.82 ms.
A scan sends 80 to 110 requests, so this is most of its CPU (bench/scan.py, issue 24).

aiohttp is already a dependency (azure-identity's token requests use it). The transport keeps
httpx's semantics where they could differ: the body is handed over still compressed, so httpx
decodes it once as it would its own; the URL is sent as httpx encoded it; redirects are left to
the middleware; aiohttp's errors become the httpx exceptions the collector classifies.
"""

from __future__ import annotations

import asyncio
import ssl
import weakref
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import aiohttp
import httpx
from yarl import URL

from core.wire import ENVIRONMENT_PROXIES, ProxyAwareTransport


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Requests go out through the running loop's shared session for this TLS context
    (`shared_session`); the transport itself holds nothing to close."""

    def __init__(self, verify: ssl.SSLContext) -> None:
        self._verify = verify

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = await shared_session(self._verify)
        body = await request.aread()
        try:
            async with session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=list(request.headers.multi_items()),
                data=body or None,
                allow_redirects=False,
                timeout=_timeout(request),
                proxy=ENVIRONMENT_PROXIES.for_url(request.url.scheme, request.url.host),
            ) as answer:
                content = await answer.read()
                return httpx.Response(
                    answer.status, headers=answer.raw_headers, content=content, request=request
                )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _as_httpx(exc, request) from exc


@dataclass
class _Held:
    session: aiohttp.ClientSession
    closer: AsyncGenerator[None, None]  # held, so that it is finalized with the loop and not before


# One session per event loop and TLS context: a worker's scans, one after another or side by side,
# reuse warm connections to Graph and Exchange instead of a TLS handshake per connection per scan
# (a round trip or two each in Azure, and about a tenth of a scan's CPU here). aiohttp's pool hands
# out idle connections in constant time, so sharing it does not slow concurrent scans the way
# httpcore's pool did. No limit of its own: the collector bounds each scan's requests in flight per
# service, and the queue bounds the scans. A session belongs to one loop, hence the key.
_SESSIONS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[ssl.SSLContext, _Held]] = (
    weakref.WeakKeyDictionary()
)


async def shared_session(verify: ssl.SSLContext) -> aiohttp.ClientSession:
    """The running loop's session for `verify`, opened on first use and closed when the loop shuts
    down (asyncio.run and the test runner finalize a loop's async generators before closing it)."""
    held = _SESSIONS.setdefault(asyncio.get_running_loop(), {})
    entry = held.get(verify)
    if entry is None or entry.session.closed:
        session = _open(verify)
        closer = _close_with_loop(session)
        await closer.asend(None)
        entry = held[verify] = _Held(session, closer)
    return entry.session


def _open(verify: ssl.SSLContext) -> aiohttp.ClientSession:
    # No trust_env: ENVIRONMENT_PROXIES (core.wire) applies the proxy variables, and no netrc
    # credentials are wanted on bearer-token APIs. No cookie jar: these are APIs.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=verify, limit=0),
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None),
    )


async def _close_with_loop(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await session.close()


class SharedSessionTokenTransport(ProxyAwareTransport):
    """azure-identity's token requests on the same shared session: its own transport opens a
    session per credential, so every scan paid new TLS connections to Entra (four at once, for the
    tokens it asks for together). Opening borrows the loop's session; closing gives it back
    untouched. TLS verification is the session's, so the credential is given no connection_verify."""

    def __init__(self, verify: ssl.SSLContext) -> None:
        super().__init__()
        self._verify = verify

    async def open(self) -> None:
        self.session = await shared_session(self._verify)
        self._session_owner = False  # azure-core must never close the loop's session

    async def close(self) -> None:
        """The session is the loop's to close (shared_session)."""


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """httpx's per-request timeouts (the client's 60 s unless a request sets its own), read the
    way httpx applies them: to connecting, and to each wait for data."""
    timeouts = request.extensions.get("timeout", {})
    return aiohttp.ClientTimeout(
        total=None,
        sock_connect=timeouts.get("connect"),
        sock_read=timeouts.get("read"),
    )


def _as_httpx(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, TimeoutError):  # aiohttp's read timeouts are TimeoutErrors too
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, unresolvable, TLS refused
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(message, request=request)
    return httpx.ReadError(message, request=request)
