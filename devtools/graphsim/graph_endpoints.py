"""The Graph resources the simulator serves: one entry per path a `GraphSource` uses, per API version.

Each entry says how Graph pages it, which query options it takes, its `@odata.context`, and where
its objects come from. Permissions and licences are not repeated here: they come from the sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from core.collect.sources import GRAPH_SOURCES, MICROSOFT_GRAPH_APP_ID, GraphSource
from devtools.graphsim import ca_policies, entra_depth, governance, governance_apps
from devtools.graphsim.state import SimState
from devtools.graphsim.tenant import Tenant

Items = Callable[[SimState, Tenant], Any]


@dataclass(frozen=True)
class Endpoint:
    path: str  # lower-cased, relative to /v1.0 or /beta
    context: str  # the @odata.context fragment after $metadata#
    items: Items
    entity: str = ""  # the type named in "Could not find a property named ..." errors
    default_page: int | None = None  # None: Graph returns the whole collection at once
    max_page: int = 999
    top_is_limit: bool = False  # $top caps the result instead of sizing pages
    denied_code: str = "Authorization_RequestDenied"
    expand: str = "principal"  # the one $expand value the endpoint takes (what the scanner sends)


def _data(key: str) -> Items:
    return lambda state, tenant: tenant.data[key]


def _missing(state: SimState, tenant: Tenant) -> frozenset[str]:
    return state.faults.missing_licences(tenant.id)


_LIST: tuple[Endpoint, ...] = (
    Endpoint("/organization", "organization", lambda s, t: [t.data["organization"]], "organization"),
    Endpoint("/subscribedskus", "subscribedSkus", lambda s, t: t.skus(_missing(s, t)), "subscribedSku"),
    Endpoint("/domains", "domains", _data("domains"), "domain"),
    Endpoint("/users", "users", lambda s, t: t.data["users"], "user", default_page=100),
    Endpoint(
        "/reports/authenticationmethods/userregistrationdetails",
        "reports/authenticationMethods/userRegistrationDetails",
        lambda s, t: t.registration_details(),
        "userRegistrationDetails",
        default_page=100,  # its permission, AuditLog.Read.All, has its own refusal (graph_access.py)
    ),
    # The scanner reads policies from beta; v1.0 is served too, leaving out what Graph leaves out.
    Endpoint(
        "/identity/conditionalaccess/policies",
        "identity/conditionalAccess/policies",
        lambda s, t: ca_policies.policies(t, "v1.0"),
        # 403 AccessDenied, "You cannot perform the requested operation, required scopes are missing in
        # the token." (AlexFilipin/ConditionalAccess#10; Microsoft365DSC/Microsoft365DSC#3556)
        denied_code="AccessDenied",
    ),
    # No public answer shows this endpoint's 403 code, so it keeps the default of the other /policies
    # resources; the scanner treats any 403 alike (a missing permission, named).
    Endpoint(
        "/policies/authenticationstrengthpolicies",
        "policies/authenticationStrengthPolicies",
        lambda s, t: ca_policies.strength_policies(t),
    ),
    Endpoint("/groupsettings", "groupSettings", _data("groupSettings"), "groupSetting"),
    Endpoint(
        "/rolemanagement/directory/roleassignments",
        "roleManagement/directory/roleAssignments",
        lambda s, t: t.role_assignments,
        default_page=100,
    ),
    Endpoint(
        "/rolemanagement/directory/roleassignmentschedules",
        "roleManagement/directory/roleAssignmentSchedules",
        lambda s, t: t.role_assignment_schedules,
        default_page=100,
        denied_code="AccessDenied",
    ),
    Endpoint(
        "/rolemanagement/directory/roleeligibilityschedules",
        "roleManagement/directory/roleEligibilitySchedules",
        lambda s, t: t.role_eligibility_schedules,
        default_page=100,
        denied_code="AccessDenied",
    ),
    Endpoint("/applications", "applications", _data("applications"), "application", default_page=100),
    Endpoint(
        f"/serviceprincipals(appid='{MICROSOFT_GRAPH_APP_ID}')/approleassignedto",
        f"servicePrincipals(appId='{MICROSOFT_GRAPH_APP_ID}')/appRoleAssignedTo",
        lambda s, t: t.graph_app_role_grants(s.permissions(t)),
        default_page=100,
    ),
    Endpoint("/security/securescores", "security/secureScores", _data("secureScores"), top_is_limit=True),
    # PIM role settings, each assignment with its policy and rules expanded; without P2 the PIM APIs
    # refuse (graph_access.check_licence). No public answer shows this endpoint's 403 code, so it
    # answers as the simulator's other PIM endpoints do.
    Endpoint(
        "/policies/rolemanagementpolicyassignments",
        "policies/roleManagementPolicyAssignments",
        lambda s, t: governance.pim_policies(t.data),
        denied_code="AccessDenied",
        expand="policy($expand=rules)",
    ),
    Endpoint(
        "/rolemanagement/directory/roleassignmentscheduleinstances",
        "roleManagement/directory/roleAssignmentScheduleInstances",
        lambda s, t: governance.assignment_instances(t.data, t.role_assignment_rows),
        default_page=100,
        denied_code="AccessDenied",
    ),
    # Access reviews need P2 (or ID Governance). No public answer shows how this API refuses a tenant
    # without it, so the simulator answers as it does for PIM (graph_access.check_licence).
    Endpoint(
        "/identitygovernance/accessreviews/definitions",
        "identityGovernance/accessReviews/definitions",
        lambda s, t: governance.access_reviews(t.data),
        "accessReviewScheduleDefinition",
        default_page=100,
    ),
    Endpoint(
        "/policies/appmanagementpolicies",
        "policies/appManagementPolicies",
        lambda s, t: governance_apps.custom_app_policies(t.data),
        "appManagementPolicy",
    ),
    Endpoint(
        "/oauth2permissiongrants",
        "oauth2PermissionGrants",
        lambda s, t: governance_apps.delegated_grants(t.data),
        "oAuth2PermissionGrant",
        default_page=100,
    ),
    Endpoint(
        "/serviceprincipals",
        "servicePrincipals",
        lambda s, t: governance_apps.service_principals(t.data, t.app_service_principal),
        "servicePrincipal",
        default_page=100,
    ),
    # Served for the one request the scanner sends, $filter=isAssignableToRole eq true (an "eq" filter
    # on that property needs no advanced query headers: learn.microsoft.com/graph/api/resources/group),
    # so the filter is applied here rather than parsed. Groups come 100 to a page without $top.
    Endpoint(
        "/groups",
        "groups",
        lambda s, t: entra_depth.role_assignable_groups(t.data.get("groups", [])),
        "group",
        default_page=100,
    ),
)
_OBJECTS: tuple[Endpoint, ...] = (
    Endpoint(
        "/policies/identitysecuritydefaultsenforcementpolicy",
        "policies/identitySecurityDefaultsEnforcementPolicy/$entity",
        _data("securityDefaults"),
    ),
    Endpoint(
        "/policies/authenticationmethodspolicy",
        "policies/authenticationMethodsPolicy/$entity",
        lambda s, t: entra_depth.methods_policy(t.data["authenticationMethodsPolicy"], "v1.0"),
    ),
    Endpoint(
        "/policies/authorizationpolicy", "policies/authorizationPolicy/$entity", _data("authorizationPolicy")
    ),
    Endpoint(
        "/policies/adminconsentrequestpolicy",
        "policies/adminConsentRequestPolicy/$entity",
        _data("adminConsentRequestPolicy"),
    ),
    Endpoint("/admin/sharepoint/settings", "admin/sharepoint/settings/$entity", _data("sharepointSettings")),
    Endpoint(
        "/policies/defaultappmanagementpolicy",
        "policies/defaultAppManagementPolicy/$entity",
        lambda s, t: governance_apps.default_app_policy(t.data),
    ),
    # The context is the one Microsoft Learn's example response shows (deviceregistrationpolicy-get); a
    # fixture without a policy of its own gets Microsoft's defaults, as a tenant that never changed them.
    Endpoint(
        "/policies/deviceregistrationpolicy",
        "deviceRegistrationPolicy",
        lambda s, t: (
            t.data.get("deviceRegistrationPolicy") or entra_depth.default_device_registration_policy()
        ),
    ),
)
_BETA_LIST: tuple[Endpoint, ...] = (
    Endpoint(
        "/identity/conditionalaccess/policies",
        "identity/conditionalAccess/policies",
        lambda s, t: ca_policies.policies(t, "beta"),
        denied_code="AccessDenied",
    ),
)
# Beta serves the authentication methods policy with its beta-only settings. Like the other single
# objects here, $select is accepted and the whole object returned (a superset of what was selected).
_BETA_OBJECTS: tuple[Endpoint, ...] = (
    Endpoint(
        "/policies/authenticationmethodspolicy",
        "policies/authenticationMethodsPolicy/$entity",
        lambda s, t: entra_depth.methods_policy(t.data["authenticationMethodsPolicy"], "beta"),
    ),
)
COLLECTIONS = {e.path: e for e in _LIST}
OBJECTS = {e.path: e for e in _OBJECTS}
BETA_COLLECTIONS = {e.path: e for e in _BETA_LIST}
# Per API version: (collections, objects). Beta serves only what the scanner reads from it.
BY_VERSION: dict[str, tuple[dict[str, Endpoint], dict[str, Endpoint]]] = {
    "v1.0": (COLLECTIONS, OBJECTS),
    "beta": (BETA_COLLECTIONS, {e.path: e for e in _BETA_OBJECTS}),
}


def split_source(source: GraphSource) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(source.path)
    return parts.path.lower(), parse_qsl(parts.query, keep_blank_values=True)


def _sources_by_path() -> dict[str, list[GraphSource]]:
    found: dict[str, list[GraphSource]] = {}
    for source in GRAPH_SOURCES:
        path, _ = split_source(source)
        found.setdefault(path, []).append(source)
    return found


SOURCES_BY_PATH = _sources_by_path()
# Query options each path takes: those the sources send there, plus $skiptoken on paged collections.
OPTIONS: dict[str, frozenset[str]] = {
    path: frozenset(
        {name for source in sources for name, _ in split_source(source)[1]}
        | ({"$skiptoken"} if path in COLLECTIONS and COLLECTIONS[path].default_page else set())
    )
    for path, sources in SOURCES_BY_PATH.items()
}


def source_for(path: str, select: list[str] | None) -> GraphSource:
    """The source a request corresponds to (the users path serves two: with and without sign-ins)."""
    sources = SOURCES_BY_PATH[path]
    if len(sources) == 1:
        return sources[0]
    wants_sign_ins = bool(select) and "signinactivity" in {p.lower() for p in select or []}
    for source in sources:
        if ("signInActivity" in source.path) == wants_sign_ins:
            return source
    return sources[0]


def unserved_sources() -> list[str]:
    """Names of sources with no endpoint here in their API version (a test keeps this empty)."""
    unserved = []
    for source in GRAPH_SOURCES:
        collections, objects = BY_VERSION[source.api_version]
        if split_source(source)[0] not in collections and split_source(source)[0] not in objects:
            unserved.append(source.name)
    return unserved
