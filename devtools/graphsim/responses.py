"""Response bodies in the exact shapes of Graph, Entra ID's token endpoint and the Exchange admin API."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from starlette.responses import Response

GRAPH_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)
PLAIN_JSON = "application/json; charset=utf-8"
# Every AADSTS error's error_uri points at Entra's public error lookup page.
ENTRA_ERROR_URI = "https://login.microsoftonline.com/error?code={code}"


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def new_id() -> str:
    return str(uuid.uuid4())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Ids:
    """The request-id a Graph response carries, and the client-request-id echoed back."""

    def __init__(self, client_request_id: str | None) -> None:
        self.request_id = new_id()
        self.client_request_id = client_request_id or self.request_id

    def headers(self) -> dict[str, str]:
        return {"request-id": self.request_id, "client-request-id": self.client_request_id}


def graph_json(body: bytes, ids: Ids, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=GRAPH_JSON, headers=ids.headers())


def graph_error(
    status: int, code: str, message: str, ids: Ids, *, retry_after: int | None = None, details: Any = None
) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    error["innerError"] = {
        "date": _now().strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": ids.request_id,
        "client-request-id": ids.client_request_id,
    }
    headers = ids.headers()
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = (
            'Bearer realm="", authorization_uri="", client_id="00000003-0000-0000-c000-000000000000"'
        )
    return Response(dumps({"error": error}), status_code=status, media_type=PLAIN_JSON, headers=headers)


def entra_error(
    status: int, error: str, code: int, message: str, *, retry_after: int | None = None
) -> Response:
    """Entra ID's OAuth error body: AADSTS code and message, trace and correlation ids, timestamp."""
    trace_id, correlation_id = new_id(), new_id()
    timestamp = _now().strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {message}\r\nTrace ID: {trace_id}\r\n"
        f"Correlation ID: {correlation_id}\r\nTimestamp: {timestamp}",
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": ENTRA_ERROR_URI.format(code=code),
    }
    headers = {"x-ms-request-id": trace_id, "Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(dumps(body), status_code=status, media_type=PLAIN_JSON, headers=headers)


class EntraError(Exception):
    """An Entra token-endpoint refusal: HTTP status, OAuth error name, AADSTS code and message."""

    def __init__(self, status: int, error: str, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.code, self.message = status, error, code, message

    def response(self) -> Response:
        return entra_error(self.status, self.error, self.code, self.message)


ODATA_SERVICE_EXCEPTION = "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"


def exchange_error(
    status: int,
    code: str,
    message: str,
    *,
    retry_after: int | None = None,
    error_type: str = ODATA_SERVICE_EXCEPTION,
) -> Response:
    """The Exchange admin API's OData error, as `InvokeCommand` returns it."""
    inner = {"message": message, "type": error_type}
    body = {"error": {"code": code, "message": message, "innererror": inner}}
    headers = {"request-id": new_id()}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(dumps(body), status_code=status, media_type=PLAIN_JSON, headers=headers)
