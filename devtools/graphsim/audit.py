"""Entra's directory audit log, and the admin changes that write to it.

- `GET /v1.0/auditLogs/directoryAudits`: the tenant's recorded entries in the documented shape
  (Microsoft Learn, "List directoryAudits" and "directoryAudit resource type": `@odata.context`
  `$metadata#auditLogs/directoryAudits`, `value`, `@odata.nextLink`), with `$filter` on
  activityDateTime (eq, ge, le), category (eq) and activityDisplayName (eq, startswith) joined by
  `and`, `$orderby=activityDateTime [asc|desc]`, `$top` and `$skiptoken`. Any other filter is
  refused with a 400, as Graph refuses a filter on a property it does not support; Graph's exact
  wording for that refusal is not documented, so this one only keeps its status and code.
- It needs AuditLog.Read.All and Directory.Read.All; without the first, Graph's 403
  Authentication_MSGraphPermissionMissing (graph_access.MISSING_PERMISSION_ANSWERS, with its
  sources), without the second the usual Authorization_RequestDenied. Every edition has the audit
  log, so there is no licence refusal; what a licence changes is retention ("Microsoft Entra data
  retention": 7 days on Free, 30 with P1/P2): older entries are not served.
- `POST /_sim/tenants/{tenant}/conditional-access/{policy}`: an administrator changes a
  Conditional Access policy's state; the policy changes and the log records "Update conditional
  access policy" (category Policy, service Conditional Access) with the whole policy as JSON before
  and after in the ConditionalAccessPolicy property, as Entra records it (Learn, "Troubleshoot
  Conditional Access policy changes").
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.collect.sources import P1, P2
from devtools.graphsim.catalog import GRAPH_RESOURCE
from devtools.graphsim.graph_access import GraphError, authenticate, check_access
from devtools.graphsim.responses import Ids, dumps, graph_error, graph_json
from devtools.graphsim.simulate import disturb
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Tenant
from devtools.graphsim.tokens import AccessToken, TokenRejected

CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits"
PATH = "/auditlogs/directoryaudits"
DEFAULT_PAGE, MAX_PAGE = 100, 1000
_CLAUSE = re.compile(
    r"^(?:(activityDateTime) (eq|ge|le) (\S+)|(category|activityDisplayName) eq '([^']*)'"
    r"|startswith\((activityDisplayName),\s*'([^']*)'\))$"
)
STATES = ("enabled", "disabled", "enabledForReportingButNotEnforced")


def entries(tenant: Tenant) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = tenant.data.setdefault("directoryAudits", [])
    return log


def _when(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise GraphError(
            400, "BadRequest", f"Invalid filter clause: '{text}' is not a DateTimeOffset."
        ) from None


def _matcher(clause: str) -> Any:
    match = _CLAUSE.match(clause.strip())
    if match is None:
        raise GraphError(400, "BadRequest", f"Invalid filter clause: {clause.strip()}")
    time_prop, op, value, prop, literal, starts_prop, prefix = match.groups()
    if time_prop:
        at = _when(value)
        compare = {"eq": lambda t: t == at, "ge": lambda t: t >= at, "le": lambda t: t <= at}[op]
        return lambda e: compare(_when(e["activityDateTime"]))
    if prop:
        return lambda e: e.get(prop) == literal
    return lambda e: str(e.get(starts_prop, "")).startswith(prefix)


def _retained(state: SimState, tenant: Tenant) -> dt.datetime:
    missing = state.faults.missing_licences(tenant.id)
    premium = tenant.has_licence(P1, missing) or tenant.has_licence(P2, missing)
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=30 if premium else 7)


def _select(state: SimState, tenant: Tenant, options: dict[str, str]) -> list[dict[str, Any]]:
    clauses = [c for c in re.split(r"\s+and\s+", options.get("$filter", "")) if c.strip()]
    tests = [_matcher(c) for c in clauses]
    kept = _retained(state, tenant)
    rows = [e for e in entries(tenant) if _when(e["activityDateTime"]) >= kept and all(t(e) for t in tests)]
    order = options.get("$orderby", "activityDateTime desc").strip()
    if order not in ("activityDateTime", "activityDateTime asc", "activityDateTime desc"):
        raise GraphError(400, "BadRequest", f"OrderBy not supported: {order}")
    return sorted(rows, key=lambda e: e["activityDateTime"], reverse=order.endswith("desc"))


def _page(state: SimState, tenant: Tenant, request: Request) -> bytes:
    options = dict(parse_qsl(request.url.query, keep_blank_values=True))
    unknown = set(options) - {"$filter", "$orderby", "$top", "$skiptoken"}
    if unknown:
        raise GraphError(400, "BadRequest", f"Unrecognized query argument specified: '{sorted(unknown)[0]}'.")
    rows = _select(state, tenant, options)
    top = options.get("$top", str(DEFAULT_PAGE))
    if not top.isdigit() or not 1 <= int(top) <= MAX_PAGE:
        raise GraphError(400, "BadRequest", f"Invalid page size specified: '{top}'.")
    try:
        offset = int(base64.urlsafe_b64decode(options.get("$skiptoken", "MA") + "==").decode())
    except ValueError:
        raise GraphError(400, "BadRequest", "The skip token is not valid.") from None
    end = offset + int(top)
    body: dict[str, Any] = {"@odata.context": CONTEXT, "value": rows[offset:end]}
    if end < len(rows):
        rest = {k: v for k, v in options.items() if k != "$skiptoken"}
        token = base64.urlsafe_b64encode(str(end).encode()).decode().rstrip("=")
        query = "&".join(f"{k}={quote(v, safe=':')}" for k, v in rest.items())
        host = request.headers.get("host", "127.0.0.1")
        body["@odata.nextLink"] = f"https://{host}{request.url.path}?{query}&$skiptoken={token}"
    return dumps(body)


async def directory_audits(request: Request) -> Response:
    state: SimState = request.app.state.sim
    ids = Ids(request.headers.get("client-request-id"))
    tenant: Tenant | None = None
    token: AccessToken | None = None
    try:
        token = authenticate(state, request, GRAPH_RESOURCE)
        tenant = state.tenants.get(token.tenant_id)
    except TokenRejected as exc:
        return graph_error(401, "InvalidAuthenticationToken", str(exc), ids)
    if tenant is None:
        return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.", ids)
    response = await disturb(state, tenant.id, (request.url.path, f"graph:{PATH}"), "graph", ids)
    if response is None and state.consent_error(tenant):
        message = "The identity of the calling application could not be established."
        response = graph_error(401, "Authorization_IdentityNotFound", message, ids)
    if response is None:
        try:
            # Learn lists both as the least privilege for an application ("List directoryAudits").
            needs = ["AuditLog.Read.All", "Directory.Read.All"]
            check_access(state, tenant, token, needs, "Authorization_RequestDenied")
            response = graph_json(_page(state, tenant, request), ids)
        except GraphError as exc:
            response = graph_error(exc.status, exc.code, exc.message, ids)
    state.log(tenant.id, "GET", request.url.path + "?" + request.url.query, response.status_code)
    return response


def change_policy_state(
    state: SimState, tenant: Tenant, policy_id: str, new_state: str, by: str, at: dt.datetime
) -> dict[str, Any]:
    """An administrator sets a Conditional Access policy's state: the policy changes (so scans see
    it: a new generation, as a reload would give) and the audit log records who did it."""
    if new_state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}")
    policies = tenant.data["conditionalAccessPolicies"]
    # By id, or by display name (a synthetic tenant's ids are not known to a test in advance).
    policy = next((p for p in policies if policy_id in (p.get("id"), p.get("displayName"))), None)
    if policy is None:
        raise KeyError(f"no Conditional Access policy {policy_id}")
    policy_id, before = policy["id"], json.dumps(policy)
    policy["state"] = new_state
    policy["modifiedDateTime"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    state.generation += 1
    tenant.generation = state.generation
    user = tenant.users_by_key.get(by.lower())
    entry = {
        "id": f"IPCGraph_{uuid.uuid4()}",
        "category": "Policy",
        "correlationId": str(uuid.uuid4()),
        "result": "success",
        "resultReason": "",
        "activityDisplayName": "Update conditional access policy",
        "activityDateTime": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "loggedByService": "Conditional Access",
        "operationType": "Update",
        "initiatedBy": {
            "app": None,
            "user": {"id": (user or {}).get("id"), "displayName": None, "userPrincipalName": by},
        },
        "targetResources": [
            {
                "id": policy_id,
                "displayName": policy.get("displayName"),
                "type": "Policy",
                "modifiedProperties": [
                    {
                        "displayName": "ConditionalAccessPolicy",
                        "oldValue": before,
                        "newValue": json.dumps(policy),
                    }
                ],
            }
        ],
        "additionalDetails": [{"key": "Category", "value": "Conditional Access"}],
    }
    entries(tenant).append(entry)
    return entry


async def admin_change_policy(request: Request) -> Response:
    state: SimState = request.app.state.sim
    tenant = state.resolve(request.path_params["tenant"])
    if tenant is None:
        return JSONResponse({"error": "no such tenant"}, status_code=404)
    body = await request.json()
    at = dt.datetime.fromisoformat(body["at"]) if body.get("at") else dt.datetime.now(dt.UTC)
    try:
        entry = change_policy_state(
            state, tenant, request.path_params["policy"], str(body.get("state")), str(body.get("by")), at
        )
    except (KeyError, ValueError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(entry)


ROUTES = [
    Route("/v1.0/auditLogs/directoryAudits", directory_audits, methods=["GET"]),
    Route("/v1.0/auditlogs/directoryaudits", directory_audits, methods=["GET"]),
    Route("/_sim/tenants/{tenant}/conditional-access/{policy}", admin_change_policy, methods=["POST"]),
]
