"""The Exchange Online admin API's `InvokeCommand`: read-only Get- cmdlets, paged like the real one.

The client posts `{"CmdletInput": {"CmdletName": ..., "Parameters": {...}}}` with an app token for
`https://outlook.office365.com` that carries `Exchange.ManageAsApp`, and posts the same body again to
each `@odata.nextLink`. Pages hold up to 1,000 rows (`Prefer: odata.maxpagesize=N` asks for fewer).

Real clients name a mailbox to route by in `X-AnchorMailbox` (the ExchangeOnlineManagement module and
CIPP use the organisation mailbox: KelvinTegelaar/CIPP-API Modules/CIPPCore/Public/GraphHelper/
New-ExoRequest.ps1). A request without one can reach a server that would have to proxy it, and Exchange
refuses it with CmdletProxyNotAvailableException, "Cmdlet needs proxy ... Required Server FQDN ..." (the
same file's comment; MicrosoftDocs/office-docs-powershell#10446). Real Exchange does this for some
requests only, depending on where they land; the simulator refuses every unanchored request, so a
client that forgets the header always finds out here.

`InvokeCommand?$select=A,B` returns only those properties of each row, as CIPP relies on when it
reads every mailbox (New-ExoRequest.ps1's -Select, e.g. `-cmdlet 'Get-Mailbox' -Select
'userPrincipalName,GUID'`). PowerShell property names match whatever their case; a row keeps the
property's own spelling, and a property the row lacks is left out. Further pages keep the selection.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import Response

from devtools.graphsim import defender, exchange_policies
from devtools.graphsim.catalog import EXCHANGE_MANAGE_AS_APP, EXCHANGE_RESOURCE
from devtools.graphsim.graph_access import authenticate
from devtools.graphsim.responses import ODATA_SERVICE_EXCEPTION, PLAIN_JSON, dumps, exchange_error
from devtools.graphsim.simulate import disturb
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Tenant
from devtools.graphsim.tokens import AccessToken, TokenRejected
from devtools.graphsim.views import stable_id

PAGE_SIZE = 1000
DEFAULT_RESULT_SIZE = 1000  # what a Get- cmdlet returns without -ResultSize
_MAILBOX_PARAMETERS = frozenset({"ResultSize", "Identity"})
CmdletTable = dict[str, tuple[Callable[[Tenant], list[dict[str, Any]]], frozenset[str]]]
_CMDLETS: CmdletTable = {
    **exchange_policies.CMDLETS,
    "Get-TransportConfig": (lambda t: [t.data["exchange"]["transportConfig"]], frozenset()),
    "Get-OrganizationConfig": (lambda t: [t.data["exchange"]["organizationConfig"]], frozenset()),
    "Get-AdminAuditLogConfig": (lambda t: [t.data["exchange"]["adminAuditLogConfig"]], frozenset()),
    "Get-HostedOutboundSpamFilterPolicy": (
        lambda t: t.data["exchange"]["hostedOutboundSpamFilterPolicies"],
        frozenset({"Identity"}),
    ),
    "Get-RemoteDomain": (lambda t: t.data["exchange"]["remoteDomains"], frozenset({"Identity"})),
    "Get-ExternalInOutlook": (lambda t: t.data["exchange"]["externalInOutlook"], frozenset({"Identity"})),
    "Get-DkimSigningConfig": (lambda t: t.data["exchange"]["dkimSigningConfig"], frozenset({"Identity"})),
    "Get-CASMailbox": (lambda t: t.cas_mailboxes(), _MAILBOX_PARAMETERS),
    "Get-Mailbox": (lambda t: t.mailboxes(), _MAILBOX_PARAMETERS),
    **defender.CMDLETS,
}


ORGANIZATION_MAILBOX = "systemmailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}"
# The exception's namespace is CmdletProxyException's (Microsoft.Exchange.Configuration, as
# MicrosoftDocs/office-docs-powershell#1232 shows it); the class name is the one CIPP-API names.
PROXY_EXCEPTION = "Microsoft.Exchange.Configuration.CmdletProxyNotAvailableException"


class ExchangeError(Exception):
    def __init__(self, status: int, code: str, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.error_type = error_type


def anchored(tenant: Tenant, anchor: str | None) -> bool:
    """Whether `X-AnchorMailbox` routes to this tenant: APP:<mailbox>@<tenant id> as CIPP sends it for
    app-only calls, or UPN:<mailbox>@<one of the tenant's domains>."""
    kind, _, address = (anchor or "").partition(":")
    mailbox, _, where = address.lower().rpartition("@")
    if kind.upper() == "APP":
        return mailbox == ORGANIZATION_MAILBOX and where == tenant.id
    return kind.upper() == "UPN" and bool(mailbox) and where in tenant.domain_names


