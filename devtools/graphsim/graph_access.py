"""Who may read what in Graph: bearer tokens, application permissions and licences."""

from __future__ import annotations

from starlette.requests import Request

from core.collect.sources import P1, P2, GraphSource
from devtools.graphsim.catalog import PERMISSION_ALTERNATIVES
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Tenant
from devtools.graphsim.tokens import AccessToken, TokenRejected, bearer

DENIED = "Insufficient privileges to complete the operation."


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def authenticate(state: SimState, request: Request, audience: str) -> AccessToken:
    token = state.tokens.verify(bearer(request.headers.get("authorization")))
    if token.audience.rstrip("/") != audience:
        raise TokenRejected("Access token validation failure. Invalid audience.")
    return token


def holds(roles: frozenset[str], permission: str) -> bool:
    return permission in roles or bool(roles & PERMISSION_ALTERNATIVES.get(permission, frozenset()))


def check_access(
    state: SimState, tenant: Tenant, token: AccessToken, needs: list[str], denied_code: str
) -> None:
    # Roles must be in the token and still granted: a permission removed at run time refuses
    # tokens issued before, so a test needs no token cache flush.
    roles = token.roles & state.permissions(tenant)
    if not all(holds(roles, permission) for permission in needs):
        message = (
            DENIED
            if denied_code == "Authorization_RequestDenied"
            else ("You cannot perform the requested operation, required scopes are missing in the token.")
        )
        raise GraphError(403, denied_code, message)


def check_licence(state: SimState, tenant: Tenant, source: GraphSource) -> None:
    if source.licence is None or tenant.has_licence(source.licence, state.faults.missing_licences(tenant.id)):
        return
    if source.licence == P2:
        # PIM endpoints refuse a tenant without P2 with a 400, not a 403.
        raise GraphError(
            400,
            "AadPremiumLicenseRequired",
            "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
        )
    assert source.licence == P1
    raise GraphError(
        403,
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        "Neither tenant is B2C or tenant doesn't have premium license",
    )
