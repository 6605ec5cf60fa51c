"""Tenant-wide settings in Graph's and Exchange's shapes, for a weak, mixed or strong posture.

Used by the synthetic generator and the demo fixtures alike. Every function returns plain JSON data
exactly as the real endpoint returns it (minus `@odata.context`, which the server adds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from devtools.graphsim.catalog import ADMIN_ROLES, AUTH_STRENGTH, GUEST_ROLE

Posture = Literal["weak", "mixed", "strong"]
POSTURES: tuple[Posture, ...] = ("weak", "mixed", "strong")
Json = dict[str, Any]


@dataclass
class PolicyContext:
    """What the settings refer to: ids of people and groups, dates, and an id generator."""

    posture: Posture
    tenant_id: str
    as_of: str  # ISO date the fixture's other dates are relative to
    new_id: Callable[[], str]
    break_glass_ids: list[str] = field(default_factory=list)
    admin_ids: list[str] = field(default_factory=list)
    mfa_exclusion_group_id: str = ""


def days_before(as_of: str, days: int) -> str:
    import datetime as dt

    when = dt.datetime.fromisoformat(as_of.replace("Z", "+00:00")) - dt.timedelta(days=days)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def security_defaults(enabled: bool) -> Json:
    return {
        "id": "00000000-0000-0000-0000-000000000000",
        "displayName": "Security Defaults",
        "description": "Security defaults is a set of basic identity security mechanisms recommended by "
        "Microsoft. When enabled, these recommendations will be automatically enforced in your "
        "organization. Administrators and users will be better protected from common identity "
        "related attacks.",
        "isEnabled": enabled,
    }


def _ca_policy(
    ctx: PolicyContext,
    name: str,
    state: str,
    *,
    users: Json,
    grant: Json | None,
    client_apps: list[str] | None = None,
    user_risk: list[str] | None = None,
    sign_in_risk: list[str] | None = None,
    transfer_methods: str | None = None,
    session: Json | None = None,
) -> Json:
    base_users: dict[str, Any] = {
        "includeUsers": [],
        "excludeUsers": [],
        "includeGroups": [],
        "excludeGroups": [],
        "includeRoles": [],
        "excludeRoles": [],
        "includeGuestsOrExternalUsers": None,
        "excludeGuestsOrExternalUsers": None,
    }
    base_users.update(users)
    return {
        "id": ctx.new_id(),
        "templateId": None,
        "displayName": name,
        "createdDateTime": days_before(ctx.as_of, 400),
        "modifiedDateTime": days_before(ctx.as_of, 60),
        "state": state,
        "sessionControls": session,
        "conditions": {
            "userRiskLevels": user_risk or [],
            "signInRiskLevels": sign_in_risk or [],
            "clientAppTypes": client_apps or ["all"],
            "servicePrincipalRiskLevels": [],
            "insiderRiskLevels": None,
            "platforms": None,
            "locations": None,
            "devices": None,
            "clientApplications": None,
            "authenticationFlows": {"transferMethods": transfer_methods} if transfer_methods else None,
            "applications": {
                "includeApplications": ["All"],
                "excludeApplications": [],
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
            },
            "users": base_users,
        },
        "grantControls": grant,
    }


def _grant(controls: list[str], *, operator: str = "OR", strength: str | None = None) -> Json:
    return {
        "operator": operator,
        "builtInControls": controls,
        "customAuthenticationFactors": [],
        "termsOfUse": [],
        # What an administrator sets: a reference; the simulator answers with the strength expanded.
        "authenticationStrength": {"id": AUTH_STRENGTH[strength]["id"]} if strength else None,
    }


def conditional_access_policies(ctx: PolicyContext) -> list[Json]:
    """None for a weak tenant; admins-only MFA and report-only legacy block for a mixed one; the
    complete baseline (phishing-resistant admin MFA, risk policies, device code blocked) for strong."""
    if ctx.posture == "weak":
        return []
    all_users = {"includeUsers": ["All"], "excludeUsers": list(ctx.break_glass_ids)}
    legacy = ["exchangeActiveSync", "other"]
    if ctx.posture == "mixed":
        return [
            _ca_policy(
                ctx,
                "Require MFA for administrators",
                "enabled",
                users={"includeRoles": list(ADMIN_ROLES)},
                grant=_grant(["mfa"]),
            ),
            _ca_policy(
                ctx,
                "Block legacy authentication",
                "enabledForReportingButNotEnforced",
                users=all_users,
                grant=_grant(["block"]),
                client_apps=legacy,
            ),
            _ca_policy(
                ctx,
                "Require MFA for all users",
                "enabled",
                users={**all_users, "excludeGroups": [ctx.mfa_exclusion_group_id]},
                grant=_grant(["mfa"]),
                client_apps=["browser", "mobileAppsAndDesktopClients"],
            ),
            _ca_policy(
                ctx,
                "Require compliant device (pilot)",
                "disabled",
                users={"includeGroups": [ctx.mfa_exclusion_group_id]},
                grant=_grant(["compliantDevice"]),
            ),
        ]
    sign_in_frequency = {
        "signInFrequency": {
            "value": 4,
            "type": "hours",
            "authenticationType": "primaryAndSecondaryAuthentication",
            "frequencyInterval": "timeBased",
            "isEnabled": True,
        },
        "persistentBrowser": {"mode": "never", "isEnabled": True},
        "applicationEnforcedRestrictions": None,
        "cloudAppSecurity": None,
        "disableResilienceDefaults": None,
        "continuousAccessEvaluation": None,
        "secureSignInSession": None,
    }
    admins = {"includeRoles": list(ADMIN_ROLES), "excludeUsers": list(ctx.break_glass_ids)}
    # Strict continuous access evaluation is a beta-only session control, so Graph v1.0 leaves this
    # baseline policy out of its answer: only a scanner that reads beta sees the tenant's MFA policy.
    strict_cae = {
        **{key: None for key in sign_in_frequency},
        "continuousAccessEvaluation": {"mode": "strictEnforcement"},
    }
    return [
        _ca_policy(
            ctx,
            "CA001 Require MFA for all users",
            "enabled",
            users=all_users,
            grant=_grant(["mfa"]),
            session=strict_cae,
        ),
        _ca_policy(
            ctx,
            "CA002 Phishing-resistant MFA for administrators",
            "enabled",
            users=admins,
            grant=_grant([], strength="phishingResistant"),
            session=sign_in_frequency,
        ),
        _ca_policy(
            ctx,
            "CA003 Block legacy authentication",
            "enabled",
            users=all_users,
            grant=_grant(["block"]),
            client_apps=legacy,
        ),
        _ca_policy(
            ctx,
            "CA004 Block device code flow",
            "enabled",
            users=all_users,
            grant=_grant(["block"]),
            transfer_methods="deviceCodeFlow,authenticationTransfer",
        ),
        _ca_policy(
            ctx,
            "CA005 High user risk requires password change",
            "enabled",
            users=all_users,
            grant=_grant(["mfa", "passwordChange"], operator="AND"),
            user_risk=["high"],
        ),
        _ca_policy(
            ctx,
            "CA006 Medium or high sign-in risk requires MFA",
            "enabled",
            users=all_users,
            grant=_grant(["mfa"]),
            sign_in_risk=["high", "medium"],
        ),
        _ca_policy(
            ctx,
            "CA007 Guests require MFA",
            "enabled",
            users={
                "includeGuestsOrExternalUsers": {
                    "guestOrExternalUserTypes": "b2bCollaborationGuest,b2bCollaborationMember",
                    "externalTenants": {"membershipKind": "all"},
                }
            },
            grant=_grant(["mfa"]),
        ),
    ]


def authorization_policy(ctx: PolicyContext) -> Json:
    weak, strong = ctx.posture == "weak", ctx.posture == "strong"
    # Graph spells grant policy ids with a lower-case m: "managePermissionGrantsForSelf.{id}"
    # (defaultUserRolePermissions, learn.microsoft.com/graph/api/resources/defaultuserrolepermissions).
    # Every tenant keeps Microsoft's resource-specific consent policies for Teams chats and teams; the
    # weak one also lets group owners consent to any app for their groups (built-in policy
    # microsoft-all-application-permissions-for-group, learn.microsoft.com/entra/identity/
    # enterprise-apps/configure-user-consent-groups).
    teams_rsc = [
        "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-chat",
        "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-team",
    ]
    grants = {
        "weak": [
            "managePermissionGrantsForSelf.microsoft-user-default-legacy",
            "managePermissionGrantsForOwnedResource.microsoft-all-application-permissions-for-group",
        ],
        "mixed": ["managePermissionGrantsForSelf.microsoft-user-default-low"],
        "strong": [],
    }[ctx.posture] + teams_rsc
    return {
        "id": "authorizationPolicy",
        "displayName": "Authorization Policy",
        "description": "Used to manage authorization related settings across the company.",
        "allowInvitesFrom": "everyone" if weak else "adminsAndGuestInviters",
        "allowedToSignUpEmailBasedSubscriptions": not strong,
        "allowedToUseSSPR": True,
        "allowEmailVerifiedUsersToJoinOrganization": weak,
        "allowUserConsentForRiskyApps": None,
        "blockMsolPowerShell": strong,
        "guestUserRoleId": GUEST_ROLE["member" if weak else "restricted" if strong else "limited"],
        "defaultUserRolePermissions": {
            "allowedToCreateApps": weak,
            "allowedToCreateSecurityGroups": not strong,
            "allowedToCreateTenants": weak,
            "allowedToReadBitlockerKeysForOwnedDevice": not strong,
            "allowedToReadOtherUsers": True,
            "permissionGrantPoliciesAssigned": grants,
        },
    }


def admin_consent_request_policy(ctx: PolicyContext) -> Json:
    enabled = ctx.posture != "weak"
    return {
        "isEnabled": enabled,
        "notifyReviewers": enabled,
        "remindersEnabled": enabled,
        "requestDurationInDays": 30 if enabled else 0,
        "version": 2 if enabled else 0,
        "reviewers": [
            {"query": f"/users/{uid}", "queryType": "MicrosoftGraph", "queryRoot": None}
            for uid in (ctx.admin_ids[:2] if enabled else [])
        ],
    }
