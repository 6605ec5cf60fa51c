"""Where a tenant's Security & Compliance PowerShell endpoint lives.

`https://ps.compliance.protection.outlook.com` answers for every tenant by redirecting it to a regional
host ("Redirection is expected for different regions, datacenters, or versions of SCC PowerShell for an
organization": the documentation's author in MicrosoftDocs/office-docs-powershell#2081, where the
redirect went to eur03b.ps.compliance.protection.outlook.com). A redirected POST cannot be followed as
is (Kiota's redirect handler, like browsers, turns a 302 into a GET and drops the token for another
host), so the host is found first, as CIPP does (KelvinTegelaar/CIPP-API New-ExoRequest.ps1,
-Compliance): GET <resource>/adminapi/beta/<tenant>/EXOBanner('AutogenSession') without following
redirects, and read the Location. The InvokeCommand calls then go to the regional host, with the same
token, headers and paging as Exchange Online's (core/collect/exchange.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import SourceFailure
from core.collect.exchange import exchange_headers
from core.collect.failures import SourceError

if TYPE_CHECKING:
    from kiota_http.httpx_request_adapter import HttpxRequestAdapter

MODULE_VERSION = "3.7.1"  # the ExchangeOnlineManagement version CIPP announces
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def banner_url(base_url: str, tenant_id: str) -> str:
    return f"{base_url}/adminapi/beta/{tenant_id}/EXOBanner('AutogenSession')?Version={MODULE_VERSION}"


def regional_base(location: str, base_url: str) -> str:
    """The base URL a redirect names: its origin and any path before /adminapi/. Only a host of the
    configured endpoint (itself or a subdomain of it) is accepted: the token must not go elsewhere."""
    target, configured = urlsplit(location), urlsplit(base_url)
    host, home = (target.hostname or "").lower(), (configured.hostname or "").lower()
    if target.scheme != "https" or not (host == home or host.endswith("." + home)):
        reason = f"Security & Compliance redirected to {location!r}, outside {home}"
        raise SourceError(SourceFailure("unavailable", reason))
    prefix = target.path.split("/adminapi/", 1)[0].rstrip("/")
    return f"https://{target.netloc}{prefix}"


async def discover_base(adapter: HttpxRequestAdapter, base_url: str, tenant_id: str) -> str:
    """The tenant's regional Security & Compliance base URL, or `base_url` when it does not redirect."""
    from kiota_abstractions.method import Method
    from kiota_abstractions.native_response_handler import NativeResponseHandler
    from kiota_abstractions.request_information import RequestInformation
    from kiota_http.middleware.options import RedirectHandlerOption, ResponseHandlerOption

    request = RequestInformation(Method.GET)
    request.url = banner_url(base_url, tenant_id)
    for name, value in {"Accept": "application/json", **exchange_headers(tenant_id)}.items():
        request.headers.try_add(name, value)
    request.add_request_options(
        [RedirectHandlerOption(should_redirect=False), ResponseHandlerOption(NativeResponseHandler())]
    )
    try:
        response: Any = await adapter.send_primitive_async(request, "bytes", None)
    except ClientAuthenticationError:
        raise  # the collector says which token was refused
    except Exception as exc:
        why = f"Security & Compliance: its regional endpoint could not be found ({type(exc).__name__}: {exc})"
        raise SourceError(SourceFailure("unavailable", why[:400])) from exc
    status = int(getattr(response, "status_code", 0) or 0)
    location = getattr(response, "headers", {}).get("location") if status in REDIRECTS else None
    return regional_base(location, base_url) if location else base_url
