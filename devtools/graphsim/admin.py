"""The test and admin API under `/_sim/...`: tenants, faults, request logs, sent mail, consent, the
app registration's sign-in settings and an ID token signing hook.

Local only (the server listens on 127.0.0.1) and without authentication, by design.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devtools.graphsim.idtokens import GROUP_MEMBERSHIP_CLAIMS
from devtools.graphsim.state import SimState
from devtools.graphsim.synthetic import TenantSpec, build_tenant
from devtools.graphsim.tenant import FixtureError

TENANTS_DIR = Path(__file__).resolve().parent / "tenants"
# The provider's own tenant (where the app is registered and reports are mailed from) is not a
# customer, so it lives apart from the demo customers.
PROVIDER_FIXTURE = Path(__file__).resolve().parent / "provider" / "scanposture-operations.json"


def read_demo_fixtures() -> list[dict[str, Any]]:
    """The demo customers committed under `tenants/`."""
    return [json.loads(path.read_text()) for path in sorted(TENANTS_DIR.glob("*.json"))]


def read_provider_fixture() -> dict[str, Any]:
    return dict(json.loads(PROVIDER_FIXTURE.read_text()))


def _state(request: Request) -> SimState:
    state: SimState = request.app.state.sim
    return state


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "tenants": len(_state(request).tenants)})


async def list_tenants(request: Request) -> Response:
    return JSONResponse(list(_state(request).summaries()))


async def load_tenant(request: Request) -> Response:
    try:
        tenant = _state(request).add_tenant(await request.json())
    except (FixtureError, ValueError, KeyError, TypeError) as exc:
        return _bad(f"not a tenant fixture: {exc}")
    return JSONResponse(tenant.summary(), status_code=201)


async def load_synthetic(request: Request) -> Response:
    body = await request.json()
    try:
        spec = TenantSpec(
            n_users=int(body["n_users"]),
            seed=int(body.get("seed", 0)),
            posture=body.get("posture", "mixed"),
            tenant_id=body.get("tenant_id"),
            display_name=body.get("display_name"),
            slug=body.get("slug"),
            # Dated today, so loading skips moving every timestamp (a fixture file is dated AS_OF).
            as_of=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT00:00:00Z"),
        )
        tenant = _state(request).add_tenant(build_tenant(spec))
    except (FixtureError, ValueError, KeyError, TypeError) as exc:
        return _bad(str(exc))
    return JSONResponse(tenant.summary(), status_code=201)


async def delete_tenant(request: Request) -> Response:
    _state(request).remove_tenant(request.path_params["tenant"])
    return Response(status_code=204)


async def faults(request: Request) -> Response:
    state = _state(request)
    if request.method == "GET":
        return JSONResponse(state.faults.describe())
    if request.method == "DELETE":
        state.faults.clear(request.query_params.get("tenant"))
        return Response(status_code=204)
    body = await request.json()
    try:
        state.faults.set(body.get("tenant"), body.get("faults") or {})
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    return JSONResponse(state.faults.describe())


async def requests_log(request: Request) -> Response:
    state, tenant_id = _state(request), request.path_params["tenant"].lower()
    if request.method == "DELETE":
        state.logs.pop(tenant_id, None)
        return Response(status_code=204)
    return JSONResponse(state.request_log(tenant_id))


async def sent_mail(request: Request) -> Response:
    state, tenant_id = _state(request), request.path_params["tenant"].lower()
    if request.method == "DELETE":
        state.mail.pop(tenant_id, None)
        return Response(status_code=204)
    return JSONResponse(state.mail.get(tenant_id, []))


async def consent(request: Request) -> Response:
    state = _state(request)
    tenant = state.resolve(request.path_params["tenant"])
    if tenant is None:
        return _bad("no such tenant", 404)
    if request.method == "POST":
        wanted = (await request.json()).get("consent")
        if wanted == "granted":
            state.grant_consent(tenant)
        elif wanted in ("none", "revoked"):
            tenant.consent = wanted
        else:
            return _bad("consent must be granted, none or revoked")
    return JSONResponse({"consent": tenant.consent, "tokenError": state.consent_error(tenant)})


def _app_view(state: SimState) -> dict[str, Any]:
    return {
        "clientId": state.app.client_id,
        "groupMembershipClaims": state.app.group_membership_claims,
        "codeLifetimeSeconds": state.codes.lifetime,
    }


async def app_registration(request: Request) -> Response:
    """The app manifest's `groupMembershipClaims` (None/null leaves `wids` out of ID tokens), and how
    long authorization codes last (Entra's is about ten minutes; tests shorten it)."""
    state = _state(request)
    if request.method == "POST":
        body = await request.json()
        if "groupMembershipClaims" in body:
            wanted = body["groupMembershipClaims"]
            if wanted is not None and wanted not in GROUP_MEMBERSHIP_CLAIMS:
                return _bad(f"groupMembershipClaims must be null or one of {sorted(GROUP_MEMBERSHIP_CLAIMS)}")
            state.app.group_membership_claims = wanted
        if "codeLifetimeSeconds" in body:
            state.codes.lifetime = float(body["codeLifetimeSeconds"])
    return JSONResponse(_app_view(state))


async def sign_id_token(request: Request) -> Response:
    """Sign the given claims with the simulator's ID token key: a test hook for tokens the endpoints
    never issue (expired, another issuer). Local and unauthenticated like all of `/_sim`."""
    claims = (await request.json()).get("claims")
    if not isinstance(claims, dict):
        return _bad("claims must be an object")
    return JSONResponse({"idToken": _state(request).signing.sign(claims)})


ROUTES = [
    Route("/_sim/health", health),
    Route("/_sim/tenants", list_tenants, methods=["GET"]),
    Route("/_sim/tenants", load_tenant, methods=["POST"]),
    Route("/_sim/tenants/synthetic", load_synthetic, methods=["POST"]),
    Route("/_sim/tenants/{tenant}", delete_tenant, methods=["DELETE"]),
    Route("/_sim/tenants/{tenant}/requests", requests_log, methods=["GET", "DELETE"]),
    Route("/_sim/tenants/{tenant}/mail", sent_mail, methods=["GET", "DELETE"]),
    Route("/_sim/tenants/{tenant}/consent", consent, methods=["GET", "POST"]),
    Route("/_sim/faults", faults, methods=["GET", "POST", "DELETE"]),
    Route("/_sim/app", app_registration, methods=["GET", "POST"]),
    Route("/_sim/id-tokens", sign_id_token, methods=["POST"]),
]
