"""Fetch raw JSON through the Kiota request adapters.

Responses are read as bytes and parsed with `json.loads`, never into Kiota models: turning one page
of 1,000 users into models costs seconds of CPU (DESIGN.md), `json.loads` about two milliseconds.
Failures become a `SourceFailure` that says why (not licensed, which permission is missing, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import SourceFailure
from core.collect.failures import SourceError, classify
from core.collect.sources import GraphSource

if TYPE_CHECKING:
    from kiota_http.httpx_request_adapter import HttpxRequestAdapter

MAX_PAGES = 2_000  # a guard against a nextLink loop, far above any real tenant


def _unannotated(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if not k.startswith("@odata.")}


def object_body(page: Any, source: GraphSource) -> dict[str, Any]:
    """One Graph object, whether or not it comes wrapped in `value`, and only if it carries what every
    answer for this source carries: a body without it is an error, never settings."""
    if not isinstance(page, Mapping):
        raise SourceError(SourceFailure("unavailable", f"{source.name}: the answer was not a JSON object"))
    body = _unannotated(page)
    # Microsoft Learn's example for GET /admin/sharepoint/settings wraps the object in "value"
    # (learn.microsoft.com/graph/api/sharepointsettings-get), while CIPP reads the properties at the top
    # level (KelvinTegelaar/CIPP-API Invoke-CIPPStandardsharingCapability): accept both.
    if set(body) == {"value"} and isinstance(body["value"], Mapping):
        body = _unannotated(body["value"])
    missing = [name for name in source.required if name not in body]
    if missing:
        raise SourceError(
            SourceFailure("unavailable", f"{source.name}: the answer has no {', '.join(missing)}")
        )
    return body


def _error_map() -> dict[str, Any]:
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    return {"XXX": ODataError}


async def send_json(
    adapter: HttpxRequestAdapter,
    method: str,
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Any:
    from kiota_abstractions.method import Method
    from kiota_abstractions.request_information import RequestInformation

    request = RequestInformation(Method.POST if method == "POST" else Method.GET)
    request.url = url
    request.headers.try_add("Accept", "application/json")
    for name, value in (headers or {}).items():
        request.headers.try_add(name, value)
    if body is not None:
        request.headers.try_add("Content-Type", "application/json")
        request.content = body
    raw: Any = await adapter.send_primitive_async(request, "bytes", _error_map())
    return orjson.loads(raw) if raw else {}


def _rows(page: Any, what: str) -> list[Any]:
    """The `value` list of one collection page; anything else is an error, never an empty tenant."""
    if not isinstance(page, Mapping) or not isinstance(page.get("value"), list):
        raise SourceError(SourceFailure("unavailable", f"{what}: the answer has no value list"))
    return list(page["value"])


async def read_graph_source(adapter: HttpxRequestAdapter, base_url: str, source: GraphSource) -> Any:
    """A whole collection (every `@odata.nextLink` page) or one object."""
    url = source.url(base_url)
    try:
        page = await send_json(adapter, "GET", url)
        if source.kind == "object":
            return object_body(page, source)
        items = _rows(page, source.name)
        for _ in range(MAX_PAGES):
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return items
            page = await send_json(adapter, "GET", next_link)
            items.extend(_rows(page, source.name))
        raise SourceError(SourceFailure("unavailable", f"more than {MAX_PAGES} pages"))
    except (SourceError, ClientAuthenticationError):
        raise  # a failed token request is about the tenant, not this source: the collector decides
    except Exception as exc:
        raise SourceError(classify(exc, permission=source.permission, licence=source.licence)) from exc
