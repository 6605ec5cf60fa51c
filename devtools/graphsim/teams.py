"""The Teams admin service the MicrosoftTeams module's Get-Cs* cmdlets call: GET
/Skype.Policy/configurations/{type}, answered with every instance of that type as a bare JSON array
(core/collect/teams.py names the public tools this follows: CIPP's New-TeamsRequestV2, AzRanger's
TeamsCollector, terraprovider/go-teams). The simulator serves it under /teams on its one host, so
TEAMS_BASE_URL is `<simulator>/teams`.

Who gets in:
- A bearer token for the "Skype and Teams Tenant Admin API" resource (48ac35b8-...), issued by the
  simulated Entra (entra.py), which refuses it (AADSTS500011) for a tenant whose subscriptions carry no
  Teams plan: there is no Teams service principal to issue it for. That the real Entra answers so is
  the general meaning of AADSTS500011 (learn.microsoft.com/entra/identity-platform/reference-error-codes),
  not something seen for this resource; the product does not rely on it (a failed Teams read of a
  tenant without the plan is not_applicable whatever the answer).
- The tenant is the token's `tid`, as the real service takes it (no tenant in the path).
- A directory role on the app's service principal: Global Reader, Teams Reader or Teams Administrator
  (Microsoft365DSC's MSFT_Teams*/settings.json name Global Reader, later Teams Reader, for reads). Without
  one: 403 "Access Denied." (Microsoft365DSC/Microsoft365DSC#2779 shows the module's "[Forbidden] :
  Access Denied."; the JSON error body around it is an assumption, in Graph's error shape).
- A wrong or missing token: 401, as every Microsoft 365 admin API answers.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from devtools.graphsim.graph_access import authenticate
from devtools.graphsim.responses import PLAIN_JSON, dumps
from devtools.graphsim.simulate import disturb
from devtools.graphsim.state import SimState
from devtools.graphsim.teams_data import configurations
from devtools.graphsim.tenant import Tenant
from devtools.graphsim.tokens import TokenRejected

TEAMS_RESOURCE = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"
TEAMS_PLAN = "TEAMS1"
READ_ROLES = frozenset({"Global Reader", "Teams Reader", "Teams Administrator", "Global Administrator"})


def provisioned(tenant: Tenant, missing: frozenset[str]) -> bool:
    """Whether the tenant has Teams at all: an active subscription carrying the Teams plan."""
    return TEAMS_PLAN in tenant.licences(missing)


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        dumps({"error": {"code": code, "message": message}}), status_code=status, media_type=PLAIN_JSON
    )


def _answer(state: SimState, request: Request, config_type: str) -> tuple[Response, Tenant | None]:
    try:
        token = authenticate(state, request, TEAMS_RESOURCE)
    except TokenRejected as exc:
        return _error(401, "Unauthorized", str(exc)), None
    tenant = state.resolve(token.tenant_id)
    if tenant is None or state.consent_error(tenant):
        return _error(
            401, "Unauthorized", "The identity of the calling application could not be established."
        ), tenant
    missing = state.faults.missing_licences(tenant.id)
    if tenant.exchange_role not in READ_ROLES or not provisioned(tenant, missing):
        return _error(403, "Forbidden", "Access Denied."), tenant
    body = _body(state, tenant, config_type)
    if body is None:
        # An assumption: the service's answer for a type it does not know is not published.
        return _error(404, "NotFound", f"The configuration type '{config_type}' was not found."), tenant
    return Response(body, media_type=PLAIN_JSON), tenant


def _body(state: SimState, tenant: Tenant, config_type: str) -> bytes | None:
    key = ("teams", tenant.id, tenant.generation, config_type)
    cached = state.cache.get(key)
    if cached is None:
        instances: list[dict[str, Any]] | None = configurations(tenant.data).get(config_type)
        if instances is None:
            return None
        cached = dumps(instances)
        state.cache.put(key, cached)
    return cached


async def configuration_list(request: Request) -> Response:
    """GET /teams/Skype.Policy/configurations/{config_type}: every instance of the type."""
    state: SimState = request.app.state.sim
    config_type = request.path_params["config_type"]
    response, tenant = _answer(state, request, config_type)
    if tenant is not None:
        disturbed = await disturb(state, tenant.id, (request.url.path, f"teams:{config_type}"), "graph")
        response = disturbed or response
        state.log(
            tenant.id, "GET", request.url.path, response.status_code, request.headers.get("x-ms-cmdletname")
        )
    return response
