"""What a scan reads from a tenant: every Graph endpoint, Exchange cmdlet and DNS lookup, once.
Graph's sources are here; the cmdlet channels' (Exchange Online, Security & Compliance) are in
core/collect/cmdlet_sources.py and the admin services' (SharePoint, Teams) in admin_sources.py.

This list is the contract between the collector (which fetches each source once per scan, all of
them concurrently), the Graph simulator (which serves exactly these, in Graph's documented JSON
shapes) and the check catalogue (whose checks name the sources they read).

Licences are Microsoft service-plan names as they appear in `subscribedSkus.servicePlans`:
`AAD_PREMIUM` is Entra ID P1, `AAD_PREMIUM_P2` is Entra ID P2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.collect.admin_sources import (
    SHAREPOINT,
    SHAREPOINT_ADMIN_SOURCES,
    SHAREPOINT_ONLINE_APP_ID,
    TEAMS_PLAN,
    TEAMS_SOURCES,
    SharePointAdminSource,
    TeamsSource,
)
from core.collect.cmdlet_sources import (
    DEFENDER_P1,
    DEFENDER_P2,
    DEFENDER_SOURCES,
    EXCHANGE_SOURCES,
    MAILBOX_NAME_FIELDS,
    ExchangeSource,
)

# The cmdlet and admin channels' sources live in their own modules; importing them from here as
# well keeps "what a scan reads" one import. (`__all__` names only these re-exports; nothing here
# is star-imported.)
__all__ = [
    "DEFENDER_P1",
    "DEFENDER_P2",
    "DEFENDER_SOURCES",
    "EXCHANGE_SOURCES",
    "MAILBOX_NAME_FIELDS",
    "SHAREPOINT",
    "SHAREPOINT_ADMIN_SOURCES",
    "SHAREPOINT_ONLINE_APP_ID",
    "TEAMS_PLAN",
    "TEAMS_SOURCES",
    "ExchangeSource",
    "SharePointAdminSource",
    "TeamsSource",
]


P1 = "AAD_PREMIUM"
P2 = "AAD_PREMIUM_P2"

# Microsoft Graph's own application id; its service principal holds the app-role grants.
MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


@dataclass(frozen=True)
class GraphSource:
    """One Graph request (and its `@odata.nextLink` pages), on v1.0 unless v1.0 omits data."""

    name: str
    path: str  # relative to the Graph base URL, with the query string the scanner sends
    kind: Literal["collection", "object"]
    permission: str  # the application permission it needs
    licence: str | None = None  # service plan needed; without it Graph answers 403
    api_version: Literal["v1.0", "beta"] = "v1.0"

    def url(self, base_url: str) -> str:
        """The request URL; `base_url` is the v1.0 root (settings.graph_base_url)."""
        base = base_url.rstrip("/")
        if self.api_version == "v1.0":
            return base + self.path
        root, _, version = base.rpartition("/")
        if version != "v1.0":
            raise ValueError(f"cannot derive the {self.api_version} endpoint from {base_url!r}")
        return f"{root}/{self.api_version}{self.path}"

    # Properties every valid answer carries: an answer without them is an error, never data.
    required: tuple[str, ...] = ()
    # One row per user (or mailbox): many pages in a large tenant, read one after another, so the
    # collector starts these first (core.collect.collector).
    bulk: bool = False


# onPremisesImmutableId as well as onPremisesSyncEnabled: an account once synchronised keeps the anchor
# to its on-premises twin after sync stops (when onPremisesSyncEnabled turns false), and ScubaGear
# judges "cloud-only" by it (AADConfig.rego, MS.AAD.7.3v1).
USER_FIELDS = (
    "id,displayName,userPrincipalName,mail,accountEnabled,userType,onPremisesSyncEnabled,"
    "onPremisesImmutableId,createdDateTime,passwordPolicies,lastPasswordChangeDateTime,externalUserState,"
    # Which subscriptions each user holds, to tell administrators with mail, Teams or SharePoint plans
    # apart (core/checks/emergency_access.py): one more property on a read every scan makes anyway.
    "assignedLicenses"
)

GRAPH_SOURCES: tuple[GraphSource, ...] = (
    # createdDateTime decides what an unset password expiry means (core.checks.password_expiry).
    GraphSource(
        "organization",
        "/organization?$select=id,displayName,verifiedDomains,onPremisesSyncEnabled,createdDateTime",
        "collection",
        "Organization.Read.All",
    ),
    GraphSource(
        "subscribed_skus",
        "/subscribedSkus?$select=skuId,skuPartNumber,capabilityStatus,servicePlans",
        "collection",
        "Organization.Read.All",
    ),
    GraphSource("domains", "/domains", "collection", "Domain.Read.All"),
    GraphSource("users", f"/users?$select={USER_FIELDS}&$top=999", "collection", "User.Read.All", bulk=True),
    # Pages that select signInActivity hold at most 500 users (List users, learn.microsoft.com/graph/
    # api/user-list; raised from 120 in microsoftgraph/microsoft-graph-docs-contrib#9591), and a larger
    # $top is refused rather than trimmed (microsoftgraph/msgraph-sdk-powershell#1898). Needs Entra ID P1.
    GraphSource(
        "user_sign_ins",
        "/users?$select=id,userType,accountEnabled,signInActivity&$top=500",
        "collection",
        "AuditLog.Read.All",
        P1,
        bulk=True,
    ),
    GraphSource(
        "user_registration_details",
        # Only what the checks read: the full record lists every registered method and more, about
        # twice the bytes per user. $select is what the Entra PowerShell module's -Property sends
        # (learn.microsoft.com/powershell/module/microsoft.entra.reports/
        # get-entraauthenticationmethoduserregistrationdetailreport).
        "/reports/authenticationMethods/userRegistrationDetails?$select=id,userPrincipalName,userType,"
        "isAdmin,isMfaCapable,isSystemPreferredAuthenticationMethodEnabled&$top=999",
        "collection",
        "AuditLog.Read.All",
        P1,
        bulk=True,
    ),
    GraphSource(
        "security_defaults",
        "/policies/identitySecurityDefaultsEnforcementPolicy",
        "object",
        "Policy.Read.All",
    ),
    # From beta: v1.0 leaves out every policy that uses a feature only beta has (for instance the
    # continuous access evaluation session control), so a tenant's real MFA or block policy can be
    # missing from its answer. Public evidence: microsoft/EntraExporter#35 (its maintainer: "a recent
    # change to the API is excluding certain policies from v1 if they are using beta features", fixed
    # by reading beta), microsoftgraph/msgraph-sdk-powershell#431 (policies with device states missing
    # from the v1.0 cmdlet), AlexFilipin/ConditionalAccess#17 (policies with includeDevices not
    # returned from v1.0); ScubaGear (Get-MgBetaIdentityConditionalAccessPolicy) and Maester
    # (Get-MtConditionalAccessPolicy) read beta for the same reason. Only the properties the checks use
    # are parsed, and those have the same shape in both versions (core/checks/conditional_access.py).
    GraphSource(
        "conditional_access_policies",
        "/identity/conditionalAccess/policies",
        "collection",
        "Policy.Read.All",
        P1,
        api_version="beta",
    ),
    # Built-in and custom authentication strengths (Graph v1.0 "List authenticationStrengthPolicies"),
    # to judge a policy whose grant names a strength by id without its allowed combinations.
    GraphSource(
        "authentication_strength_policies",
        "/policies/authenticationStrengthPolicies",
        "collection",
        "Policy.Read.All",
    ),
    GraphSource(
        "authentication_methods_policy", "/policies/authenticationMethodsPolicy", "object", "Policy.Read.All"
    ),
    # The same policy from beta, for what v1.0 does not return: reportSuspiciousActivitySettings is
    # documented in beta only (learn.microsoft.com/graph/api/resources/reportsuspiciousactivitysettings;
    # Maester's EIDSCA.AG02 reads it from beta too). Only that property is selected.
    GraphSource(
        "authentication_methods_policy_beta",
        "/policies/authenticationMethodsPolicy?$select=id,reportSuspiciousActivitySettings",
        "object",
        "Policy.Read.All",
        api_version="beta",
        required=("reportSuspiciousActivitySettings",),
    ),
    GraphSource("authorization_policy", "/policies/authorizationPolicy", "object", "Policy.Read.All"),
    GraphSource(
        "admin_consent_request_policy", "/policies/adminConsentRequestPolicy", "object", "Policy.Read.All"
    ),
    GraphSource("directory_settings", "/groupSettings", "collection", "Directory.Read.All"),
    GraphSource(
        "role_assignments",
        "/roleManagement/directory/roleAssignments?$expand=principal",
        "collection",
        "RoleManagement.Read.Directory",
    ),
    GraphSource(
        "role_assignment_schedules",
        "/roleManagement/directory/roleAssignmentSchedules?$expand=principal",
        "collection",
        "RoleManagement.Read.Directory",
        P2,
    ),
    GraphSource(
        "role_eligibility_schedules",
        "/roleManagement/directory/roleEligibilitySchedules?$expand=principal",
        "collection",
        "RoleManagement.Read.Directory",
        P2,
    ),
    GraphSource(
        "applications",
        "/applications?$select=id,appId,displayName,createdDateTime,passwordCredentials,"
        "keyCredentials,requiredResourceAccess&$top=999",
        "collection",
        "Application.Read.All",
    ),
    GraphSource(
        "graph_app_role_grants",
        f"/servicePrincipals(appId='{MICROSOFT_GRAPH_APP_ID}')/appRoleAssignedTo?$top=999",
        "collection",
        "Application.Read.All",
    ),
    # PIM: the settings (rules) of every directory role, with each assignment's policy and its rules
    # expanded in one request ("List roleManagementPolicyAssignments", example "Get the details of all
    # role management policy assignments ... and expand the policy and its rules",
    # learn.microsoft.com/graph/api/policyroot-list-rolemanagementpolicyassignments; the filter on
    # scopeId and scopeType is required). ScubaGear reads the same assignments with the same filter
    # (ExportAADProvider.psm1, GetConfigurationsForRoles). Entra ID P2, as every PIM read.
    GraphSource(
        "pim_role_policies",
        "/policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'"
        "&$expand=policy($expand=rules)",
        "collection",
        "RoleManagementPolicy.Read.Directory",
        P2,
    ),
    # Each active assignment as PIM sees it: an assignment made outside PIM has no startDateTime, which
    # is how ScubaGear tells them apart (AADConfig.rego MS.AAD.7.5v1 over
    # Get-MgBetaRoleManagementDirectoryRoleAssignmentScheduleInstance). Entra ID P2.
    GraphSource(
        "role_assignment_instances",
        "/roleManagement/directory/roleAssignmentScheduleInstances?$select=id,principalId,roleDefinitionId,"
        "directoryScopeId,startDateTime,endDateTime,assignmentType,memberType",
        "collection",
        "RoleManagement.Read.Directory",
        P2,
    ),
    # The tenant-wide default app management policy, which always exists (disabled until turned on),
    # and the custom policies that override it for chosen apps (tenantAppManagementPolicy and
    # appManagementPolicy, learn.microsoft.com/graph/api/resources/tenantappmanagementpolicy). No
    # licence gates reading them; ScubaGear lists none for MS.AAD.5.5-5.7 (aad.md "License Requirements").
    GraphSource(
        "app_management_default",
        "/policies/defaultAppManagementPolicy",
        "object",
        "Policy.Read.All",
        required=("isEnabled",),
    ),
    GraphSource(
        "app_management_policies",
        "/policies/appManagementPolicies?$select=id,displayName,isEnabled,restrictions",
        "collection",
        "Policy.Read.All",
    ),
    # Delegated permission grants. Learn lists Directory.Read.All, which the scanner already holds, as
    # the least privileged application permission for reading them (Get oAuth2PermissionGrant and List
    # a service principal's oauth2PermissionGrants, learn.microsoft.com/graph/api/oauth2permissiongrant-get,
    # learn.microsoft.com/graph/api/serviceprincipal-list-oauth2permissiongrants), so existing customers
    # need not consent again.
    GraphSource(
        "delegated_grants",
        "/oauth2PermissionGrants?$select=id,clientId,consentType,principalId,resourceId,scope",
        "collection",
        "Directory.Read.All",
    ),
    # Access reviews (accessReviewScheduleDefinition, learn.microsoft.com/graph/api/
    # accessreviewset-list-definitions: least application permission AccessReview.Read.All). Access
    # reviews need Entra ID P2 or Entra ID Governance (learn.microsoft.com/entra/id-governance/
    # access-reviews-overview, "License requirements").
    GraphSource(
        "access_reviews",
        "/identityGovernance/accessReviews/definitions?$select=id,displayName,status,scope,"
        "instanceEnumerationScope,settings",
        "collection",
        "AccessReview.Read.All",
        P2,
    ),
    # Every service principal: who owns the app a grant names, and which API a grant is for.
    GraphSource(
        "service_principals",
        "/servicePrincipals?$select=id,appId,displayName,appOwnerOrganizationId,servicePrincipalType&$top=999",
        "collection",
        "Application.Read.All",
    ),
    GraphSource("secure_scores", "/security/secureScores?$top=1", "collection", "SecurityEvents.Read.All"),
    # Groups that can hold directory roles (learn.microsoft.com/graph/api/resources/group: isAssignableToRole
    # "Supports $filter (eq, ne, not)"), to tell whether a group excluded from Conditional Access is one
    # only Privileged Role Administrators can change (core/checks/ca_exclusions.py). GroupMember.Read.All
    # is the least permission for List groups; Directory.Read.All, which the scanner already holds, is
    # accepted as well, so existing customers need not consent again.
    GraphSource(
        "role_assignable_groups",
        "/groups?$filter=isAssignableToRole eq true&$select=id,displayName,isAssignableToRole&$top=999",
        "collection",
        "Directory.Read.All",
    ),
    # Who may join devices and who becomes their local administrator, and Windows LAPS
    # (learn.microsoft.com/graph/api/deviceregistrationpolicy-get: v1.0, application permission
    # Policy.Read.DeviceConfiguration, no licence). Every answer carries azureADJoin and
    # localAdminPassword (the documented default response has both), so one without them is an error.
    GraphSource(
        "device_registration_policy",
        "/policies/deviceRegistrationPolicy",
        "object",
        "Policy.Read.DeviceConfiguration",
        required=("azureADJoin", "localAdminPassword"),
    ),
    GraphSource(
        "sharepoint_settings",
        "/admin/sharepoint/settings",
        "object",
        "SharePointTenantSettings.Read.All",
        required=("sharingCapability",),
    ),
)

# Read once per group that holds a directory role (in role_assignments or role_eligibility_schedules),
# after those are read: `{group}` is the group's id, and each source's data is a mapping from group id
# to the collection read for it.
GROUP_PLACEHOLDER = "{group}"
ROLE_GROUP_SOURCES: tuple[GraphSource, ...] = (
    # Every member, nested ones included, each with its @odata.type. GroupMember.Read.All is the least
    # permission; Directory.Read.All, which the scanner already holds, is accepted as well (List group
    # transitive members, learn.microsoft.com/graph/api/group-list-transitivemembers), so existing
    # customers need not consent again.
    GraphSource(
        "role_group_members", "/groups/{group}/transitiveMembers", "collection", "Directory.Read.All"
    ),
    # PIM for Groups: who is eligible to become a member. Readable app-only with
    # PrivilegedEligibilitySchedule.Read.AzureADGroup, and only per group: the request must filter on
    # groupId or principalId (List eligibilityScheduleInstances, learn.microsoft.com/graph/api/
    # privilegedaccessgroup-list-eligibilityscheduleinstances). Active PIM assignments need no read of
    # their own: an active member is a member, so transitiveMembers lists them. Needs Entra ID P2.
    GraphSource(
        "role_group_eligibility",
        "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
        "?$filter=groupId eq '{group}'",
        "collection",
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        P2,
    ),
)

# Read once per user who holds Global Administrator (actively, as eligible, or through a group), after
# the role sources and the role groups are read: `{user}` is the user's id, and the source's data maps
# the user id to the collection read for it (core/collect/admin_methods.py). Global Administrators are
# few by design, so this costs a handful of requests, not one per user.
USER_PLACEHOLDER = "{user}"
ADMIN_USER_SOURCES: tuple[GraphSource, ...] = (
    # List methods, learn.microsoft.com/graph/api/authentication-list-methods: least application
    # permission UserAuthenticationMethod.Read.All.
    GraphSource(
        "admin_auth_methods",
        "/users/{user}/authentication/methods",
        "collection",
        "UserAuthenticationMethod.Read.All",
    ),
)


# DNS: for every verified domain that is not *.onmicrosoft.com, the collector stores under
# source "dns" a mapping  domain -> {"spf": [TXT strings starting "v=spf1"],
# "dmarc": [TXT strings at _dmarc.<domain>], "dkim": {"selector1": CNAME target or None,
# "selector2": CNAME target or None}}  (lookups that fail with NXDOMAIN/no answer give [] / None).
DNS_SOURCE = "dns"

ALL_SOURCE_NAMES: frozenset[str] = frozenset(
    [s.name for s in (*GRAPH_SOURCES, *ROLE_GROUP_SOURCES, *ADMIN_USER_SOURCES)]
    + [s.name for s in EXCHANGE_SOURCES]
    + [s.name for s in SHAREPOINT_ADMIN_SOURCES]
    + [s.name for s in TEAMS_SOURCES]
    + [DNS_SOURCE]
)


def graph_source(name: str) -> GraphSource:
    for source in GRAPH_SOURCES:
        if source.name == name:
            return source
    raise KeyError(name)
