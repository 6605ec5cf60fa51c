"""Well-known Microsoft identifiers the checks compare against.

Where each value was verified (public copies read through the project's search tool):
- Directory role template ids: MicrosoftDocs/entra-docs,
  docs/identity/role-based-access-control/permissions-reference.md ("All roles" table, Template ID).
- Microsoft Graph application permission (app role) ids: TROUBLE-1/Vajra,
  Code/vajra/azure/enumeration/roles/applicationPermission.py (a dump of the Microsoft Graph service
  principal's appRoles: roleName, id), cross-checked against independent copies of the same ids in
  other public tools.
- Authentication strength ids and their allowed combinations: microsoftgraph/microsoft-graph-docs-contrib,
  api-reference/v1.0/api/authenticationstrengthroot-list-policies.md (built-in policies response).
- Guest user role ids: microsoftgraph/microsoft-graph-docs-contrib,
  api-reference/v1.0/resources/authorizationpolicy.md (guestUserRoleId).
- "Password Rule Settings" directory setting template id: Microsoft Entra smart lockout / password
  protection docs (templateId 5cf42378-d67d-4f36-ba46-e8b86229381d with LockoutThreshold,
  BannedPasswordList, EnableBannedPasswordCheck values).
- Never-expiring password validity (Int32.MaxValue): Microsoft's own remediation
  `Update-MgDomain -PasswordValidityPeriodInDays 2147483647`.
"""

from __future__ import annotations

# --- Directory role template ids (roleDefinitionId of built-in role assignments) -----------------------
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"
PRIVILEGED_AUTHENTICATION_ADMINISTRATOR = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
SHAREPOINT_ADMINISTRATOR = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
EXCHANGE_ADMINISTRATOR = "29232cdf-9323-42fd-ade2-1d097af3e4de"
HYBRID_IDENTITY_ADMINISTRATOR = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"
APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
CLOUD_APPLICATION_ADMINISTRATOR = "158c047a-c907-4556-b7ef-446551a6b5f7"
AUTHENTICATION_ADMINISTRATOR = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
BILLING_ADMINISTRATOR = "b0f54661-2d74-4c50-afa3-1ec803f12efe"
CONDITIONAL_ACCESS_ADMINISTRATOR = "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
PASSWORD_ADMINISTRATOR = "966707d0-3269-4727-9be2-8c3a10f19b9d"  # noqa: S105 - a role id
SECURITY_ADMINISTRATOR = "194ae4cb-b126-40b2-bd5b-6091b380977d"
INTUNE_ADMINISTRATOR = "3a2c62db-5318-420d-8d74-23affee5d9d5"
GUEST_INVITER = "95e79109-95c0-4d8e-aee3-d01accf2d47b"
DIRECTORY_SYNCHRONIZATION_ACCOUNTS = "d29b2b05-8046-44ba-8758-1e26182fcf32"

ROLE_NAMES: dict[str, str] = {
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    PRIVILEGED_ROLE_ADMINISTRATOR: "Privileged Role Administrator",
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: "Privileged Authentication Administrator",
    USER_ADMINISTRATOR: "User Administrator",
    SHAREPOINT_ADMINISTRATOR: "SharePoint Administrator",
    EXCHANGE_ADMINISTRATOR: "Exchange Administrator",
    HYBRID_IDENTITY_ADMINISTRATOR: "Hybrid Identity Administrator",
    APPLICATION_ADMINISTRATOR: "Application Administrator",
    CLOUD_APPLICATION_ADMINISTRATOR: "Cloud Application Administrator",
    AUTHENTICATION_ADMINISTRATOR: "Authentication Administrator",
    BILLING_ADMINISTRATOR: "Billing Administrator",
    CONDITIONAL_ACCESS_ADMINISTRATOR: "Conditional Access Administrator",
    GLOBAL_READER: "Global Reader",
    HELPDESK_ADMINISTRATOR: "Helpdesk Administrator",
    PASSWORD_ADMINISTRATOR: "Password Administrator",
    SECURITY_ADMINISTRATOR: "Security Administrator",
    INTUNE_ADMINISTRATOR: "Intune Administrator",
    GUEST_INVITER: "Guest Inviter",
    DIRECTORY_SYNCHRONIZATION_ACCOUNTS: "Directory Synchronization Accounts",
}

# CISA SCuBA's "highly privileged roles" (aad.md, "Highly Privileged Roles").
HIGHLY_PRIVILEGED_ROLES: frozenset[str] = frozenset(
    {
        GLOBAL_ADMINISTRATOR,
        PRIVILEGED_ROLE_ADMINISTRATOR,
        USER_ADMINISTRATOR,
        SHAREPOINT_ADMINISTRATOR,
        EXCHANGE_ADMINISTRATOR,
        HYBRID_IDENTITY_ADMINISTRATOR,
        APPLICATION_ADMINISTRATOR,
        CLOUD_APPLICATION_ADMINISTRATOR,
    }
)

