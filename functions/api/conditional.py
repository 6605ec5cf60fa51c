"""Answers of the cached read views (core/answers.py) over HTTP: the body with its ETag, or a 304
with no body when the caller already holds this very answer (If-None-Match)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response

from core.answers import Answer, matches

# Each answer depends on who asks (the ETag is scope-specific), so no shared cache may keep it;
# the browser may, and must revalidate before reusing it.
CACHE_CONTROL = "private, no-cache"


def conditional(request: Request, answer: Answer) -> Response:
    headers = {"etag": answer.etag, "cache-control": CACHE_CONTROL}
    if matches(request.headers.get("if-none-match"), answer.etag):
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type="application/json", headers=headers)


def encode(body: Any) -> bytes:
    """JSON as the routes' generic encoder writes it (compact, UTF-8, timestamps by isoformat),
    by orjson; anything orjson does not know (a model, a set) goes through FastAPI's encoder."""
    return orjson.dumps(body, default=jsonable_encoder)