def proxy_refusal(tenant: Tenant) -> ExchangeError:
    server = f"{stable_id(tenant.id, 'mailbox-server')[:8].upper()}.PROD.OUTLOOK.COM"
    # The sources above show the message and the exception, not the status: 400 is an assumption, the
    # status Exchange's other refusals of a request it cannot run carry (BadRequest, as for an unknown
    # cmdlet). The product's client recognises the refusal by its text, whatever the status.
    return ExchangeError(
        400, "BadRequest", f"Cmdlet needs proxy. Required Server FQDN: {server}", PROXY_EXCEPTION
    )


def _cmdlet_input(raw: bytes) -> tuple[str, dict[str, Any]]:
    try:
        body = json.loads(raw or b"{}")
        command = body["CmdletInput"]
        return str(command["CmdletName"]), dict(command.get("Parameters") or {})
    except (ValueError, KeyError, TypeError) as exc:
        raise ExchangeError(
            400, "BadRequest", "The request body must carry CmdletInput with a CmdletName."
        ) from exc


def unknown_cmdlet(cmdlet: str) -> ExchangeError:
    return ExchangeError(
        400,
        "BadRequest",
        f"The term '{cmdlet}' is not recognized as a name of a cmdlet, function, script file, or "
        "executable "
        "program. Check the spelling of the name, or if a path was included, verify that the path is "
        "correct "
        "and try again.",
    )


