"""The SharePoint admin REST API of one tenant: `https://<prefix>-admin.sharepoint.com/_api/...`.

Where it lives. The admin host is named after the tenant's initial domain, `<prefix>.onmicrosoft.com`
(organization.verifiedDomains, the one with isInitial), never after its display name or a custom
domain: ScubaGear derives it the same way (cisagov/ScubaGear PowerShell/ScubaGear/Modules/Providers/
ExportSharePointProvider.psm1, InitialDomainPrefix). A tenant whose SharePoint domain was renamed
answers under another prefix; Entra then refuses the token for the derived host, and the checks say so.

How it is called. A token for the host itself (`https://<prefix>-admin.sharepoint.com/.default`, as
ScubaGear asks for it), from a certificate: SharePoint refuses app-only tokens that Entra issued to
a client secret, with 401 "Unsupported app only token." (learn.microsoft.com/sharepoint/dev/
solution-guidance/security-apponly-azuread, "Can I use other means besides certificates ...";
SharePoint/sp-dev-docs#8480 and #3711). The app needs `Sites.FullControl.All` of Office 365
SharePoint Online; without it SharePoint answers 403 with its "Access denied" error. The answer is
read as `odata=verbose`, whose object comes inside `d` with integer enumerations, as ScubaGear reads
it (SPORestHelper.psm1, Get-SPOTenantRest).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from azure.core.exceptions import ClientAuthenticationError

from core.checks.model import SourceFailure, TenantSnapshot
from core.collect.connection import TenantConnection, entra_error_code
from core.collect.failures import SourceError
from core.collect.sources import SHAREPOINT_ADMIN_SOURCES, SharePointAdminSource
from core.settings import Settings

if TYPE_CHECKING:
    from kiota_http.httpx_request_adapter import HttpxRequestAdapter

VERBOSE = "application/json;odata=verbose"
UNSUPPORTED_APP_ONLY = "unsupported app only token"
_INITIAL = re.compile(r"^([a-z0-9][a-z0-9-]*)\.onmicrosoft\.com$")
SERVICE = "the SharePoint admin API"


def admin_prefix(organization: Any) -> str:
    """The tenant's initial domain prefix, `contoso` for contoso.onmicrosoft.com. Only the domain
    marked isInitial counts: a custom domain or the display name may name another tenant's host."""
    rows = organization if isinstance(organization, list) else [organization]
    for org in rows:
        if not isinstance(org, Mapping):
            continue
        for domain in org.get("verifiedDomains") or []:
            if isinstance(domain, Mapping) and domain.get("isInitial") is True:
                match = _INITIAL.match(str(domain.get("name", "")).lower())
                if match:
                    return match.group(1)
                why = f"the initial domain {domain.get('name')!r} is not a <name>.onmicrosoft.com domain"
                raise SourceError(SourceFailure("unavailable", why))
    raise SourceError(
        SourceFailure("unavailable", "the organization lists no initial (onmicrosoft.com) domain")
    )


def admin_resource(prefix: str) -> str:
    """The token resource: the admin host itself, wherever the requests are sent (a simulator)."""
    return f"https://{prefix}-admin.sharepoint.com"


def admin_base_url(template: str, prefix: str) -> str:
    """Where requests go: settings.sharepoint_admin_url with `{tenant}` filled in."""
    return template.replace("{tenant}", prefix).rstrip("/")


def token_failure(
    exc: ClientAuthenticationError, prefix: str, source: SharePointAdminSource
) -> SourceFailure:
    """Entra refused a token for the admin host. AADSTS500011 ("the resource principal ... was not
    found", as for a SharePoint host the tenant does not have: pnp/powershell#2387) is taken as "no
    SharePoint here" only if the tenant's subscriptions agree (core.checks.model.settle_licence)."""
    code = entra_error_code(str(exc))
    lines = str(exc).strip().splitlines()
    said = lines[0][:300] if lines else type(exc).__name__
    if code == "AADSTS500011":
        reason = (
            f"Entra knows no SharePoint at {admin_resource(prefix)} (the tenant has no SharePoint Online, "
            f"or its SharePoint domain was renamed): {said}"
        )
        return SourceFailure("not_licensed", reason, code, source.licence)
    return SourceFailure("forbidden", f"Entra refused the app a token for {SERVICE} ({said})", code)


