"""Request bodies: nothing of an unauthenticated request's body is read before its 401.

In process, httpx's ASGI transport hands the app one chunk of a streamed body per `receive`, so a
generator that counts what was pulled shows how much the API read.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest

CHUNK = 64 * 1024
HUGE = 40_000_000


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
