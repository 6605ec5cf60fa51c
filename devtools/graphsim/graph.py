"""Microsoft Graph v1.0 and beta: bearer-token checks, query options, permissions, licences and paging.

Pages are serialized once and kept as bytes, so serving a tenant again costs a dictionary lookup.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import Response

from devtools.graphsim import views
from devtools.graphsim.catalog import GRAPH_RESOURCE
from devtools.graphsim.governance_apps import assigned_licenses
from devtools.graphsim.graph_access import GraphError, authenticate, check_access, check_licence
from devtools.graphsim.graph_endpoints import BY_VERSION, OPTIONS, Endpoint, source_for
from devtools.graphsim.groups import group_route
from devtools.graphsim.mail import send_mail
from devtools.graphsim.responses import Ids, dumps, graph_error, graph_json
from devtools.graphsim.simulate import disturb
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import DEFAULT_USER_SELECT, USER_PROPS, Tenant
from devtools.graphsim.tokens import AccessToken, TokenRejected
from devtools.graphsim.user_methods import user_route


def _context(version: str) -> str:
    return f"https://graph.microsoft.com/{version}/$metadata#"


SHAREPOINT_SETTINGS = "/admin/sharepoint/settings"


def _options(path: str, raw_query: str) -> dict[str, str]:
    allowed = OPTIONS.get(path, frozenset())
    options: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        if name not in allowed:
            raise GraphError(400, "Request_BadRequest", f"Unrecognized query argument specified: '{name}'.")
        options[name] = value
    return options


def _select(endpoint: Endpoint, value: str | None, items: list[Any]) -> list[str] | None:
    if value is None:
        return None
    props = [p.strip() for p in value.split(",") if p.strip()]
    known = USER_PROPS if endpoint.path == "/users" else set(items[0]) if items else None
    for prop in props:
        if known is not None and prop not in known:
            raise GraphError(
                400,
                "Request_BadRequest",
                f"Could not find a property named '{prop}' on type 'microsoft.graph.{endpoint.entity}'.",
            )
    return (["id"] if "id" not in props else []) + props


# Users with signInActivity come 500 to a page at most ("List users", learn.microsoft.com/graph/api/
# user-list; the limit went from 120 to 500 in microsoftgraph/microsoft-graph-docs-contrib#9591).
SIGN_IN_PAGE_MAX = 500


class RawAnswer(Exception):
    """A refusal whose body is not Graph's usual error object."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.status, self.body = status, body


def _sign_in_page_too_large() -> RawAnswer:
    # A larger $top is refused, not trimmed, and the refusal comes from the reporting service behind
    # signInActivity: a 400 whose body is an OData string value, as quoted (for the earlier limit of
    # 120) in microsoftgraph/msgraph-sdk-powershell#1898.
    return RawAnswer(
        400,
        {
            "@odata.context": "http://reportingservice.activedirectory.windowsazure.com/auditLogs/"
            "$metadata#Edm.String",
            "value": f"Cannot query data for more than {SIGN_IN_PAGE_MAX} users at a time.",
        },
    )


def _page_size(endpoint: Endpoint, top: str | None, select: list[str] | None) -> int | None:
    size = endpoint.default_page
    if top is not None:
        if not top.isdigit() or not 1 <= int(top) <= endpoint.max_page:
            raise GraphError(
                400,
                "Request_BadRequest",
                f"Invalid page size specified: '{top}'. Must be between 1 and {endpoint.max_page} inclusive.",
            )
        size = int(top)
    if size and select and "signInActivity" in select and size > SIGN_IN_PAGE_MAX:
        raise _sign_in_page_too_large()
    return size


def _offset(token: str | None, tenant: Tenant) -> int:
    if token is None:
        return 0
    try:
        generation, offset = base64.urlsafe_b64decode(token + "==").decode().split(":")
        if int(generation) == tenant.generation:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise GraphError(
        400,
        "Request_BadRequest",
        "The specified page token value has expired and can no longer be included in your request.",
    )


def _rows(
    tenant: Tenant, endpoint: Endpoint, items: list[Any], select: list[str] | None, expand: bool
) -> list[Any]:
    if endpoint.path == "/users":
        props = select or list(DEFAULT_USER_SELECT)
        return [
            {
                p: tenant.sign_in_activity(u)
                if p == "signInActivity"
                else views.immutable_id(u)
                if p == "onPremisesImmutableId"
                else assigned_licenses(tenant.data, u)
                if p == "assignedLicenses"
                else u.get(p, [] if p == "businessPhones" else None)
                for p in props
            }
            for u in items
        ]
    if select:
        return [{p: item.get(p) for p in select} for item in items]
    expanded = endpoint.expand.split("(", 1)[0]  # "policy($expand=rules)" expands "policy"
    if not expand and items and isinstance(items[0], dict) and expanded in items[0]:
        return [{k: v for k, v in item.items() if k != expanded} for item in items]
    return items


