"""Read-only cmdlets through the Exchange Online admin API's `InvokeCommand`, as real clients call it.

Every request carries the headers the ExchangeOnlineManagement module and CIPP send
(KelvinTegelaar/CIPP-API Modules/CIPPCore/Public/GraphHelper/New-ExoRequest.ps1): `X-AnchorMailbox`
naming the organisation's system mailbox by tenant id, which routes the call to a server that can run
it, and `Prefer: odata.maxpagesize=1000`. Further pages are fetched by posting the same body to each
`@odata.nextLink`. Without the anchor a request can land on a server that would have to proxy it and
Exchange refuses it ("Cmdlet needs proxy"); that refusal is retried, and reported if it persists.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import SourceFailure
from core.collect.failures import SourceError, classify_exchange, exchange_token_failure, is_proxy_error
from core.collect.readers import MAX_PAGES, send_json
from core.collect.sources import ExchangeSource

if TYPE_CHECKING:
    from kiota_http.httpx_request_adapter import HttpxRequestAdapter

# The organisation mailbox every Exchange organisation has; CIPP (New-ExoRequest.ps1, above) anchors
# app-only calls to it as APP:<mailbox>@<tenant id>.
SYSTEM_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}"
PAGE_SIZE = 1000
PROXY_ATTEMPTS = 3
PROXY_BACKOFF_SECONDS = 0.5  # times the attempt number: 0.5 s, then 1 s


def exchange_headers(tenant_id: str) -> dict[str, str]:
    return {
        "X-AnchorMailbox": f"APP:{SYSTEM_MAILBOX}@{tenant_id}",
        "Prefer": f"odata.maxpagesize={PAGE_SIZE}",
    }


async def _post(adapter: HttpxRequestAdapter, url: str, body: bytes, headers: dict[str, str]) -> Any:
    """One POST, repeated while Exchange answers that it would have to proxy it."""
    for attempt in range(1, PROXY_ATTEMPTS + 1):
        try:
            return await send_json(adapter, "POST", url, body, headers)
        except Exception as exc:
            if attempt == PROXY_ATTEMPTS or not is_proxy_error(exc):
                raise
            await asyncio.sleep(PROXY_BACKOFF_SECONDS * attempt)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _rows(page: Any, cmdlet: str) -> list[Any]:
    if not isinstance(page, dict) or not isinstance(page.get("value"), list):
        raise SourceError(SourceFailure("unavailable", f"{cmdlet}: the answer has no value list"))
    return list(page["value"])


async def read_exchange_source(
    adapter: HttpxRequestAdapter, base_url: str, tenant_id: str, source: ExchangeSource
) -> list[Any]:
    """Run one read-only cmdlet through InvokeCommand and return every row."""
    url = f"{base_url}/adminapi/beta/{tenant_id}/InvokeCommand"
    if source.select:
        url += "?$select=" + ",".join(source.select)
    command = {"CmdletInput": {"CmdletName": source.cmdlet, "Parameters": source.parameters}}
    body = json.dumps(command).encode()
    headers = exchange_headers(tenant_id)
    try:
        page = await _post(adapter, url, body, headers)
        rows = _rows(page, source.cmdlet)
        for _ in range(MAX_PAGES):
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return rows
            page = await _post(adapter, next_link, body, headers)
            rows.extend(_rows(page, source.cmdlet))
        raise SourceError(SourceFailure("unavailable", f"{source.cmdlet}: more than {MAX_PAGES} pages"))
    except SourceError:
        raise
    except ClientAuthenticationError as exc:
        # Only the Graph token decides whether the tenant still lets the app in (collector.py).
        service = "Security & Compliance" if source.endpoint == "compliance" else "Exchange Online"
        raise SourceError(exchange_token_failure(exc, service)) from exc
    except Exception as exc:
        raise SourceError(classify_exchange(exc, source, PROXY_ATTEMPTS)) from exc
