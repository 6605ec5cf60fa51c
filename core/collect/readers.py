"""Fetch raw JSON through the Kiota request adapters.

Responses are read as bytes and parsed with `json.loads`, never into Kiota models: turning one page
of 1,000 users into models costs seconds of CPU (DESIGN.md), `json.loads` about two milliseconds.
Failures become a `SourceFailure` that says why (not licensed, which permission is missing, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import SourceFailure
from core.collect.sources import ExchangeSource, GraphSource

if TYPE_CHECKING:
    from kiota_http.httpx_request_adapter import HttpxRequestAdapter

# Graph's 403 codes for a feature the tenant's licences do not include.
NOT_LICENSED_CODES = frozenset(
    {"Authentication_RequestFromNonPremiumTenantOrB2CTenant", "NonPremiumTenant", "AadPremiumLicenseRequired"}
)
MAX_PAGES = 2_000  # a guard against a nextLink loop, far above any real tenant


class SourceError(Exception):
    def __init__(self, failure: SourceFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


@dataclass(frozen=True)
class HttpFailure:
    status: int
    code: str
    message: str


def _http_failure(exc: Exception) -> HttpFailure | None:
    from kiota_abstractions.api_error import APIError

    if not isinstance(exc, APIError):
        return None
    status = int(exc.response_status_code or 0)
    code, message = "", str(exc.message or "")
    error = getattr(exc, "error", None)  # ODataError: the Graph error body, parsed
    if error is not None:
        code = str(getattr(error, "code", "") or "")
        message = str(getattr(error, "message", "") or message)
    return HttpFailure(status, code, message)


def classify(exc: Exception, *, permission: str, licence: str | None) -> SourceFailure:
    """Say in words why a source could not be read."""
    failure = _http_failure(exc)
    if failure is None:
        return SourceFailure("unavailable", f"{type(exc).__name__}: {str(exc)[:200]}")
    described = f"HTTP {failure.status} {failure.code}: {failure.message}".strip()
    # Graph says "not licensed" with 403 on some endpoints and 400 on others (PIM).
    if failure.code in NOT_LICENSED_CODES or (
        failure.status == 403 and licence and failure.code != "Authorization_RequestDenied"
    ):
        return SourceFailure("not_licensed", f"needs {licence or 'a premium licence'} ({described})")
    if failure.status in (401, 403):
        return SourceFailure(
            "forbidden", f"permission {permission} missing or not granted ({described})", failure.code or None
        )
    if failure.status == 404:
        return SourceFailure("not_found", described)
    return SourceFailure("unavailable", described)


def _error_map() -> dict[str, Any]:
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    return {"XXX": ODataError}


async def send_json(adapter: HttpxRequestAdapter, method: str, url: str, body: bytes | None = None) -> Any:
    from kiota_abstractions.method import Method
    from kiota_abstractions.request_information import RequestInformation

    request = RequestInformation(Method.POST if method == "POST" else Method.GET)
    request.url = url
    request.headers.try_add("Accept", "application/json")
    if body is not None:
        request.headers.try_add("Content-Type", "application/json")
        request.content = body
    raw: Any = await adapter.send_primitive_async(request, "bytes", _error_map())
    return orjson.loads(raw) if raw else {}


async def read_graph_source(adapter: HttpxRequestAdapter, base_url: str, source: GraphSource) -> Any:
    """A whole collection (every `@odata.nextLink` page) or one object."""
    url = source.url(base_url)
    try:
        page = await send_json(adapter, "GET", url)
        if source.kind == "object":
            return {k: v for k, v in page.items() if not k.startswith("@odata.")}
        items: list[Any] = list(page.get("value", []))
        for _ in range(MAX_PAGES):
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return items
            page = await send_json(adapter, "GET", next_link)
            items.extend(page.get("value", []))
        raise SourceError(SourceFailure("unavailable", f"more than {MAX_PAGES} pages"))
    except (SourceError, ClientAuthenticationError):
        raise  # a failed token request is about the tenant, not this source: the collector decides
    except Exception as exc:
        raise SourceError(classify(exc, permission=source.permission, licence=source.licence)) from exc


async def read_exchange_source(
    adapter: HttpxRequestAdapter, base_url: str, tenant_id: str, source: ExchangeSource
) -> list[Any]:
    """Run one read-only cmdlet through InvokeCommand and return every row."""
    url = f"{base_url}/adminapi/beta/{tenant_id}/InvokeCommand"
    body = json.dumps(
        {"CmdletInput": {"CmdletName": source.cmdlet, "Parameters": source.parameters}}
    ).encode()
    try:
        page = await send_json(adapter, "POST", url, body)
        rows: list[Any] = list(page.get("value", []))
        for _ in range(MAX_PAGES):
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return rows
            page = await send_json(adapter, "POST", next_link, body)
            rows.extend(page.get("value", []))
        raise SourceError(SourceFailure("unavailable", f"more than {MAX_PAGES} pages"))
    except (SourceError, ClientAuthenticationError):
        raise  # a failed token request is about the tenant, not this source: the collector decides
    except Exception as exc:
        failure = classify(exc, permission=source.permission, licence=None)
        if failure.kind == "forbidden":
            failure = SourceFailure(
                "forbidden",
                f"{source.cmdlet}: the app needs Exchange.ManageAsApp and the Global Reader role "
                f"in the tenant ({failure.reason})",
            )
        raise SourceError(failure) from exc