def _rows(
    tenant: Tenant, cmdlet: str, parameters: dict[str, Any], table: CmdletTable | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    table = _CMDLETS if table is None else table
    name = {n.lower(): n for n in table}.get(cmdlet.lower())
    if name is None:
        raise unknown_cmdlet(cmdlet)
    source, allowed = table[name]
    for parameter in parameters:
        if parameter not in allowed:
            raise ExchangeError(
                400, "BadRequest", f"A parameter cannot be found that matches parameter name '{parameter}'."
            )
    rows = source(tenant)
    identity = parameters.get("Identity")
    if identity is not None:
        wanted = str(identity).lower()
        keys = (
            "Identity",
            "Name",
            "PrimarySmtpAddress",
            "UserPrincipalName",
            "Domain",
            "ExternalDirectoryObjectId",
        )
        rows = [r for r in rows if any(str(r.get(k, "")).lower() == wanted for k in keys)]
        if not rows:
            raise ExchangeError(
                404,
                "NotFound",
                f"The operation couldn't be performed because object '{identity}' couldn't be found.",
            )
    warnings: list[str] = []
    size = parameters.get("ResultSize")
    if name in ("Get-Mailbox", "Get-CASMailbox") and str(size).lower() != "unlimited":
        limit = int(str(size)) if str(size).isdigit() else DEFAULT_RESULT_SIZE
        if len(rows) > limit:
            rows = rows[:limit]
            warnings.append(
                "There are more results available than are currently displayed. To view them, increase the "
                "value "
                "for the ResultSize parameter."
            )
    return rows, warnings


def _page_size(prefer: str | None) -> int:
    for part in (prefer or "").split(","):
        key, _, value = part.strip().partition("=")
        if key.lower() == "odata.maxpagesize" and value.isdigit():
            return max(1, min(PAGE_SIZE, int(value)))
    return PAGE_SIZE


def _offset(query: str, tenant: Tenant) -> int:
    token = dict(parse_qsl(query)).get("$skiptoken")
    if token is None:
        return 0
    try:
        generation, offset = base64.urlsafe_b64decode(token + "==").decode().split(":")
        if int(generation) == tenant.generation:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ExchangeError(400, "BadRequest", "The skip token is not valid.")


def _select(query: str) -> tuple[str, ...]:
    value = dict(parse_qsl(query)).get("$select") or ""
    return tuple(name.strip() for name in value.split(",") if name.strip())


def _selected(rows: list[dict[str, Any]], select: tuple[str, ...]) -> list[dict[str, Any]]:
    if not select:
        return rows
    wanted = {name.lower() for name in select}
    return [{k: v for k, v in row.items() if k.lower() in wanted} for row in rows]


def invoke(
    state: SimState,
    tenant: Tenant,
    token: AccessToken,
    cmdlet: str,
    parameters: dict[str, Any],
    request: Request,
    table: CmdletTable | None = None,
    resource: str = EXCHANGE_RESOURCE,
) -> bytes:
    if not (token.roles & state.permissions(tenant)) & {EXCHANGE_MANAGE_AS_APP}:
        raise ExchangeError(401, "Unauthorized", f"User is not allowed to call {cmdlet}")
    if not tenant.exchange_role:
        # The app also needs a directory role (Global Reader here) before Exchange lets it in.
        raise ExchangeError(401, "Unauthorized", f"User is not allowed to call {cmdlet}")
    routed = anchored(tenant, request.headers.get("x-anchormailbox"))
    if not routed or state.faults.take_proxy_error(tenant.id):
        raise proxy_refusal(tenant)
    if not defender.provisioned(tenant, cmdlet, state.faults.missing_licences(tenant.id)):
        raise unknown_cmdlet(cmdlet)
    size = _page_size(request.headers.get("prefer"))
    offset = _offset(request.url.query, tenant)
    select = _select(request.url.query)
    host = request.headers.get("host", "127.0.0.1")
    key = (
        "x",
        tenant.id,
        tenant.generation,
        resource,
        cmdlet.lower(),
        json.dumps(parameters, sort_keys=True),
        size,
        offset,
        host,
        select,
    )
    cached = state.cache.get(key)
    if cached is not None:
        return cached
    rows, warnings = _rows(tenant, cmdlet, parameters, table)
    context = f"{resource}/adminapi/beta/{tenant.id}/$metadata#Collection(Exchange.GenericHashTable)"
    body: dict[str, Any] = {"@odata.context": context}
    if offset + size < len(rows):
        token_text = (
            base64.urlsafe_b64encode(f"{tenant.generation}:{offset + size}".encode()).decode().rstrip("=")
        )
        selection = f"$select={','.join(select)}&" if select else ""
        body["@odata.nextLink"] = f"https://{host}{request.url.path}?{selection}$skiptoken={token_text}"
    if warnings:
        body["@adminapi.warnings"] = warnings
    body["value"] = _selected(rows[offset : offset + size], select)
    encoded = dumps(body)
    state.cache.put(key, encoded)
    return encoded


async def invoke_command(request: Request) -> Response:
    return await handle(request, EXCHANGE_RESOURCE, _CMDLETS, "exchange")


async def handle(request: Request, resource: str, table: CmdletTable, channel: str) -> Response:
    """One InvokeCommand request to the endpoint of `resource`, answered from `table` (Exchange
    Online here; Security & Compliance in compliance.py, the same API on its own resource)."""
    state: SimState = request.app.state.sim
    tenant = state.resolve(request.path_params["tenant"])
    raw = await request.body()
    cmdlet: str | None = None
    parameters: dict[str, Any] = {}
    parse_error: ExchangeError | None = None
    try:
        cmdlet, parameters = _cmdlet_input(raw)
    except ExchangeError as exc:
        parse_error = exc
    targets = (request.url.path, f"{channel}:{cmdlet}") if cmdlet else (request.url.path,)
    response = await disturb(state, tenant.id if tenant else None, targets, "exchange")
    if response is None:
        try:
            if parse_error is not None:
                raise parse_error
            answer = _answer(state, tenant, cmdlet or "", parameters, request, resource, table)
            response = Response(answer, media_type=PLAIN_JSON)
        except ExchangeError as exc:
            response = exchange_error(
                exc.status, exc.code, exc.message, error_type=exc.error_type or ODATA_SERVICE_EXCEPTION
            )
    if tenant is not None:
        query = request.url.query
        path = unquote(request.url.path) + ("?" + unquote(query) if query else "")
        state.log(tenant.id, "POST", path, response.status_code, cmdlet)
    return response


def _answer(
    state: SimState,
    tenant: Tenant | None,
    cmdlet: str,
    parameters: dict[str, Any],
    request: Request,
    resource: str = EXCHANGE_RESOURCE,
    table: CmdletTable | None = None,
) -> bytes:
    try:
        token = authenticate(state, request, resource)
    except TokenRejected as exc:
        raise ExchangeError(401, "Unauthorized", str(exc)) from exc
    if tenant is None or token.tenant_id != tenant.id:
        raise ExchangeError(401, "Unauthorized", "The token was issued for a different organization.")
    if state.consent_error(tenant):
        raise ExchangeError(
            401, "Unauthorized", "The identity of the calling application could not be established."
        )
    return invoke(state, tenant, token, cmdlet, parameters, request, table, resource)
