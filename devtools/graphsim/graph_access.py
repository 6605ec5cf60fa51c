"""Who may read what in Graph: bearer tokens, application permissions and licences."""

from __future__ import annotations

from starlette.requests import Request

from core.collect.sources import P1, P2, GraphSource
from devtools.graphsim.catalog import PERMISSION_ALTERNATIVES
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Tenant
from devtools.graphsim.tokens import AccessToken, TokenRejected, bearer

DENIED = "Insufficient privileges to complete the operation."
# Graph names AuditLog.Read.All itself when a read needs it and the token lacks it, with its own code,
# both for signInActivity (microsoftgraph/microsoft-graph-explorer-v4#2731) and for the registration
# report (microsoftgraph/microsoft-graph-docs-contrib#1852): 403 with this code and message.
MISSING_PERMISSION_ANSWERS = {
    "AuditLog.Read.All": (
        "Authentication_MSGraphPermissionMissing",
        "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
    )
}
# The reads whose licence check Graph is documented to fail for tenants that hold the licence: users
# with signInActivity and the registration report answer Authentication_RequestFromNonPremiumTenantOrB2CTenant
# "9/10 times" on a P1 tenant (microsoftgraph/microsoft-graph-docs-contrib#3033, -docs#12537, #11986).
# The `licence_check_fails` fault makes them answer so every time.
UNRELIABLE_LICENCE_CHECK = frozenset({"/users", "/reports/authenticationmethods/userregistrationdetails"})
NON_PREMIUM = (
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Neither tenant is B2C or tenant doesn't have premium license",
)


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
    missing = [permission for permission in needs if not holds(roles, permission)]
    for permission in missing:
        if permission in MISSING_PERMISSION_ANSWERS:
            raise GraphError(403, *MISSING_PERMISSION_ANSWERS[permission])
    if missing:
        message = (
            DENIED
            if denied_code == "Authorization_RequestDenied"
            else ("You cannot perform the requested operation, required scopes are missing in the token.")
        )
        raise GraphError(403, denied_code, message)


def check_licence(state: SimState, tenant: Tenant, source: GraphSource, path: str) -> None:
    unreliable = source.licence == P1 and path in UNRELIABLE_LICENCE_CHECK
    if unreliable and state.faults.flag(tenant.id, "licence_check_fails"):
        raise GraphError(403, *NON_PREMIUM)
    if source.licence is None or tenant.has_licence(source.licence, state.faults.missing_licences(tenant.id)):
        return
    if source.licence == P2:
        # PIM endpoints refuse a tenant without P2 with a 400, not a 403
        # (JulianHayward/Azure-MG-Sub-Governance-Reporting#114 shows the code and status).
        raise GraphError(
            400,
            "AadPremiumLicenseRequired",
            "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
        )
    assert source.licence == P1
    # learn.microsoft.com/troubleshoot/entra/entra-id/users-groups-entra-apis/
    # b2c-or-tenant-premium-license-sign-in-activities
    raise GraphError(403, *NON_PREMIUM)
