"""Page tokens handed to API clients: the store's continuation token, bound to the query it
continues (tenant and filters), so a token from another tenant or another filter is refused."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from core import errors


class BadPageToken(errors.Refused, ValueError):
    pass


def query_scope(*parts: object) -> str:
    """A short fingerprint of what a page belongs to."""
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:16]


def encode_page_token(scope: str, continuation: str | None) -> str | None:
    if continuation is None:
        return None
    raw = json.dumps({"s": scope, "c": continuation}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str | None, scope: str) -> str | None:
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        continuation, token_scope = payload["c"], payload["s"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise BadPageToken("pageToken is not a token this API issued") from exc
    if token_scope != scope or not isinstance(continuation, str):
        raise BadPageToken("pageToken belongs to another tenant or another set of filters")
    return continuation
