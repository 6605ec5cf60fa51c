"""Tenant settings beyond the core policies: authentication methods, directory settings,
SharePoint sharing and Secure Score, in Graph's shapes, for a weak, mixed or strong posture."""

from __future__ import annotations

from typing import Any

from devtools.graphsim.catalog import GROUP_SETTING_TEMPLATE
from devtools.graphsim.policies import Json, PolicyContext, days_before


def _method(kind: str, method_id: str, state: str, **extra: Any) -> Json:
    return {
        "@odata.type": f"#microsoft.graph.{kind}AuthenticationMethodConfiguration",
        "id": method_id,
        "state": state,
        "excludeTargets": [],
        "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": False}],
        **extra,
    }


def _feature(state: str) -> Json:
    return {
        "state": state,
        "includeTarget": {"targetType": "group", "id": "all_users"},
        "excludeTarget": {"targetType": "group", "id": "00000000-0000-0000-0000-000000000000"},
    }


def authentication_methods_policy(ctx: PolicyContext) -> Json:
    weak, strong = ctx.posture == "weak", ctx.posture == "strong"
    on, off = "enabled", "disabled"
    app_info = "default" if weak else "enabled"
    return {
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "description": "The tenant-wide policy that controls which authentication methods are allowed in the "
        "tenant, authentication method registration requirements, and self-service password reset settings",
        "lastModifiedDateTime": days_before(ctx.as_of, 90),
        "policyVersion": "1.5",
        "policyMigrationState": "preMigration" if weak else "migrationComplete",
        "reconfirmationInDays": None,
        "registrationEnforcement": {
            "authenticationMethodsRegistrationCampaign": {
                "snoozeDurationInDays": 1,
                "enforceRegistrationAfterAllowedSnoozes": True,
                "state": "disabled" if weak else "enabled",
                "excludeTargets": [],
                "includeTargets": [
                    {
                        "id": "all_users",
                        "targetType": "group",
                        "targetedAuthenticationMethod": "microsoftAuthenticator",
                    }
                ],
            }
        },
        "authenticationMethodConfigurations": [
            _method(
                "fido2",
                "Fido2",
                on if not weak else off,
                isSelfServiceRegistrationAllowed=True,
                isAttestationEnforced=strong,
                keyRestrictions={"isEnforced": False, "enforcementType": "block", "aaGuids": []},
            ),
            _method(
                "microsoftAuthenticator",
                "MicrosoftAuthenticator",
                on,
                # Whether the app's own one-time codes may be used (microsoftAuthenticator
                # AuthenticationMethodConfiguration, learn.microsoft.com/graph/api/resources/
                # microsoftauthenticatorauthenticationmethodconfiguration): left on below strong.
                isSoftwareOathEnabled=not strong,
                featureSettings={
                    "numberMatchingRequiredState": _feature("enabled"),
                    "displayAppInformationRequiredState": _feature(app_info),
                    "displayLocationInformationRequiredState": _feature(app_info),
                },
            ),
            _method("sms", "Sms", off if strong else on),
            _method(
                "temporaryAccessPass",
                "TemporaryAccessPass",
                on if strong else off,
                defaultLifetimeInMinutes=60,
                defaultLength=8,
                minimumLifetimeInMinutes=60,
                maximumLifetimeInMinutes=480,
                isUsableOnce=strong,
            ),
            _method("softwareOath", "SoftwareOath", off if strong else on),
            _method("voice", "Voice", on if weak else off, isOfficePhoneAllowed=weak),
            _method("email", "Email", off if strong else on, allowExternalIdToUseEmailOtp="default"),
            _method(
                "x509Certificate",
                "X509Certificate",
                off,
                certificateUserBindings=[],
                authenticationModeConfiguration={
                    "x509CertificateAuthenticationDefaultMode": "x509CertificateSingleFactor",
                    "rules": [],
                },
            ),
        ],
    }


def group_settings(ctx: PolicyContext) -> list[Json]:
    unified = {
        "id": ctx.new_id(),
        "displayName": "Group.Unified",
        "templateId": GROUP_SETTING_TEMPLATE["Group.Unified"],
        "values": [
            {"name": "EnableGroupCreation", "value": "true" if ctx.posture == "weak" else "false"},
            {"name": "AllowGuestsToBeGroupOwner", "value": "false"},
            {"name": "AllowGuestsToAccessGroups", "value": "true"},
            {"name": "AllowToAddGuests", "value": "false" if ctx.posture == "strong" else "true"},
            {"name": "EnableMIPLabels", "value": "true" if ctx.posture == "strong" else "false"},
            {"name": "UsageGuidelinesUrl", "value": ""},
            {"name": "GroupCreationAllowedGroupId", "value": ""},
        ],
    }
    if ctx.posture == "weak":
        return [unified]
    strong = ctx.posture == "strong"
    password_rules = {
        "id": ctx.new_id(),
        "displayName": "Password Rule Settings",
        "templateId": GROUP_SETTING_TEMPLATE["Password Rule Settings"],
        "values": [
            # "Enforce" or "Audit", as Maester's EIDSCA check and the Entra admin center save it.
            {"name": "BannedPasswordCheckOnPremisesMode", "value": "Enforce" if strong else "Audit"},
            {"name": "EnableBannedPasswordCheckOnPremises", "value": "True"},
            {"name": "EnableBannedPasswordCheck", "value": "True" if strong else "False"},
            {"name": "LockoutDurationInSeconds", "value": "300" if strong else "60"},
            {"name": "LockoutThreshold", "value": "5" if strong else "10"},
            {
                "name": "BannedPasswordList",
                "value": "\t".join(["fabrikam", "winter2026", "password1"]) if strong else "",
            },
        ],
    }
    return [password_rules, unified]


