"""What a scan reads from a tenant: every Graph endpoint, Exchange cmdlet and DNS lookup, once.

This list is the contract between the collector (which fetches each source once per scan, all of
them concurrently), the Graph simulator (which serves exactly these, in Graph's documented JSON
shapes) and the check catalogue (whose checks name the sources they read).

Licences are Microsoft service-plan names as they appear in `subscribedSkus.servicePlans`:
`AAD_PREMIUM` is Entra ID P1, `AAD_PREMIUM_P2` is Entra ID P2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

P1 = "AAD_PREMIUM"
P2 = "AAD_PREMIUM_P2"
# Microsoft Defender for Office 365 Plan 1 and Plan 2 (Plan 2 includes everything Plan 1 does).
DEFENDER_P1 = "ATP_ENTERPRISE"
DEFENDER_P2 = "THREAT_INTELLIGENCE"

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


@dataclass(frozen=True)
class ExchangeSource:
    """One Exchange Online admin API `InvokeCommand` call (a read-only Get- cmdlet), or one on the
    Security & Compliance endpoint (`endpoint="compliance"`: the same API, its own token resource)."""

    name: str
    cmdlet: str
    parameters: dict[str, object] = field(default_factory=dict)
    permission: str = "Exchange.ManageAsApp"
    # The service plan the cmdlet needs: Exchange provisions Defender for Office 365 cmdlets only in
    # tenants that hold it, and answers an unknown cmdlet otherwise (core.collect.failures).
    licence: str | None = None
    endpoint: Literal["exchange", "compliance"] = "exchange"


# onPremisesImmutableId as well as onPremisesSyncEnabled: an account once synchronised keeps the anchor
# to its on-premises twin after sync stops (when onPremisesSyncEnabled turns false), and ScubaGear
# judges "cloud-only" by it (AADConfig.rego, MS.AAD.7.3v1).
USER_FIELDS = (
    "id,displayName,userPrincipalName,mail,accountEnabled,userType,onPremisesSyncEnabled,"
    "onPremisesImmutableId,createdDateTime,passwordPolicies,lastPasswordChangeDateTime,externalUserState"
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
    GraphSource("users", f"/users?$select={USER_FIELDS}&$top=999", "collection", "User.Read.All"),
    # Pages that select signInActivity hold at most 500 users (List users, learn.microsoft.com/graph/
    # api/user-list; raised from 120 in microsoftgraph/microsoft-graph-docs-contrib#9591), and a larger
    # $top is refused rather than trimmed (microsoftgraph/msgraph-sdk-powershell#1898). Needs Entra ID P1.
    GraphSource(
        "user_sign_ins",
        "/users?$select=id,userType,accountEnabled,signInActivity&$top=500",
        "collection",
        "AuditLog.Read.All",
        P1,
    ),
    GraphSource(
        "user_registration_details",
        "/reports/authenticationMethods/userRegistrationDetails?$top=999",
        "collection",
        "AuditLog.Read.All",
        P1,
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
    GraphSource("secure_scores", "/security/secureScores?$top=1", "collection", "SecurityEvents.Read.All"),
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

# Threat policies of Exchange Online Protection (every tenant) and Defender for Office 365 (Plan 1),
# judged by core/checks/defender*.py through the resolver in core/checks/defender_policies.py.
DEFENDER_SOURCES: tuple[ExchangeSource, ...] = (
    ExchangeSource("exo_accepted_domains", "Get-AcceptedDomain"),
    ExchangeSource("defender_eop_preset_rules", "Get-EOPProtectionPolicyRule"),
    ExchangeSource("defender_antiphish_policies", "Get-AntiPhishPolicy"),
    ExchangeSource("defender_antiphish_rules", "Get-AntiPhishRule"),
    ExchangeSource("defender_antispam_policies", "Get-HostedContentFilterPolicy"),
    ExchangeSource("defender_antispam_rules", "Get-HostedContentFilterRule"),
    ExchangeSource("defender_connection_filter", "Get-HostedConnectionFilterPolicy"),
    ExchangeSource("defender_malware_policies", "Get-MalwareFilterPolicy"),
    ExchangeSource("defender_malware_rules", "Get-MalwareFilterRule"),
    ExchangeSource("defender_atp_preset_rules", "Get-ATPProtectionPolicyRule", licence=DEFENDER_P1),
    ExchangeSource("defender_safe_links_policies", "Get-SafeLinksPolicy", licence=DEFENDER_P1),
    ExchangeSource("defender_safe_links_rules", "Get-SafeLinksRule", licence=DEFENDER_P1),
    ExchangeSource("defender_safe_attachment_policies", "Get-SafeAttachmentPolicy", licence=DEFENDER_P1),
    ExchangeSource("defender_safe_attachment_rules", "Get-SafeAttachmentRule", licence=DEFENDER_P1),
    ExchangeSource("defender_atp_o365", "Get-AtpPolicyForO365", licence=DEFENDER_P1),
    ExchangeSource("defender_email_tenant_settings", "Get-EmailTenantSettings", licence=DEFENDER_P1),
)

EXCHANGE_SOURCES: tuple[ExchangeSource, ...] = (
    ExchangeSource("exo_transport_config", "Get-TransportConfig"),
    ExchangeSource("exo_cas_mailboxes", "Get-CASMailbox", {"ResultSize": "Unlimited"}),
    ExchangeSource("exo_organization_config", "Get-OrganizationConfig"),
    ExchangeSource("exo_admin_audit_log_config", "Get-AdminAuditLogConfig"),
    ExchangeSource("exo_outbound_spam_policies", "Get-HostedOutboundSpamFilterPolicy"),
    ExchangeSource("exo_remote_domains", "Get-RemoteDomain"),
    ExchangeSource("exo_external_in_outlook", "Get-ExternalInOutlook"),
    ExchangeSource("exo_dkim_signing_config", "Get-DkimSigningConfig"),
    ExchangeSource("exo_mailboxes", "Get-Mailbox", {"ResultSize": "Unlimited"}),
    *DEFENDER_SOURCES,
    # Mail flow and sharing policies (core/checks/exchange_policies.py, exchange_mailboxes.py).
    ExchangeSource("exo_transport_rules", "Get-TransportRule", {"ResultSize": "Unlimited"}),
    ExchangeSource("exo_sharing_policies", "Get-SharingPolicy"),
    ExchangeSource("exo_role_assignment_policies", "Get-RoleAssignmentPolicy"),
    ExchangeSource("exo_owa_mailbox_policies", "Get-OwaMailboxPolicy"),
    ExchangeSource(
        "exo_mailbox_audit_bypass", "Get-MailboxAuditBypassAssociation", {"ResultSize": "Unlimited"}
    ),
    # Security & Compliance PowerShell (core/checks/compliance.py).
    ExchangeSource("sc_protection_alerts", "Get-ProtectionAlert", endpoint="compliance"),
    ExchangeSource(
        "sc_audit_retention_policies", "Get-UnifiedAuditLogRetentionPolicy", endpoint="compliance"
    ),
    ExchangeSource("sc_dlp_policies", "Get-DlpCompliancePolicy", endpoint="compliance"),
)

# Microsoft Teams' plan: a tenant whose subscriptions lack it has no Teams settings to judge.
TEAMS_PLAN = "TEAMS1"


@dataclass(frozen=True)
class TeamsSource:
    """One read of the Teams admin service (core/collect/teams.py): every instance of one ConfigAPI
    type, the data the MicrosoftTeams module's `cmdlet` returns. No application permission is
    consented for it: the directory role the app's service principal holds authorises the call."""

    name: str
    config_type: str  # the path segment under /Skype.Policy/configurations/
    cmdlet: str  # the cmdlet that reads the same, named in the request and in failures
    permission: str | None = None
    licence: str = TEAMS_PLAN