def _error_text(body: Any) -> str:
    """SharePoint's error wording: `{"error": {"code", "message": {"value"}}}` (verbose),
    `{"odata.error": ...}` (JSON light) or `{"error_description": ...}` (a refused token)."""
    if not isinstance(body, Mapping):
        return ""
    if "error_description" in body:
        return str(body["error_description"])
    error = body.get("error") or body.get("odata.error")
    if not isinstance(error, Mapping):
        return ""
    message = error.get("message")
    text = message.get("value") if isinstance(message, Mapping) else message
    return f"{error.get('code', '')}: {text}".strip(": ")


def classify_answer(status: int, body: Any, source: SharePointAdminSource) -> SourceFailure:
    said = _error_text(body)
    described = f"HTTP {status}" + (f" {said}" if said else ", and the body was not a SharePoint error")
    if status == 401 and UNSUPPORTED_APP_ONLY in said.lower():
        return SourceFailure(
            "forbidden",
            f"{SERVICE} accepts app-only tokens only from a certificate, and the app signed in with a "
            f"client secret: set APP_CERTIFICATE ({described})",
        )
    if status in (401, 403):
        return SourceFailure(
            "forbidden",
            f"permission {source.permission} missing or not granted on Office 365 SharePoint Online "
            f"({described})",
        )
    if status == 404:
        return SourceFailure("not_found", f"{source.path}: {described}")
    if status == 429:
        return SourceFailure("unavailable", f"still throttled after retrying ({described})")
    return SourceFailure("unavailable", f"{source.path}: {described}")


def settings_body(body: Any, source: SharePointAdminSource) -> dict[str, Any]:
    """The object, out of its verbose `d` envelope, without metadata; never judged without the
    properties every answer carries."""
    inner = body.get("d", body) if isinstance(body, Mapping) else None
    if not isinstance(inner, Mapping):
        raise SourceError(SourceFailure("unavailable", f"{source.path}: the answer was not a JSON object"))
    settings = {k: v for k, v in inner.items() if k != "__metadata" and not k.startswith("odata.")}
    missing = [name for name in source.required if name not in settings]
    if missing:
        raise SourceError(
            SourceFailure("unavailable", f"{source.path}: the answer has no {', '.join(missing)}")
        )
    return settings


async def read_sharepoint_source(
    adapter: HttpxRequestAdapter, base_url: str, source: SharePointAdminSource
) -> dict[str, Any]:
    """One GET, answered with the object or a SourceError saying why not. A refused token raises
    ClientAuthenticationError for the caller, which knows the host it asked for."""
    from kiota_abstractions.method import Method
    from kiota_abstractions.native_response_handler import NativeResponseHandler
    from kiota_abstractions.request_information import RequestInformation
    from kiota_http.middleware.options import ResponseHandlerOption

    request = RequestInformation(Method.GET)
    request.url = base_url + source.path
    request.headers.try_add("Accept", VERBOSE)
    request.add_request_options([ResponseHandlerOption(NativeResponseHandler())])
    try:
        response: Any = await adapter.send_primitive_async(request, "bytes", None)
    except ClientAuthenticationError:
        raise
    except Exception as exc:
        why = f"{SERVICE}: {type(exc).__name__}: {str(exc)[:200]}"
        raise SourceError(SourceFailure("unavailable", why)) from exc
    status = int(getattr(response, "status_code", 0) or 0)
    try:
        body = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        body = None
    if status != 200:
        raise SourceError(classify_answer(status, body, source))
    return settings_body(body, source)


def _fail_all(snapshot: TenantSnapshot, failure: SourceFailure) -> None:
    for source in SHAREPOINT_ADMIN_SOURCES:
        snapshot.failures[source.name] = failure


async def collect_sharepoint_admin(
    connection: TenantConnection, settings: Settings, snapshot: TenantSnapshot
) -> None:
    """Read every SharePoint admin source into `snapshot` (after the organization), or record why
    each could not be read."""
    if "organization" not in snapshot.data:
        unread = snapshot.failures.get("organization")
        why = unread.reason if unread else "organization was not collected"
        _fail_all(
            snapshot, SourceFailure("unavailable", f"the admin host is named in the organization: {why}")
        )
        return
    try:
        prefix = admin_prefix(snapshot.data["organization"])
    except SourceError as exc:
        _fail_all(snapshot, exc.failure)
        return
    base_url = admin_base_url(settings.sharepoint_admin_url, prefix)
    adapter = connection.sharepoint_adapter(admin_resource(prefix), base_url)
    for source in SHAREPOINT_ADMIN_SOURCES:
        try:
            snapshot.data[source.name] = await read_sharepoint_source(adapter, base_url, source)
        except SourceError as exc:
            snapshot.failures[source.name] = exc.failure
        except ClientAuthenticationError as exc:
            snapshot.failures[source.name] = token_failure(exc, prefix, source)
