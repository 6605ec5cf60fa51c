"""Request bodies: a body is refused as soon as it passes its route's limit (while it streams, not
after it was read whole), and nothing of an unauthenticated request's body is read before its 401.

In process, httpx's ASGI transport hands the app one chunk of a streamed body per `receive`, so a
generator that counts what was pulled shows how much the API read. Over real HTTP (uvicorn in a
thread, as the fuzz test serves it) a counting wrapper around the app shows the same, and a raw
socket sends a 40 MB chunked upload without Content-Length.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import select
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from core.bootstrap import Services
from core.reports.logo import MAX_LOGO_BYTES
from core.settings import Settings
from functions.api.bodies import MAX_JSON_BODY_BYTES
from tests.conftest import api_over_http
from tests.world import World

CHUNK = 64 * 1024
HUGE = 40_000_000
# Over HTTP the server hands the app what arrived since its last read: up to its 64 KiB high-water
# mark plus one socket read (256 KiB), so one message can carry a few hundred kB.
SERVER_SLACK = 512 * 1024


class Pulled:
    """A streamed request body that records how many bytes the server pulled from it."""

    def __init__(self, total: int, byte: bytes = b"\x00") -> None:
        self.total = total
        self.byte = byte
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            piece = self.byte * min(CHUNK, self.total - self.pulled)
            self.pulled += len(piece)
            yield piece


def _unsigned(header: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode() + ".e30.c2ln"


def _bearer(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[who]}"}


@pytest.mark.parametrize("path", ["/api/branding/logo", "/api/tenants/{tenant_x}/branding/logo"])
async def test_a_chunked_oversized_logo_is_refused_once_past_the_limit(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World, path: str
) -> None:
    body = Pulled(HUGE)
    headers = {**_bearer(tokens, "msp_admin_a"), "content-type": "image/png"}
    response = await client.put(path.format(tenant_x=world.tenant_x), headers=headers, content=body)
    assert response.status_code == 413, response.text
    assert response.headers["connection"] == "close"
    assert response.json()["detail"] == f"logo: at most {MAX_LOGO_BYTES:,} bytes"
    assert body.pulled <= MAX_LOGO_BYTES + CHUNK, f"read {body.pulled:,} bytes of a refused upload"


async def test_a_declared_oversized_logo_is_refused_before_any_byte_is_read(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    body = Pulled(MAX_LOGO_BYTES + 1)
    headers = {**_bearer(tokens, "msp_admin_a"), "content-length": str(MAX_LOGO_BYTES + 1)}
    response = await client.put("/api/branding/logo", headers=headers, content=body)
    assert response.status_code == 413, response.text
    assert response.json()["detail"] == f"logo: at most {MAX_LOGO_BYTES:,} bytes"
    assert body.pulled == 0


async def test_a_logo_within_the_limit_still_arrives_in_chunks(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    # Not an image, but under the limit: it reaches the logo check, which names the field.
    body = Pulled(MAX_LOGO_BYTES - 10, b"A")
    response = await client.put("/api/branding/logo", headers=_bearer(tokens, "msp_admin_a"), content=body)
    assert response.status_code == 400, response.text
    assert "logo" in response.json()["detail"] and body.pulled == MAX_LOGO_BYTES - 10


async def test_an_oversized_json_body_is_refused_while_it_streams(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    body = Pulled(HUGE, b" ")  # whitespace: valid JSON padding, so only the size can refuse it
    headers = {**_bearer(tokens, "msp_admin_a"), "content-type": "application/json"}
    response = await client.post("/api/customers", headers=headers, content=body)
    assert response.status_code == 413, response.text
    assert response.json()["detail"] == f"body: at most {MAX_JSON_BODY_BYTES:,} bytes"
    assert body.pulled <= MAX_JSON_BODY_BYTES + CHUNK


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"authorization": "Bearer"},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "Bearer not-a-token"},
        {"authorization": "Bearer spk.nothing"},
        {"x-scanposture-authorization": "Bearer " + _unsigned({"alg": "RS256"})},
        # Its reason quotes the alg; a header cannot carry the euro sign (it was a 500).
        {"authorization": "Bearer " + _unsigned({"alg": 'RS€256"', "kid": "k"})},
    ],
    ids=["none", "empty bearer", "basic", "garbage", "garbage key", "unsigned jwt", "alg not latin-1"],
)
async def test_unauthenticated_bodies_are_401_before_any_byte_is_read(
    client: httpx.AsyncClient, credentials: dict[str, str]
) -> None:
    headers = {**credentials, "content-type": "application/json"}
    malformed = await client.post("/api/customers", headers=headers, content=b'{"displayName": ')
    assert malformed.status_code == 401, malformed.text
    assert "WWW-Authenticate" in malformed.headers
    for method, path in (
        ("POST", "/api/customers"),
        ("PUT", "/api/branding/logo"),
        ("PUT", "/api/billing/plan"),
        ("POST", "/api/mcp/"),
    ):
        body = Pulled(HUGE, b"[")
        response = await client.request(method, path, headers=headers, content=body)
        assert response.status_code == 401, (method, path, response.text)
        assert body.pulled == 0, f"{method} {path} read {body.pulled:,} bytes before its 401"
    # A misspelt query parameter is a 400 only for someone signed in.
    assert (await client.get("/api/fleet?sortt=score", headers=credentials)).status_code == 401


async def test_public_routes_stay_public(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/health")).status_code in (200, 503)
    assert (await client.get("/api/config")).status_code == 200
    assert (await client.get("/api/openapi.json")).status_code == 200
    assert (await client.get("/api/docs")).status_code == 200
    callback = await client.get("/api/consent/callback", params={"state": "nope"})
    assert callback.status_code not in (401, 403), callback.text


# -- over real HTTP ------------------------------------------------------------------------------


class CountingApp:
    """Wraps the API and counts the request-body bytes it took from the server."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.consumed: dict[str, int] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")

        async def counting_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                self.consumed[path] = self.consumed.get(path, 0) + len(message.get("body", b""))
            return dict(message)

        await self.app(scope, counting_receive, send)


