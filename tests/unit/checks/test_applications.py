"""Application consent, registration, Graph permission grants and credential checks."""

from __future__ import annotations

from typing import Any

from core.checks import applications
from core.checks.model import Status
from core.checks.well_known import (
    APPLICATION_READWRITE_ALL,
    MAIL_READWRITE,
    ROLEMANAGEMENT_READWRITE_DIRECTORY,
)
from tests.unit.checks.support import by_id, mutated, run, values

AUTHZ = "authorization_policy"


def user_permissions(data: dict[str, Any]) -> dict[str, Any]:
    return data[AUTHZ]["defaultUserRolePermissions"]


def test_user_consent_restricted_fails_for_self_consent_policies() -> None:
    def allow(data: dict[str, Any]) -> None:
        user_permissions(data)["permissionGrantPoliciesAssigned"].append(
            "ManagePermissionGrantsForSelf.microsoft-user-default-low"
        )

    outcome = run(applications.user_consent_restricted, mutated(allow))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {"permissionGrantPolicy": "ManagePermissionGrantsForSelf.microsoft-user-default-low"},
    )


def test_admin_consent_workflow_fails_when_disabled_or_without_reviewers() -> None:
    disabled = run(
        applications.admin_consent_workflow,
        mutated(lambda d: d["admin_consent_request_policy"].update(isEnabled=False)),
    )
    assert disabled.status is Status.FAIL
    assert disabled.summary == "The admin consent workflow is disabled."
    no_reviewers = run(
        applications.admin_consent_workflow,
        mutated(lambda d: d["admin_consent_request_policy"].update(reviewers=[])),
    )
    assert no_reviewers.status is Status.FAIL
    assert "no reviewers" in no_reviewers.summary


def test_user_app_registration_disabled_fails_when_users_can_register_apps() -> None:
    outcome = run(
        applications.user_app_registration_disabled,
        mutated(lambda d: user_permissions(d).update(allowedToCreateApps=True)),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"setting": "defaultUserRolePermissions.allowedToCreateApps", "value": True},)


def grant(
    data: dict[str, Any], role: str, principal_id: str, name: str, principal_type: str = "ServicePrincipal"
) -> None:
    data["graph_app_role_grants"].append(
        {
            "id": f"ar-{principal_id}-{role[:4]}",
            "deletedDateTime": None,
            "appRoleId": role,
            "createdDateTime": "2026-04-01T09:00:00Z",
            "principalDisplayName": name,
            "principalId": principal_id,
            "principalType": principal_type,
            "resourceDisplayName": "Microsoft Graph",
            "resourceId": "sp-msgraph",
        }
    )


def test_graph_takeover_permissions_lists_each_app_and_permission() -> None:
    def escalate(data: dict[str, Any]) -> None:
        grant(data, ROLEMANAGEMENT_READWRITE_DIRECTORY, "sp-payroll", "Payroll Sync")
        grant(data, APPLICATION_READWRITE_ALL, "sp-payroll", "Payroll Sync")
        grant(data, APPLICATION_READWRITE_ALL, "u-alice", "Alice Smith", principal_type="User")

    outcome = run(applications.graph_takeover_permissions, mutated(escalate))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "1 application holds 2 tenant-takeover Graph permissions."
    assert values(outcome.evidence, "permission") == [
        "Application.ReadWrite.All",
        "RoleManagement.ReadWrite.Directory",
    ]
    assert set(values(outcome.evidence, "principalDisplayName")) == {"Payroll Sync"}


def test_graph_data_permissions_lists_mail_and_file_access() -> None:
    outcome = run(
        applications.graph_data_permissions,
        mutated(lambda d: grant(d, MAIL_READWRITE, "sp-reporting", "Reporting")),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {
            "principalDisplayName": "Reporting",
            "principalId": "sp-reporting",
            "permission": "Mail.ReadWrite",
            "grantedDateTime": "2026-04-01T09:00:00Z",
        },
    )


def credential(app: dict[str, Any], field: str, key: str, start: str, end: str) -> None:
    app[field].append(
        {
            "customKeyIdentifier": None,
            "displayName": key,
            "endDateTime": end,
            "keyId": key,
            "startDateTime": start,
        }
    )


def test_secrets_long_lived_lists_current_secrets_valid_over_a_year() -> None:
    def two_years(data: dict[str, Any]) -> None:
        credential(
            by_id(data["applications"], "app-obj-2"),
            "passwordCredentials",
            "k-long",
            "2026-01-01T00:00:00Z",
            "2028-01-01T00:00:00Z",
        )

    outcome = run(applications.secrets_long_lived, mutated(two_years))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == (
        {
            "application": "Reporting",
            "appId": "11111111-aaaa-4bbb-8ccc-000000000002",
            "credentialType": "secret",
            "keyId": "k-long",
            "credentialName": "k-long",
            "startDateTime": "2026-01-01T00:00:00Z",
            "endDateTime": "2028-01-01T00:00:00Z",
        },
    )


def test_certificates_long_lived_lists_certificates_valid_over_three_years() -> None:
    def ten_years(data: dict[str, Any]) -> None:
        credential(
            by_id(data["applications"], "app-obj-1"),
            "keyCredentials",
            "k-cert",
            "2024-01-01T00:00:00Z",
            "2034-01-01T00:00:00Z",
        )

    outcome = run(applications.certificates_long_lived, mutated(ten_years))
    assert outcome.status is Status.FAIL
    assert values(outcome.evidence, "keyId") == ["k-cert"]
    assert values(outcome.evidence, "application") == ["Payroll Sync"]


def test_expired_credentials_uses_the_collection_time() -> None:
    def expire(data: dict[str, Any]) -> None:
        app = by_id(data["applications"], "app-obj-1")
        credential(app, "passwordCredentials", "k-old", "2025-01-01T00:00:00Z", "2026-10-31T23:59:59Z")
        credential(app, "passwordCredentials", "k-soon", "2026-10-01T00:00:00Z", "2026-11-01T00:00:01Z")

    outcome = run(applications.expired_credentials_removed, mutated(expire))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "1 application still carries 1 expired credential."
    assert outcome.evidence[0]["endDateTime"] == "2026-10-31T23:59:59Z"  # type: ignore[index]
    assert values(outcome.evidence, "keyId") == ["k-old"]