TEAMS_SOURCES: tuple[TeamsSource, ...] = (
    TeamsSource("teams_federation", "TenantFederationSettings", "Get-CsTenantFederationConfiguration"),
    TeamsSource("teams_client_configuration", "TeamsClientConfiguration", "Get-CsTeamsClientConfiguration"),
    TeamsSource("teams_meeting_policies", "TeamsMeetingPolicy", "Get-CsTeamsMeetingPolicy"),
    TeamsSource(
        "teams_broadcast_policies", "TeamsMeetingBroadcastPolicy", "Get-CsTeamsMeetingBroadcastPolicy"
    ),
    TeamsSource("teams_messaging_policies", "TeamsMessagingPolicy", "Get-CsTeamsMessagingPolicy"),
    TeamsSource(
        "teams_app_permission_policies", "TeamsAppPermissionPolicy", "Get-CsTeamsAppPermissionPolicy"
    ),
)

# DNS: for every verified domain that is not *.onmicrosoft.com, the collector stores under
# source "dns" a mapping  domain -> {"spf": [TXT strings starting "v=spf1"],
# "dmarc": [TXT strings at _dmarc.<domain>], "dkim": {"selector1": CNAME target or None,
# "selector2": CNAME target or None}}  (lookups that fail with NXDOMAIN/no answer give [] / None).
DNS_SOURCE = "dns"

ALL_SOURCE_NAMES: frozenset[str] = frozenset(
    [s.name for s in (*GRAPH_SOURCES, *ROLE_GROUP_SOURCES)]
    + [s.name for s in EXCHANGE_SOURCES]
    + [s.name for s in TEAMS_SOURCES]
    + [DNS_SOURCE]
)


def graph_source(name: str) -> GraphSource:
    for source in GRAPH_SOURCES:
        if source.name == name:
            return source
    raise KeyError(name)