@pytest.fixture(scope="module")
def served(api_settings: Settings, api_services: Services) -> Iterator[tuple[int, CountingApp]]:
    counting: list[CountingApp] = []

    def wrap(app: Any) -> CountingApp:
        counting.append(CountingApp(app))
        return counting[0]

    with api_over_http(api_settings, wrap) as port:
        yield port, counting[0]


def _chunked_upload(port: int, path: str, headers: dict[str, str], total: int) -> tuple[bytes, int]:
    """PUT `total` bytes with Transfer-Encoding: chunked, stopping as soon as the server answers.
    Returns the server's answer (status line, headers and body) and the body bytes sent by then."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = [f"PUT {path} HTTP/1.1", "host: 127.0.0.1", "transfer-encoding: chunked"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    sent = 0
    try:
        while sent < total and not select.select([sock], [], [], 0)[0]:
            sock.sendall(b"%x\r\n" % CHUNK + b"\x00" * CHUNK + b"\r\n")
            sent += CHUNK
    except OSError:
        pass  # the server closed the connection on a refused upload
    answer = _read_answer(sock)
    sock.close()
    return answer, sent


def _read_answer(sock: socket.socket) -> bytes:
    answer = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in answer:
            piece = sock.recv(65536)
            if not piece:
                return answer
            answer += piece
        head, _, body = answer.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        while length and len(body) < int(length.group(1)):
            piece = sock.recv(65536)
            if not piece:
                break
            body += piece
        answer = head + b"\r\n\r\n" + body
    return answer


def test_over_http_a_chunked_40_mb_logo_is_refused_and_not_read(
    served: tuple[int, CountingApp], tokens: dict[str, str]
) -> None:
    port, counting = served
    headers = {**_bearer(tokens, "msp_admin_a"), "content-type": "image/png"}
    answer, sent = _chunked_upload(port, "/api/branding/logo", headers, HUGE)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    detail = json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]
    assert detail == f"logo: at most {MAX_LOGO_BYTES:,} bytes"
    assert counting.consumed["/api/branding/logo"] <= MAX_LOGO_BYTES + SERVER_SLACK
    assert sent < HUGE // 4, f"the client could send {sent:,} bytes before the refusal"


def test_over_http_an_unauthenticated_upload_is_401_before_its_body(served: tuple[int, CountingApp]) -> None:
    port, counting = served
    answer, _ = _chunked_upload(port, "/api/tenants/x/branding/logo", {"content-type": "image/png"}, HUGE)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:300]
    assert counting.consumed.get("/api/tenants/x/branding/logo", 0) == 0