def sharepoint_settings(ctx: PolicyContext, partner_domains: list[str]) -> Json:
    weak, strong = ctx.posture == "weak", ctx.posture == "strong"
    capability = {
        "weak": "externalUserAndGuestSharing",
        "mixed": "externalUserSharingOnly",
        "strong": "existingExternalUserSharingOnly",
    }[ctx.posture]
    return {
        "allowedDomainGuidsForSyncApp": [],
        "availableManagedPathsForSiteCreation": ["/sites/", "/teams/"],
        "deletedUserPersonalSiteRetentionPeriodInDays": 30 if weak else 365,
        "excludedFileExtensionsForSyncApp": [],
        "idleSessionSignOut": {
            "isEnabled": strong,
            "warnAfterInSeconds": 2700 if strong else None,
            "signOutAfterInSeconds": 3600 if strong else None,
        },
        "imageTaggingOption": "basic",
        "isCommentingOnSitePagesEnabled": True,
        "isFileActivityNotificationEnabled": True,
        "isLegacyAuthProtocolsEnabled": not strong,
        "isLoopEnabled": True,
        "isMacSyncAppEnabled": True,
        "isRequireAcceptingUserToMatchInvitedUserEnabled": not weak,
        "isResharingByExternalUsersEnabled": weak,
        "isSharePointMobileNotificationEnabled": True,
        "isSharePointNewsfeedEnabled": True,
        "isSiteCreationEnabled": not strong,
        "isSiteCreationUIEnabled": not strong,
        "isSitePagesCreationEnabled": True,
        "isSitesStorageLimitAutomatic": True,
        "isSyncButtonHiddenOnPersonalSite": False,
        "isUnmanagedSyncAppForTenantRestricted": strong,
        "personalSiteDefaultStorageLimitInMB": 1048576,
        "sharingAllowedDomainList": list(partner_domains) if strong else [],
        "sharingBlockedDomainList": [],
        "sharingCapability": capability,
        "sharingDomainRestrictionMode": "allowList" if strong else "none",
        "siteCreationDefaultManagedPath": "/sites/",
        "siteCreationDefaultStorageLimitInMB": 26214400,
        "tenantDefaultTimezone": "(UTC) Coordinated Universal Time",
    }


def secure_scores(ctx: PolicyContext, active_users: int, licensed_users: int, days: int = 3) -> list[Json]:
    """The last few daily snapshots, newest first (the order Graph returns them in)."""
    current = {"weak": 21.0, "mixed": 48.5, "strong": 71.25}[ctx.posture]
    controls = [
        ("Identity", "AdminMFAV2", {"weak": 0.0, "mixed": 10.0, "strong": 10.0}),
        ("Identity", "MFARegistrationV2", {"weak": 2.0, "mixed": 7.5, "strong": 9.0}),
        ("Identity", "BlockLegacyAuthentication", {"weak": 0.0, "mixed": 0.0, "strong": 8.0}),
        ("Identity", "IntegratedApps", {"weak": 0.0, "mixed": 4.0, "strong": 4.0}),
        ("Data", "mip_search_auditlog", {"weak": 0.0, "mixed": 3.0, "strong": 3.0}),
    ]
    snapshots = []
    for day in range(days):
        date = days_before(ctx.as_of, day)
        snapshots.append(
            {
                "id": f"{ctx.tenant_id}_{date[:10]}",
                "azureTenantId": ctx.tenant_id,
                "activeUserCount": active_users,
                "createdDateTime": date,
                "currentScore": current - day * 0.5,
                "enabledServices": ["HasExchange", "HasSharePoint", "HasOD4B", "HasMDEP"],
                "licensedUserCount": licensed_users,
                "maxScore": 302.0,
                "vendorInformation": {
                    "provider": "SecureScore",
                    "providerVersion": None,
                    "subProvider": None,
                    "vendor": "Microsoft",
                },
                "averageComparativeScores": [
                    {"basis": "AllTenants", "averageScore": 43.18},
                    {"basis": "TotalSeats", "averageScore": 39.4},
                ],
                "controlScores": [
                    {
                        "controlCategory": category,
                        "controlName": name,
                        "score": scores[ctx.posture],
                        "description": "",
                    }
                    for category, name, scores in controls
                ],
            }
        )
    return snapshots
