"""Applications: consent, registration, high-privilege Graph permissions and app credentials.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md). Graph app-role ids live in `well_known`.

Shapes: authorizationPolicy.defaultUserRolePermissions.{allowedToCreateApps,
permissionGrantPoliciesAssigned}; adminConsentRequestPolicy.{isEnabled, reviewers}; appRoleAssignment
(`appRoleId`, `principalId`, `principalDisplayName`, `principalType`, `createdDateTime`) from the Graph
service principal's appRoleAssignedTo; application.{passwordCredentials, keyCredentials} with
`keyId`, `displayName`, `startDateTime`, `endDateTime`. Dates are compared with `collected_at`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from core.checks.helpers import (
    capped,
    check,
    folded,
    is_false,
    is_true,
    iso,
    metadata,
    now_of,
    parse_time,
    plural,
    shown,
    steps,
    verb,
)
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.well_known import GRAPH_DATA_PERMISSIONS, GRAPH_TAKEOVER_PERMISSIONS

CATEGORY = "Applications"
AUTHZ = "authorization_policy"
APPS = "applications"
GRANTS = "graph_app_role_grants"
SECRET_MAX_DAYS = 365
CERTIFICATE_MAX_DAYS = 3 * 365
# Graph documents the values as `managePermissionGrantsForSelf.{id}` (defaultUserRolePermissions,
# learn.microsoft.com/graph/api/resources/defaultuserrolepermissions); a value written by another tool
# may differ in case, so the prefix is matched folded.
USER_CONSENT_PREFIX = "managepermissiongrantsforself."
CONSENT_DOCS = "https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/configure-user-consent"
CREDENTIAL_DOCS = (
    "https://learn.microsoft.com/en-us/entra/identity-platform/security-best-practices-for-app-registration"
)


def _user_permissions(snapshot: TenantSnapshot) -> Mapping[str, Any]:
    return (snapshot.get(AUTHZ) or {}).get("defaultUserRolePermissions") or {}


@check(
    metadata(
        id="apps.user_consent_restricted",
        title="Users cannot consent to applications",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(AUTHZ,),
        rationale=(
            "Consent phishing gets users to grant a malicious app lasting access to their mail and files, "
            "surviving password resets and MFA. Any 'ManagePermissionGrantsForSelf.*' policy assigned to "
            "the default user role lets users consent on their own."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Enterprise apps > Consent and permissions > User consent "
            "settings.",
            "Select 'Do not allow user consent' and Save.",
            "Enable the admin consent workflow so users can still request apps (see "
            "apps.admin_consent_workflow).",
        ),
        references=(CONSENT_DOCS,),
    )
)
def user_consent_restricted(snapshot: TenantSnapshot) -> Outcome:
    assigned = [str(p) for p in _user_permissions(snapshot).get("permissionGrantPoliciesAssigned") or []]
    self_consent = [p for p in assigned if folded(p).startswith(USER_CONSENT_PREFIX)]
    if not self_consent:
        return passed("Users cannot consent to applications on their own.")
    return failed(
        "Users can consent to applications through "
        f"{plural(len(self_consent), 'permission grant policy', 'permission grant policies')}.",
        [{"permissionGrantPolicy": p} for p in self_consent],
    )


@check(
    metadata(
        id="apps.admin_consent_workflow",
        title="Admin consent workflow is enabled with reviewers",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=("admin_consent_request_policy",),
        rationale=(
            "With user consent turned off, the admin consent workflow gives users a safe way to ask for an "
            "app and gives administrators the chance to review its permissions. It needs at least one "
            "reviewer to be useful."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Enterprise apps > Consent and permissions > Admin consent "
            "settings.",
            "Set 'Users can request admin consent to apps they are unable to consent to' to Yes.",
            "Add reviewers (users, groups or roles), keep email notifications on and Save.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/configure-admin-consent-workflow",
        ),
    )
)
def admin_consent_workflow(snapshot: TenantSnapshot) -> Outcome:
    policy = snapshot.get("admin_consent_request_policy") or {}
    reviewers = list(policy.get("reviewers") or [])
    if not is_true(policy.get("isEnabled")):
        return failed("The admin consent workflow is disabled.", [{"isEnabled": policy.get("isEnabled")}])
    if not reviewers:
        return failed("The admin consent workflow is enabled but has no reviewers.", [{"reviewers": 0}])
    return passed(f"The admin consent workflow is enabled with {plural(len(reviewers), 'reviewer')}.")


@check(
    metadata(
        id="apps.user_app_registration_disabled",
        title="Users cannot register applications",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(AUTHZ,),
        rationale=(
            "App registrations created by any user become credentials nobody governs, and a convenient "
            "persistence mechanism after an account compromise. Only administrators (or the Application "
            "Developer role) should register apps."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Users > User settings.",
            "Set 'Users can register applications' to No and Save.",
            "Give the Application Developer role to people who need to register apps.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/fundamentals/users-default-permissions#restrict-member-users-default-permissions",
        ),
    )
)
def user_app_registration_disabled(snapshot: TenantSnapshot) -> Outcome:
    value = _user_permissions(snapshot).get("allowedToCreateApps")
    if is_false(value):
        return passed("Users cannot register applications.")
    return failed(
        "Any user can register applications (allowedToCreateApps is not false).",
        [{"setting": "defaultUserRolePermissions.allowedToCreateApps", "value": value}],
    )


def _grants(snapshot: TenantSnapshot, permissions: Mapping[str, str]) -> list[dict[str, Any]]:
    found = [
        {
            "principalDisplayName": grant.get("principalDisplayName"),
            "principalId": grant.get("principalId"),
            "permission": permissions[folded(grant["appRoleId"])],
            "grantedDateTime": grant.get("createdDateTime"),
        }
        for grant in snapshot.get(GRANTS) or []
        if folded(grant.get("appRoleId")) in permissions
        and folded(grant.get("principalType")) == "serviceprincipal"
    ]
    found.sort(key=lambda entry: (str(entry["principalDisplayName"]), entry["permission"]))
    return found


def _grant_outcome(found: list[dict[str, Any]], kind: str) -> Outcome:
    if not found:
        return passed(f"No application holds {kind} Microsoft Graph application permissions.")
    apps = len({entry["principalId"] for entry in found})
    return failed(
        f"{plural(apps, 'application')} {verb(apps, 'holds', 'hold')} "
        f"{plural(len(found), kind + ' Graph permission')}.{shown(len(found))}",
        capped(found),
    )


@check(
    metadata(
        id="apps.graph_takeover_permissions",
        title="No applications hold Graph permissions that allow tenant takeover",
        category=CATEGORY,
        severity=Severity.CRITICAL,
        sources=(GRANTS,),
        rationale=(
            "An app granted RoleManagement.ReadWrite.Directory, AppRoleAssignment.ReadWrite.All, "
            "Application.ReadWrite.All, Directory.ReadWrite.All or UserAuthenticationMethod.ReadWrite.All "
            "as an application permission can make itself or anyone a Global Administrator, or add a "
            "sign-in method to an administrator, without any user present. Its secret is as powerful as "
            "a Global Administrator's password."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Enterprise apps > (listed app) > Permissions.",
            "Confirm with the app owner that the permission is needed; replace it with a narrower one "
            "where possible (e.g. Application.ReadWrite.OwnedBy, Sites.Selected).",
            "Revoke unneeded grants (Review permissions, or Remove-MgServicePrincipalAppRoleAssignedTo).",
            "Protect the apps that keep them: certificate credentials only, owners limited, sign-ins "
            "monitored.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/graph/permissions-reference",
            "https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/manage-application-permissions",
        ),
    )
)
def graph_takeover_permissions(snapshot: TenantSnapshot) -> Outcome:
    return _grant_outcome(_grants(snapshot, GRAPH_TAKEOVER_PERMISSIONS), "tenant-takeover")


@check(
    metadata(
        id="apps.graph_data_permissions",
        title="Applications with tenant-wide mail or file write access are reviewed",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(GRANTS,),
        rationale=(
            "Mail.ReadWrite, Mail.Send, Files.ReadWrite.All, Sites.ReadWrite.All and Sites.FullControl.All "
            "as application permissions reach every mailbox or every site without a signed-in user; a "
            "leaked secret exposes the whole organisation's data."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Enterprise apps > (listed app) > Permissions.",
            "Scope mail access with an Exchange application access policy / RBAC for Applications, and "
            "SharePoint access with Sites.Selected, instead of tenant-wide permissions.",
            "Revoke grants the app no longer needs.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/graph/permissions-reference",
            "https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac",
        ),
    )
)
def graph_data_permissions(snapshot: TenantSnapshot) -> Outcome:
    return _grant_outcome(_grants(snapshot, GRAPH_DATA_PERMISSIONS), "tenant-wide data")


def _credentials(snapshot: TenantSnapshot, kind: str) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    field = "passwordCredentials" if kind == "secret" else "keyCredentials"
    return [(app, credential) for app in snapshot.get(APPS) or [] for credential in app.get(field) or []]


def _credential_entry(app: Mapping[str, Any], credential: Mapping[str, Any], kind: str) -> dict[str, Any]:
    return {
        "application": app.get("displayName"),
        "appId": app.get("appId"),
        "credentialType": kind,
        "keyId": credential.get("keyId"),
        "credentialName": credential.get("displayName"),
        "startDateTime": iso(parse_time(credential.get("startDateTime"))),
        "endDateTime": iso(parse_time(credential.get("endDateTime"))),
    }


def _long_lived(snapshot: TenantSnapshot, kind: str, max_days: int) -> list[dict[str, Any]]:
    now = now_of(snapshot)
    found = []
    for app, credential in _credentials(snapshot, kind):
        start, end = parse_time(credential.get("startDateTime")), parse_time(credential.get("endDateTime"))
        if start and end and end > now and end - start > timedelta(days=max_days):
            found.append(_credential_entry(app, credential, kind))
    return found


@check(
    metadata(
        id="apps.secrets_long_lived",
        title=f"No application secrets valid for more than {SECRET_MAX_DAYS} days",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(APPS,),
        rationale=(
            "Client secrets are passwords for apps: they get pasted into scripts and config files and leak. "
            "A secret valid for years keeps working long after it leaked. Current secrets whose lifetime "
            f"(start to end) exceeds {SECRET_MAX_DAYS} days are listed."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > App registrations > (listed app) > Certificates & secrets.",
            "Prefer a certificate or a managed identity / workload identity federation over a secret.",
            f"Otherwise add a new secret valid for at most {SECRET_MAX_DAYS} days, update the app, and "
            "delete the long-lived one.",
            "Enforce the limit tenant-wide with an app management policy (needs Microsoft Entra "
            "Workload ID Premium).",
        ),
        references=(CREDENTIAL_DOCS,),
    )
)
def secrets_long_lived(snapshot: TenantSnapshot) -> Outcome:
    found = _long_lived(snapshot, "secret", SECRET_MAX_DAYS)
    if not found:
        return passed(f"No current application secret is valid for more than {SECRET_MAX_DAYS} days.")
    return failed(
        f"{plural(len(found), 'application secret')} valid for more than {SECRET_MAX_DAYS} "
        f"days.{shown(len(found))}",
        capped(found),
    )


@check(
    metadata(
        id="apps.certificates_long_lived",
        title="No application certificates valid for more than three years",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(APPS,),
        rationale=(
            "Certificates are safer than secrets, but a private key valid for many years has many years "
            "to be copied from a build server or laptop. Current certificate credentials with a lifetime "
            "over three years are listed."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > App registrations > (listed app) > Certificates & secrets.",
            "Issue a certificate valid for at most one to two years (ideally from a managed key store such "
            "as Azure Key Vault with auto-renewal) and upload it.",
            "Switch the app to the new certificate and delete the old one.",
        ),
        references=(CREDENTIAL_DOCS,),
    )
)
def certificates_long_lived(snapshot: TenantSnapshot) -> Outcome:
    found = _long_lived(snapshot, "certificate", CERTIFICATE_MAX_DAYS)
    if not found:
        return passed("No current application certificate is valid for more than three years.")
    return failed(
        f"{plural(len(found), 'application certificate')} valid for more than three "
        f"years.{shown(len(found))}",
        capped(found),
    )


@check(
    metadata(
        id="apps.expired_credentials_removed",
        title="Expired application secrets and certificates are removed",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(APPS,),
        rationale=(
            "Expired credentials left on an app registration show credential hygiene has lapsed: nobody "
            "owns rotation, and the app may be broken or abandoned while still holding permissions."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > App registrations > (listed app) > Certificates & secrets.",
            "Delete each expired secret or certificate listed.",
            "If the app is no longer used, delete the app registration (and its enterprise app).",
        ),
        references=(CREDENTIAL_DOCS,),
    )
)
def expired_credentials_removed(snapshot: TenantSnapshot) -> Outcome:
    now = now_of(snapshot)
    expired = [
        _credential_entry(app, credential, kind)
        for kind in ("secret", "certificate")
        for app, credential in _credentials(snapshot, kind)
        if (end := parse_time(credential.get("endDateTime"))) is not None and end <= now
    ]
    if not expired:
        return passed("No application has expired secrets or certificates.")
    apps = len({entry["appId"] for entry in expired})
    return failed(
        f"{plural(apps, 'application')} still {verb(apps, 'carries', 'carry')} "
        f"{plural(len(expired), 'expired credential')}.{shown(len(expired))}",
        capped(expired),
    )


CHECKS = (
    user_consent_restricted,
    admin_consent_workflow,
    user_app_registration_disabled,
    graph_takeover_permissions,
    graph_data_permissions,
    secrets_long_lived,
    certificates_long_lived,
    expired_credentials_removed,
)
