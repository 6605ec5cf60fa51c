"""A loaded tenant: the fixture plus the Graph and Exchange objects derived from its compact users.

A fixture stores each person once (see `people.py`); users, sign-in activity, registration details,
role assignments and mailboxes are derived here on first use, so loading hundreds of tenants stays
cheap and a tenant nobody scans costs nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from typing import Any

from core.collect.sources import P1, P2
from devtools.graphsim import views
from devtools.graphsim.catalog import GRAPH_APP_ROLE, PROVIDER_TENANT_ID, ROLE, SIM_APP_ID, SIM_APP_NAME
from devtools.graphsim.views import stable_id

Json = dict[str, Any]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
_REQUIRED = (
    "id",
    "displayName",
    "initialDomain",
    "app",
    "organization",
    "domains",
    "subscribedSkus",
    "users",
    "roleAssignments",
    "securityDefaults",
    "conditionalAccessPolicies",
    "authenticationMethodsPolicy",
    "authorizationPolicy",
    "adminConsentRequestPolicy",
    "groupSettings",
    "applications",
    "graphAppRoleGrants",
    "secureScores",
    "sharepointSettings",
    "exchange",
    "dns",
)
_USER_PROPS = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
    "accountEnabled",
    "userType",
    "onPremisesSyncEnabled",
    "onPremisesImmutableId",
    "createdDateTime",
    "passwordPolicies",
    "lastPasswordChangeDateTime",
    "externalUserState",
    "department",
    "usageLocation",
    "assignedLicenses",
)
USER_PROPS = frozenset(_USER_PROPS) | {"signInActivity"}
DEFAULT_USER_SELECT = _USER_PROPS[:11]  # what Graph returns for a user without $select


class FixtureError(ValueError):
    """A tenant fixture is missing something the simulator needs."""


def shift_dates(value: Any, delta: dt.timedelta) -> Any:
    """Every ISO timestamp in a fixture moved by `delta` (fixtures are written relative to asOf)."""
    if isinstance(value, dict):
        return {k: shift_dates(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [shift_dates(v, delta) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[10] == "T" and _DATE.match(value):
        moved = dt.datetime.fromisoformat(value[:19]) + delta
        return moved.isoformat(timespec="seconds") + "Z"
    return value


class Tenant:
    def __init__(self, fixture: Json, *, today: dt.date | None = None) -> None:
        missing = [key for key in _REQUIRED if key not in fixture]
        if missing:
            raise FixtureError(f"fixture {fixture.get('id', '?')} lacks {', '.join(missing)}")
        as_of = fixture.get("asOf")
        if as_of:
            days = ((today or dt.datetime.now(dt.UTC).date()) - dt.date.fromisoformat(as_of[:10])).days
            if days:
                fixture = shift_dates(fixture, dt.timedelta(days=days))
        self.data = fixture
        self.id: str = fixture["id"].lower()
        self.display_name: str = fixture["displayName"]
        self.initial_domain: str = fixture["initialDomain"]
        app = fixture["app"]
        self.consent: str = app.get("consent", "granted")
        self.consent_error: str = app.get("consentError", "AADSTS7000229")
        self.permissions: frozenset[str] = frozenset(app.get("permissions", []))
        self.exchange_role: str | None = app.get("exchangeRole")
        # Office 365 SharePoint Online's own permissions, granted apart from Graph's.
        self.sharepoint_permissions: frozenset[str] = frozenset(app.get("sharepointPermissions", []))
        # False for a tenant that never had Exchange Online: Entra then refuses Exchange tokens (entra.py).
        self.exchange_online: bool = bool(fixture.get("exchangeOnline", True))
        self.app_sp_id: str = app.get("servicePrincipalId") or stable_id(self.id, "app-sp")
        self.generation = 0  # set by the state, so a reloaded tenant never sees the old one's pages

    @property
    def default_domain(self) -> str:
        for domain in self.data["domains"]:
            if domain.get("isDefault"):
                return str(domain["id"])
        return self.initial_domain

    @cached_property
    def domain_names(self) -> frozenset[str]:
        return frozenset(d["id"].lower() for d in self.data["domains"]) | {self.initial_domain.lower()}

    def summary(self) -> Json:
        return {"id": self.id, "displayName": self.display_name, "defaultDomain": self.default_domain}

    # -- licences -------------------------------------------------------------------------------

    def skus(self, missing: frozenset[str]) -> list[Json]:
        """subscribedSkus as Graph shows them once the `missing` service plans are switched off."""
        if not missing:
            return self.data["subscribedSkus"]
        return [
            {
                **sku,
                "servicePlans": [
                    {**plan, "provisioningStatus": "Disabled"} if plan["servicePlanName"] in missing else plan
                    for plan in sku.get("servicePlans", [])
                ],
            }
            for sku in self.data["subscribedSkus"]
        ]

    def licences(self, missing: frozenset[str]) -> frozenset[str]:
        return frozenset(
            plan["servicePlanName"]
            for sku in self.skus(missing)
            if sku.get("capabilityStatus") in ("Enabled", "Warning")
            for plan in sku.get("servicePlans", [])
            if plan.get("provisioningStatus") == "Success"
        )

    # -- people ---------------------------------------------------------------------------------

    @cached_property
    def users_by_key(self) -> dict[str, Json]:
        index: dict[str, Json] = {}
        for user in self.data["users"]:
            index[user["id"].lower()] = user
            index[user["userPrincipalName"].lower()] = user
        return index

    def sign_in_activity(self, user: Json) -> Json | None:
        return views.sign_in_view(user)

    @cached_property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(a["principalId"] for a in self.data["roleAssignments"])

    @cached_property
    def tenant_wide_roles(self) -> dict[str, frozenset[str]]:
        """Each principal's active directory roles scoped to the whole tenant, by role template id.

        `wids` "denotes the tenant-wide roles assigned to this user" (Access token claims reference,
        learn.microsoft.com/entra/identity-platform/access-token-claims-reference), so an assignment
        scoped to an administrative unit is left out, and so is a PIM-eligible one: an eligible user
        "must perform one or more actions to use the role" (learn.microsoft.com/entra/id-governance/
        privileged-identity-management/pim-configure)."""
        roles: dict[str, set[str]] = {}
        for a in self.data["roleAssignments"]:
            if a.get("kind", "active") == "active" and a.get("directoryScopeId", "/") == "/":
                roles.setdefault(a["principalId"], set()).add(a["roleDefinitionId"])
        return {principal: frozenset(ids) for principal, ids in roles.items()}

    def can_sign_in(self, user: Json) -> bool:
        """Enabled members: the sign-in the simulator offers is a member's in their own tenant."""
        return bool(user.get("accountEnabled")) and user.get("userType") == "Member"

    def registration_details(self) -> list[Json]:
        # Not kept: the serialized pages are, and holding both would double a tenant's memory.
        return views.registration_details(self.data, self.admin_ids)

    # -- directory roles ------------------------------------------------------------------------

    @property
    def app_service_principal(self) -> Json:
        return {
            "id": self.app_sp_id,
            "appId": SIM_APP_ID,
            "displayName": SIM_APP_NAME,
            "servicePrincipalType": "Application",
            "appOwnerOrganizationId": PROVIDER_TENANT_ID,
        }

    @cached_property
    def principals(self) -> dict[str, Json]:
        return views.principals(self.data, self.app_service_principal)

    @cached_property
    def _assignments(self) -> list[Json]:
        rows = list(self.data["roleAssignments"])
        role = ROLE.get(self.exchange_role or "")
        if role:  # the role the scanner's service principal holds so Exchange answers it
            rows.append(
                {
                    "id": stable_id(self.id, "app-role"),
                    "principalId": self.app_sp_id,
                    "roleDefinitionId": role,
                    "directoryScopeId": "/",
                    "kind": "active",
                    "startDateTime": self.data["organization"].get("createdDateTime"),
                    "endDateTime": None,
                }
            )
        return rows

    @property
    def role_assignment_rows(self) -> list[Json]:
        """The fixture's assignments plus the scanner's own role, as stored (kind, start and end)."""
        return self._assignments

    @cached_property
    def role_assignments(self) -> list[Json]:
        return [
            {
                "id": a["id"],
                "principalId": a["principalId"],
                "directoryScopeId": a.get("directoryScopeId", "/"),
                "roleDefinitionId": a["roleDefinitionId"],
                "principal": self.principals.get(a["principalId"]),
            }
            for a in self._assignments
            if a.get("kind", "active") == "active"
        ]

    @cached_property
    def role_assignment_schedules(self) -> list[Json]:
        return [
            views.schedule(a, self.principals.get(a["principalId"]), active=True)
            for a in self._assignments
            if a.get("kind", "active") == "active"
        ]

    @cached_property
    def role_eligibility_schedules(self) -> list[Json]:
        return [
            views.schedule(a, self.principals.get(a["principalId"]), active=False)
            for a in self._assignments
            if a.get("kind") == "eligible"
        ]

    # -- role-assignable groups ------------------------------------------------------------------

    @cached_property
    def groups_by_id(self) -> dict[str, Json]:
        return {g["id"].lower(): g for g in self.data.get("groups", [])}

    def group_members(self, group_id: str) -> list[Json] | None:
        """A group's members as directoryObjects (role-assignable groups cannot nest, so the direct
        members are all of them), or None when there is no such group."""
        group = self.groups_by_id.get(group_id.lower())
        if group is None:
            return None
        return [
            views.member_view(self.principals[m]) for m in group.get("members", []) if m in self.principals
        ]

    def group_eligibility(self, field: str, value: str) -> list[Json]:
        """PIM for Groups eligibility instances whose groupId or principalId is `value`."""
        rows = [
            views.group_eligibility_instance(group, principal_id)
            for group in self.data.get("groups", [])
            for principal_id in group.get("eligibleMembers", [])
        ]
        return [row for row in rows if str(row[field]).lower() == value.lower()]

    def graph_app_role_grants(self, permissions: frozenset[str]) -> list[Json]:
        """The fixture's grants plus the scanner app's own, as currently granted."""
        ours = [
            {
                "id": stable_id(self.id, "grant", name),
                "deletedDateTime": None,
                "appRoleId": GRAPH_APP_ROLE[name],
                "createdDateTime": self.data["organization"].get("createdDateTime"),
                "principalDisplayName": SIM_APP_NAME,
                "principalId": self.app_sp_id,
                "principalType": "ServicePrincipal",
                "resourceDisplayName": "Microsoft Graph",
                "resourceId": self.data.get("graphServicePrincipalId") or stable_id(self.id, "graph-sp"),
            }
            for name in sorted(permissions)
            if name in GRAPH_APP_ROLE
        ]
        return [*self.data["graphAppRoleGrants"], *ours]

    # -- Exchange -------------------------------------------------------------------------------

    def mailboxes(self) -> list[Json]:
        audit = self.data["exchange"].get("mailboxAuditActions")
        return views.mailboxes([u for u in self.data["users"] if u.get("mailbox")], audit)

    def cas_mailboxes(self) -> list[Json]:
        return views.cas_mailboxes([u for u in self.data["users"] if u.get("mailbox")])

    def has_licence(self, licence: str, missing: frozenset[str]) -> bool:
        return licence in self.licences(missing) if licence in (P1, P2) else True