# The administrator roles CIS M365 v5 5.2.2.1 / 5.2.2.5 name for MFA policies, plus SCuBA's Hybrid
# Identity Administrator so one set serves both frameworks.
ADMIN_ROLES: frozenset[str] = frozenset(
    {
        APPLICATION_ADMINISTRATOR,
        AUTHENTICATION_ADMINISTRATOR,
        BILLING_ADMINISTRATOR,
        CLOUD_APPLICATION_ADMINISTRATOR,
        CONDITIONAL_ACCESS_ADMINISTRATOR,
        EXCHANGE_ADMINISTRATOR,
        GLOBAL_ADMINISTRATOR,
        GLOBAL_READER,
        HELPDESK_ADMINISTRATOR,
        PASSWORD_ADMINISTRATOR,
        PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
        PRIVILEGED_ROLE_ADMINISTRATOR,
        SECURITY_ADMINISTRATOR,
        SHAREPOINT_ADMINISTRATOR,
        USER_ADMINISTRATOR,
        HYBRID_IDENTITY_ADMINISTRATOR,
    }
)

# Roles that can take over the tenant on their own: holding one is equivalent to Global Administrator.
TENANT_TAKEOVER_ROLES: frozenset[str] = frozenset(
    {GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR, PRIVILEGED_AUTHENTICATION_ADMINISTRATOR}
)


def role_name(role_id: str | None) -> str:
    # Template ids are GUIDs, compared without regard to case (the names are keyed lower-case).
    return ROLE_NAMES.get((role_id or "").lower(), role_id or "unknown role")


# --- Microsoft Graph application permissions (appRoleId on the Graph service principal) -----------------
ROLEMANAGEMENT_READWRITE_DIRECTORY = "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"
APPROLEASSIGNMENT_READWRITE_ALL = "06b708a9-e830-4db3-a914-8e69da51d44f"
APPLICATION_READWRITE_ALL = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"
DIRECTORY_READWRITE_ALL = "19dbc75e-c2e2-444c-a770-ec69d8559fc7"
MAIL_READWRITE = "e2a3a72e-5f79-4c64-b1b1-878b674786c9"
MAIL_SEND = "b633e1c5-b582-4048-a93e-9f11b44c7e96"
FILES_READWRITE_ALL = "75359482-378d-4052-8f01-80520e7db3cd"
SITES_FULLCONTROL_ALL = "a82116e5-55eb-4c41-a434-62fe8a61c773"
SITES_READWRITE_ALL = "9492366f-7969-46a4-8d15-ed1a20078fff"
USERAUTHENTICATIONMETHOD_READWRITE_ALL = "50483e42-d915-4231-9639-7fdb7fd190e5"

# An app holding any of these can make itself (or anyone) a Global Administrator, or take over an
# administrator's sign-in, directly or in one hop.
GRAPH_TAKEOVER_PERMISSIONS: dict[str, str] = {
    ROLEMANAGEMENT_READWRITE_DIRECTORY: "RoleManagement.ReadWrite.Directory",
    APPROLEASSIGNMENT_READWRITE_ALL: "AppRoleAssignment.ReadWrite.All",
    APPLICATION_READWRITE_ALL: "Application.ReadWrite.All",
    DIRECTORY_READWRITE_ALL: "Directory.ReadWrite.All",
    USERAUTHENTICATIONMETHOD_READWRITE_ALL: "UserAuthenticationMethod.ReadWrite.All",
}

# Tenant-wide read/write access to mail and files without a signed-in user.
GRAPH_DATA_PERMISSIONS: dict[str, str] = {
    MAIL_READWRITE: "Mail.ReadWrite",
    MAIL_SEND: "Mail.Send",
    FILES_READWRITE_ALL: "Files.ReadWrite.All",
    SITES_FULLCONTROL_ALL: "Sites.FullControl.All",
    SITES_READWRITE_ALL: "Sites.ReadWrite.All",
}

# --- Authentication strengths ---------------------------------------------------------------------------
MFA_STRENGTH = "00000000-0000-0000-0000-000000000002"
PASSWORDLESS_MFA_STRENGTH = "00000000-0000-0000-0000-000000000003"
PHISHING_RESISTANT_STRENGTH = "00000000-0000-0000-0000-000000000004"
PHISHING_RESISTANT_COMBINATIONS: frozenset[str] = frozenset(
    {"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"}
)

# --- Guest access (authorizationPolicy.guestUserRoleId) -------------------------------------------------
GUEST_SAME_AS_MEMBERS = "a0b1b346-4d3e-4e8b-98f8-753987be4970"
GUEST_LIMITED = "10dae51f-b6af-4016-8d66-8c2a99b929b3"
GUEST_RESTRICTED = "2af84b1e-32c8-42b7-82bc-daa82404023b"

# --- Directory settings and domains ---------------------------------------------------------------------
PASSWORD_RULE_SETTINGS_TEMPLATE = "5cf42378-d67d-4f36-ba46-e8b86229381d"  # noqa: S105 - a template id
PASSWORD_NEVER_EXPIRES = 2147483647

# --- Licences (service plan names in subscribedSkus) ----------------------------------------------------
ENTRA_P1 = "AAD_PREMIUM"
ENTRA_P2 = "AAD_PREMIUM_P2"
