"""Tenant-wide defaults for ordinary users (authorizationPolicy) and hybrid password sign-in.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Shapes: authorizationPolicy (learn.microsoft.com/graph/api/resources/authorizationpolicy):
`allowedToSignUpEmailBasedSubscriptions` and `defaultUserRolePermissions.{allowedToCreateSecurityGroups,
allowedToReadBitlockerKeysForOwnedDevice, permissionGrantPoliciesAssigned}`; organization
(`onPremisesSyncEnabled`: true while directory synchronisation is on, null when it never was).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.helpers import check, folded, is_false, is_true, metadata, plural, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, manual, passed

AUTHZ = "authorization_policy"
OWNED_RESOURCE_PREFIX = "managepermissiongrantsforownedresource."
# Microsoft-managed resource-specific consent for Teams chats and teams, assigned by default: Microsoft
# lets tenants keep the owned-resource policies "that aren't applicable to groups" when turning group
# owner consent off (learn.microsoft.com/entra/identity/enterprise-apps/configure-user-consent-groups),
# and these two are governed by the Teams RSC settings instead. Any other owned-resource policy, custom
# ones included (whose scope is not read), counts as group owner consent.
TEAMS_RSC_POLICIES = frozenset(
    {
        "managepermissiongrantsforownedresource.microsoft-dynamically-managed-permissions-for-chat",
        "managepermissiongrantsforownedresource.microsoft-dynamically-managed-permissions-for-team",
    }
)
GROUP_CONSENT_DOCS = (
    "https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/configure-user-consent-groups"
)
USER_DEFAULTS_DOCS = "https://learn.microsoft.com/en-us/entra/fundamentals/users-default-permissions"


def _authz(snapshot: TenantSnapshot) -> Mapping[str, Any]:
    return snapshot.get(AUTHZ) or {}


def _user_permissions(snapshot: TenantSnapshot) -> Mapping[str, Any]:
    return _authz(snapshot).get("defaultUserRolePermissions") or {}


@check(
    metadata(
        id="apps.group_owner_consent_off",
        title="Group owners cannot consent to applications for their groups",
        category="Applications",
        severity=Severity.MEDIUM,
        sources=(AUTHZ,),
        rationale=(
            "A group owner who can consent lets an application read the group's mail, files and Teams "
            "messages, with no administrator involved: the same consent phishing risk as user consent, "
            "for every group a user owns. Fails on any 'ManagePermissionGrantsForOwnedResource.*' policy "
            "assigned to the default user role except Microsoft's resource-specific consent policies for "
            "Teams chats and teams, which the Teams settings govern (EIDSCA recommends group owner consent "
            "off)."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Enterprise apps > Consent and permissions > User consent "
            "settings: under Group owner consent, select 'Do not allow group owner consent' and Save.",
            "Or with Microsoft Graph PowerShell (Policy.ReadWrite.Authorization): "
            "Update-MgPolicyAuthorizationPolicy "
            "-DefaultUserRolePermissions @{PermissionGrantPoliciesAssigned = @(<the listed policies "
            "removed, every other entry kept>)}.",
        ),
        references=(GROUP_CONSENT_DOCS,),
    )
)
def group_owner_consent_off(snapshot: TenantSnapshot) -> Outcome:
    assigned = [str(p) for p in _user_permissions(snapshot).get("permissionGrantPoliciesAssigned") or []]
    owner = [
        p
        for p in assigned
        if folded(p).startswith(OWNED_RESOURCE_PREFIX) and folded(p) not in TEAMS_RSC_POLICIES
    ]
    if not owner:
        return passed("Group owners cannot consent to applications for the groups they own.")
    return failed(
        "Group owners can consent to applications through "
        f"{plural(len(owner), 'permission grant policy', 'permission grant policies')}.",
        [{"permissionGrantPolicy": p} for p in owner],
    )


# (setting, where it lives, what a true value lets users do)
_USER_DEFAULTS: tuple[tuple[str, bool, str], ...] = (
    ("allowedToCreateSecurityGroups", True, "create security groups"),
    ("allowedToReadBitlockerKeysForOwnedDevice", True, "read the BitLocker recovery keys of their devices"),
    ("allowedToSignUpEmailBasedSubscriptions", False, "sign up for email-based (self-service) subscriptions"),
)


@check(
    metadata(
        id="entra.default_user_permissions",
        title="Users cannot create security groups, read BitLocker keys or sign up for subscriptions",
        category="Identity",
        severity=Severity.LOW,
        sources=(AUTHZ,),
        rationale=(
            "Defaults every member holds: security groups created by anyone end up granting access nobody "
            "reviews; a BitLocker recovery key in the user's hands unlocks a drive the organisation "
            "encrypted to protect against that user's stolen or departing device; and self-service "
            "sign-up brings unmanaged trial subscriptions into the tenant. Each of "
            "defaultUserRolePermissions.allowedToCreateSecurityGroups, "
            "defaultUserRolePermissions.allowedToReadBitlockerKeysForOwnedDevice and "
            "allowedToSignUpEmailBasedSubscriptions must be false."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Groups > General: set 'Users can create security groups in "
            "Azure portals, API or PowerShell' to No.",
            "Entra ID > Devices > Device settings: set 'Restrict users from recovering the BitLocker key(s) "
            "for their owned devices' to Yes.",
            "Microsoft Graph PowerShell (Policy.ReadWrite.Authorization): Update-MgPolicyAuthorizationPolicy "
            "-AllowedToSignUpEmailBasedSubscriptions:$false -DefaultUserRolePermissions "
            "@{AllowedToCreateSecurityGroups=$false; AllowedToReadBitlockerKeysForOwnedDevice=$false}.",
        ),
        references=(
            USER_DEFAULTS_DOCS,
            "https://learn.microsoft.com/en-us/graph/api/resources/authorizationpolicy",
        ),
    )
)
def default_user_permissions(snapshot: TenantSnapshot) -> Outcome:
    policy, permissions = _authz(snapshot), _user_permissions(snapshot)
    gaps = []
    for setting, nested, what in _USER_DEFAULTS:
        value = (permissions if nested else policy).get(setting)
        if not is_false(value):
            where = f"defaultUserRolePermissions.{setting}" if nested else setting
            gaps.append({"setting": where, "value": value, "allows": what})
    if not gaps:
        return passed(
            "Users cannot create security groups, read their devices' BitLocker keys or sign up for "
            "subscriptions."
        )
    allowed = "; ".join(str(gap["allows"]) for gap in gaps)
    return failed(f"Every user can {allowed}.", gaps)


@check(
    metadata(
        id="entra.password_hash_sync",
        title="Hybrid tenants synchronise password hashes",
        category="Identity",
        severity=Severity.LOW,
        sources=("organization",),
        rationale=(
            "With password hash synchronisation, users keep signing in when the on-premises directory is "
            "down, and Entra ID Protection can detect their leaked credentials. A cloud-only tenant has "
            "nothing to synchronise and passes. For a hybrid tenant the setting cannot be read by an "
            "application: Graph's onPremisesSynchronization resource supports delegated access by a Global "
            "Administrator only, so the check asks for it to be confirmed by hand (manual)."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Entra Connect > Connect Sync: confirm Password Hash Sync is "
            "Enabled.",
            "If not: on the Microsoft Entra Connect server run the wizard, Configure > Customize "
            "synchronization options > Optional features > Password hash synchronization.",
            "On that server, Get-ADSyncAADCompanyFeature shows PasswordHashSync = True when it is on.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/whatis-phs",
            "https://learn.microsoft.com/en-us/graph/api/onpremisesdirectorysynchronization-get",
        ),
    )
)
def password_hash_sync(snapshot: TenantSnapshot) -> Outcome:
    organizations = list(snapshot.get("organization") or [])
    synced = [o for o in organizations if is_true(o.get("onPremisesSyncEnabled"))]
    if organizations and not synced:
        return passed(
            "No directory synchronisation: the tenant is cloud-only, with no password hash to sync."
        )
    if not organizations:
        return manual("The organization object was empty, so whether the tenant is hybrid is unknown.")
    return manual(
        "Directory synchronisation is on; whether password hashes are synchronised cannot be read with "
        "application permissions (Graph allows only a signed-in Global Administrator): confirm it in "
        "Entra Connect.",
        [{"onPremisesSyncEnabled": True}],
    )


CHECKS = (group_owner_consent_off, default_user_permissions, password_hash_sync)