def _collection(
    state: SimState,
    tenant: Tenant,
    endpoint: Endpoint,
    options: dict[str, str],
    request: Request,
    version: str,
) -> bytes:
    # The raw options are the key: the same request always gets the same page, so a page is built
    # and serialized once, and errors (never cached) are raised before anything is stored.
    key = (
        tenant.id,
        tenant.generation,
        state.faults.generation,
        version,
        endpoint.path,
        tuple(sorted(options.items())),
        request.headers.get("host"),
    )
    cached = state.cache.get(key)
    if cached is not None:
        return cached
    items = endpoint.items(state, tenant)
    select = _select(endpoint, options.get("$select"), items)
    expand = options.get("$expand")
    if expand is not None and expand != endpoint.expand:
        raise GraphError(
            400,
            "Request_BadRequest",
            f"Could not find a property named '{expand}' on type '{endpoint.context}'.",
        )
    size = _page_size(endpoint, options.get("$top"), select)
    offset = _offset(options.get("$skiptoken"), tenant)
    end = len(items) if not size else size if endpoint.top_is_limit else offset + size
    page, more = items[offset:end], end < len(items) and not endpoint.top_is_limit
    context = (
        _context(version)
        + endpoint.context
        + (f"({','.join(select)})" if select else f"({endpoint.expand.split('(', 1)[0]}())" if expand else "")
    )
    body: dict[str, Any] = {"@odata.context": context}
    if more:
        token = base64.urlsafe_b64encode(f"{tenant.generation}:{end}".encode()).decode().rstrip("=")
        query = "&".join(
            part
            for part in request.url.query.split("&")
            if part and unquote(part.split("=")[0]) != "$skiptoken"
        )
        host = request.headers.get("host", "127.0.0.1")
        body["@odata.nextLink"] = (
            f"https://{host}{request.url.path}?{query + '&' if query else ''}$skiptoken={token}"
        )
    body["value"] = _rows(tenant, endpoint, page, select, bool(expand))
    encoded = dumps(body)
    state.cache.put(key, encoded)
    return encoded


def serve_get(
    state: SimState, tenant: Tenant, token: AccessToken, path: str, query: str, request: Request
) -> bytes:
    version = _version(request)
    collections, objects = BY_VERSION[version]
    endpoint = collections.get(path) or objects.get(path)
    group = (
        (group_route(path, query) or user_route(path, query))
        if endpoint is None and version == "v1.0"
        else None
    )
    if group is not None:
        endpoint, source, options = group.endpoint, group.source, group.options
    elif endpoint is None:
        segment = path.strip("/").split("/")[-1] or version
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
    else:
        options = _options(path, query)
        select_value = options.get("$select")
        source = source_for(path, select_value.split(",") if select_value else None)
    needs = [source.permission]
    if path == "/users" and source.permission != "User.Read.All":
        needs.append("User.Read.All")  # signInActivity needs both
    check_access(state, tenant, token, needs, endpoint.denied_code)
    check_licence(state, tenant, source, path)
    if path in objects:
        body = endpoint.items(state, tenant)
        if path == SHAREPOINT_SETTINGS and state.faults.flag(tenant.id, "sharepoint_settings_wrapped"):
            # The response Microsoft Learn shows for this request: the object inside "value", typed
            # and without @odata.context (learn.microsoft.com/graph/api/sharepointsettings-get).
            return dumps({"value": {"@odata.type": "#microsoft.graph.sharepointSettings", **body}})
        return dumps({"@odata.context": _context(version) + endpoint.context, **body})
    return _collection(state, tenant, endpoint, options, request, version)


def _version(request: Request) -> str:
    return "beta" if request.url.path.startswith("/beta/") else "v1.0"


async def graph_endpoint(request: Request) -> Response:
    state: SimState = request.app.state.sim
    ids = Ids(request.headers.get("client-request-id"))
    path = "/" + request.path_params["path"].lower().rstrip("/")
    query = request.url.query
    logged = unquote(request.url.path) + ("?" + unquote(query) if query else "")
    tenant: Tenant | None = None
    token: AccessToken | None = None
    rejected = ""
    try:
        token = authenticate(state, request, GRAPH_RESOURCE)
        tenant = state.tenants.get(token.tenant_id)
    except TokenRejected as exc:
        rejected = str(exc)
    # "graph:/users" matches a resource in v1.0 and beta alike; "graph:" matches every Graph request.
    targets = (request.url.path, f"graph:{path}")
    response = await disturb(state, tenant.id if tenant else None, targets, "graph", ids)
    if response is None:
        response = await _answer(state, request, ids, tenant, token, path, query, rejected)
    if tenant is not None:
        state.log(tenant.id, request.method, logged, response.status_code)
    return response


async def _answer(
    state: SimState,
    request: Request,
    ids: Ids,
    tenant: Tenant | None,
    token: AccessToken | None,
    path: str,
    query: str,
    rejected: str,
) -> Response:
    if token is None or tenant is None:
        return graph_error(
            401, "InvalidAuthenticationToken", rejected or "Access token validation failure.", ids
        )
    if state.consent_error(tenant):
        return graph_error(
            401,
            "Authorization_IdentityNotFound",
            "The identity of the calling application could not be established.",
            ids,
        )
    try:
        if request.method == "POST" and path.startswith("/users/") and path.endswith("/sendmail"):
            return await send_mail(state, tenant, token, path, request, ids)
        if request.method != "GET":
            return graph_error(
                405, "Request_BadRequest", "The requested resource does not support http method.", ids
            )
        return graph_json(serve_get(state, tenant, token, path, query, request), ids)
    except GraphError as exc:
        return graph_error(exc.status, exc.code, exc.message, ids)
    except RawAnswer as exc:
        return graph_json(dumps(exc.body), ids, exc.status)
