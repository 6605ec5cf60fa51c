"""Microsoft's well-known identifiers the simulator and its fixtures share.

Ids are the public-cloud values (role template ids, Graph app-role ids, SKU and service-plan ids), so
data built here reads exactly like data from a real tenant.
"""

from __future__ import annotations

from typing import Any

from core.collect.sources import P1, P2

# The multi-tenant ScanPosture app as the simulator knows it (a fixed id: it is not a secret).
SIM_APP_ID = "5013f6de-4c03-4ec5-85e0-dc4e2938fc0e"
SIM_APP_NAME = "ScanPosture Scanner"

EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
GRAPH_RESOURCE = "https://graph.microsoft.com"
EXCHANGE_RESOURCE = "https://outlook.office365.com"
# Security & Compliance PowerShell: a resource of the same Exchange Online service principal.
COMPLIANCE_RESOURCE = "https://ps.compliance.protection.outlook.com"
EXCHANGE_MANAGE_AS_APP = "Exchange.ManageAsApp"
EXCHANGE_PERMISSIONS = frozenset({EXCHANGE_MANAGE_AS_APP, "full_access_as_app"})
# Office 365 SharePoint Online's application permissions (a fixture's app.sharepointPermissions):
# a token for a SharePoint host carries these, and no Graph or Exchange ones.
SHAREPOINT_PERMISSIONS = frozenset({"Sites.FullControl.All"})
SHAREPOINT_ADMIN_SUFFIX = "-admin.sharepoint.com"

# Directory role template ids (unifiedRoleDefinition.templateId).
ROLE = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "SharePoint Administrator": "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "Billing Administrator": "b0f54661-2d74-4c50-afa3-1ec803f12efe",
    "Conditional Access Administrator": "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
    "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
}
GLOBAL_ADMIN = ROLE["Global Administrator"]
# The default "User" role every member holds; Entra lists it in `wids` after the admin roles, e.g.
# ["62e90394-...", "b79fbf4d-..."] in "HTTP 403 authorization error when calling the Microsoft Graph
# Security API" (learn.microsoft.com/troubleshoot/entra/entra-id/users-groups-entra-apis/
# 403-error-when-calling-microsoft-graph-security-api).
USER_ROLE = "b79fbf4d-3ef9-4689-8143-76b194e85509"
# Roles a "require MFA for administrators" policy targets (Microsoft's template uses these).
ADMIN_ROLES = [ROLE[name] for name in ROLE if name != "Global Reader"]

# Microsoft Graph application permissions (app roles of the Graph service principal).
GRAPH_APP_ROLE = {
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    "Domain.Read.All": "dbb9058a-0e50-45d7-ae91-66909b5d4664",
    "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
    "Policy.Read.DeviceConfiguration": "bdba4817-6ba1-4a7c-8a01-be9bc7c242dd",
    "AuditLog.Read.All": "b0afded3-3588-46d8-8b3d-9842eff778da",
    "RoleManagement.Read.Directory": "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    "RoleManagementPolicy.Read.Directory": "fdc4c997-9942-4479-bfcb-75a36d1138df",
    "AccessReview.Read.All": "d07a8cc0-3d51-4b77-b3b0-32704d1f69fa",
    "UserAuthenticationMethod.Read.All": "38d9df27-64da-44fd-b7c5-a6fbac20248f",
    "PrivilegedEligibilitySchedule.Read.AzureADGroup": "edb419d6-7edc-42a3-9345-509bfdf5d87c",
    "RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
    "SecurityEvents.Read.All": "bf394140-e372-4bf9-a898-299cfc7564e5",
    "SharePointTenantSettings.Read.All": "83d4163d-a2d8-4d3b-9695-4ae3ca98f888",
    "Mail.Send": "b633e1c5-b582-4048-a93e-9f11b44c7e96",
    "Mail.Read": "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
    "Mail.ReadWrite": "e2a3a72e-5f79-4c64-b1b1-878b674786c9",
    "Files.ReadWrite.All": "75359482-378d-4052-8f01-80520e7db3cd",
    "Sites.FullControl.All": "a82116e5-55eb-4c41-a434-62fe8a61c773",
}

# Graph accepts a more privileged permission in place of the least privileged one.
PERMISSION_ALTERNATIVES: dict[str, frozenset[str]] = {
    "User.Read.All": frozenset({"User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}),
    "Organization.Read.All": frozenset({"Directory.Read.All", "Directory.ReadWrite.All"}),
    "Domain.Read.All": frozenset({"Directory.Read.All", "Directory.ReadWrite.All"}),
    "Application.Read.All": frozenset(
        {"Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
    ),
    "RoleManagement.Read.Directory": frozenset(
        {"RoleManagement.ReadWrite.Directory", "Directory.Read.All", "Directory.ReadWrite.All"}
    ),
    "Directory.Read.All": frozenset({"Directory.ReadWrite.All"}),
    # The higher-privileged permissions "List roleManagementPolicyAssignments" and "List methods" accept
    # (learn.microsoft.com/graph/api/policyroot-list-rolemanagementpolicyassignments,
    # learn.microsoft.com/graph/api/authentication-list-methods).
    "RoleManagementPolicy.Read.Directory": frozenset(
        {
            "RoleManagement.Read.Directory",
            "RoleManagementPolicy.ReadWrite.Directory",
            "RoleManagement.ReadWrite.Directory",
        }
    ),
    "UserAuthenticationMethod.Read.All": frozenset({"UserAuthenticationMethod.ReadWrite.All"}),
    "Mail.Send": frozenset(),
}

# Service plan name -> servicePlanId.
SERVICE_PLAN = {
    P1: "41781fb2-bc02-4b7c-bd55-b576c07bb09d",
    P2: "eec0eb4f-6444-4f95-aba0-50c24d67f998",
    "MFA_PREMIUM": "8a256a2b-b617-496d-b51b-e76466e88db0",
    "EXCHANGE_S_STANDARD": "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
    "EXCHANGE_S_ENTERPRISE": "efb87545-963c-4e0d-99df-69c6916d9eb0",
    "SHAREPOINTSTANDARD": "c7699d2e-19aa-44de-8edf-1736da088ca1",
    "SHAREPOINTENTERPRISE": "5dbe027f-2339-4123-9542-606e4d348a72",
    "TEAMS1": "57ff2da0-773e-42df-b2af-ffb7a2317929",
    "MCOSTANDARD": "0feaeb32-d00e-4d66-bd5a-43b5b83db82c",
    "INTUNE_A": "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
    "ATP_ENTERPRISE": "f20fedf3-f3c3-43c3-8267-2bfdd51c0939",
    "THREAT_INTELLIGENCE": "8e0c0a52-6a6c-4d40-8370-dd62790dcd70",  # Defender for Office 365 Plan 2
    "OFFICESUBSCRIPTION": "43de0ff5-c92c-492b-9116-175376d08c38",
    "EXCHANGE_S_FOUNDATION": "113feb6c-3fe4-4440-bddc-54d774bf0318",
    "LOCKBOX_ENTERPRISE": "9f431833-0334-42de-a7dc-70aa40db46db",  # Customer Lockbox (E5)
    "M365_ADVANCED_AUDITING": "2f442157-a11c-46b9-ae5b-6e39ff4e5849",  # Audit (Premium) (E5)
    "BPOS_S_DlpAddOn": "9bec7e34-c9fa-40b7-a9d1-bd6d1165c7ed",  # Data loss prevention (Business Premium)
}

# skuPartNumber -> (skuId, service plans it carries).
SKU: dict[str, tuple[str, tuple[str, ...]]] = {
    "O365_BUSINESS_PREMIUM": (  # Microsoft 365 Business Standard: no Entra ID P1
        "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
        ("EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "TEAMS1", "MCOSTANDARD", "OFFICESUBSCRIPTION"),
    ),
    "SPB": (  # Microsoft 365 Business Premium: P1
        "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        (
            P1,
            "MFA_PREMIUM",
            "EXCHANGE_S_STANDARD",
            "SHAREPOINTSTANDARD",
            "TEAMS1",
            "INTUNE_A",
            "ATP_ENTERPRISE",
            "BPOS_S_DlpAddOn",
        ),
    ),
    "SPE_E3": (
        "05e9a617-0261-4cee-bb44-138d3ef5d965",
        (P1, "MFA_PREMIUM", "EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "TEAMS1", "INTUNE_A"),
    ),
    "EMSPREMIUM": (  # Enterprise Mobility + Security E5: P1 and P2, no Exchange, SharePoint or Teams
        "b05e124f-c7cc-45a0-a6aa-8cf78c946968",
        (P1, P2, "MFA_PREMIUM", "INTUNE_A"),
    ),
    "SPE_E5": (  # Microsoft 365 E5: P1 and P2, Defender for Office 365 Plan 2
        "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        (
            P1,
            P2,
            "MFA_PREMIUM",
            "EXCHANGE_S_ENTERPRISE",
            "SHAREPOINTENTERPRISE",
            "TEAMS1",
            "INTUNE_A",
            "ATP_ENTERPRISE",
            "THREAT_INTELLIGENCE",
            "LOCKBOX_ENTERPRISE",
            "M365_ADVANCED_AUDITING",
        ),
    ),
}

# Built-in authentication strengths (policyType builtIn): fixed ids and read-only in every tenant, as
# Graph v1.0 "List authenticationStrengthPolicies" (api-reference/v1.0/api/
# authenticationstrengthroot-list-policies.md, Example 1) shows them.
_BUILT_IN_CREATED = "2021-12-01T00:00:00Z"
AUTH_STRENGTH: dict[str, dict[str, Any]] = {
    "mfa": {
        "id": "00000000-0000-0000-0000-000000000002",
        "createdDateTime": _BUILT_IN_CREATED,
        "modifiedDateTime": _BUILT_IN_CREATED,
        "displayName": "Multifactor authentication",
        "description": "Combinations of methods that satisfy strong authentication, such as a password + SMS",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor",
            "deviceBasedPush",
            "temporaryAccessPassOneTime",
            "temporaryAccessPassMultiUse",
            "password,microsoftAuthenticatorPush",
            "password,softwareOath",
            "password,hardwareOath",
            "password,x509CertificateSingleFactor",
            "password,x509CertificateMultiFactor",
            "password,sms",
            "password,voice",
            "federatedMultiFactor",
            "microsoftAuthenticatorPush,federatedSingleFactor",
            "softwareOath,federatedSingleFactor",
            "hardwareOath,federatedSingleFactor",
            "sms,federatedSingleFactor",
            "voice,federatedSingleFactor",
        ],
    },
    "passwordless": {
        "id": "00000000-0000-0000-0000-000000000003",
        "createdDateTime": _BUILT_IN_CREATED,
        "modifiedDateTime": _BUILT_IN_CREATED,
        "displayName": "Passwordless MFA",
        "description": "Passwordless methods that satisfy strong authentication, such as Passwordless "
        "sign-in with the Microsoft Authenticator",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor",
            "deviceBasedPush",
        ],
    },
    "phishingResistant": {
        "id": "00000000-0000-0000-0000-000000000004",
        "createdDateTime": _BUILT_IN_CREATED,
        "modifiedDateTime": _BUILT_IN_CREATED,
        "displayName": "Phishing resistant MFA",
        "description": "Phishing resistant, Passwordless methods for the strongest authentication, such as a "
        "FIDO2 security key",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
    },
}

# authorizationPolicy.guestUserRoleId values.
GUEST_ROLE = {
    "member": "a0b1b346-4d3e-4e8b-98f8-753987be4970",  # same access as members
    "limited": "10dae51f-b6af-4016-8d66-8c2a99b929b3",  # the default
    "restricted": "2af84b1e-32c8-42b7-82bc-daa82404023b",
}

GROUP_SETTING_TEMPLATE = {
    "Password Rule Settings": "5cf42378-d67d-4f36-ba46-e8b86229381d",
    "Group.Unified": "62375ab9-6b52-47ed-826b-58e47e0e304b",
}

# The tenant that owns the ScanPosture app registration (the "provider" demo tenant).
PROVIDER_TENANT_ID = "5a392606-b747-47ac-8692-be73527240fa"

# How the launcher hands the app's client secret to the server process (never on the command line).
SECRET_ENV = "GRAPHSIM_CLIENT_SECRET"  # noqa: S105 - the variable's name, not a secret
