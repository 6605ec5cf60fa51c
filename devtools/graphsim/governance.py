"""Privileged-access and app-governance data of a simulated tenant, in Graph's documented shapes.

A fixture keeps a compact `governance` block (written by `block()` from the tenant's posture, and
changed for Tailwind Traders by traps.py); the Graph objects are built from it when served:
- PIM role settings: unifiedRoleManagementPolicyAssignment with its policy and rules expanded, rule ids
  and shapes as in "List roleManagementPolicyAssignments" and the PIM rules overview
  (learn.microsoft.com/graph/api/policyroot-list-rolemanagementpolicyassignments,
  learn.microsoft.com/graph/identity-governance-pim-rules-overview);
- active assignment instances (unifiedRoleAssignmentScheduleInstance), where an assignment made outside
  PIM has no startDateTime (as ScubaGear reads them, AADConfig.rego MS.AAD.7.5v1);
- the default and custom app management policies (tenantAppManagementPolicy, appManagementPolicy);
- service principals and oauth2PermissionGrants;
- a user's authentication methods ("List methods", learn.microsoft.com/graph/api/authentication-list-methods).
"""

from __future__ import annotations

from typing import Any

from core.checks.well_known import ROLE_NAMES
from core.collect.sources import MICROSOFT_GRAPH_APP_ID
from devtools.graphsim.catalog import GLOBAL_ADMIN, ROLE
from devtools.graphsim.views import stable_id

Json = dict[str, Any]
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
SHAREPOINT_APP_ID = "00000003-0000-0ff1-ce00-000000000000"
TEAMS_WEB_APP_ID = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"
MICROSOFT_APIS = {
    "graph": MICROSOFT_GRAPH_APP_ID,
    "exchange": EXCHANGE_APP_ID,
    "sharepoint": SHAREPOINT_APP_ID,
}
# .NET DateTime.MinValue: the restriction reaches apps whatever their creation date (ScubaGear's
# ALL_APPS_DATES; the Entra portal leaves "Only apply to apps created after" empty).
ALL_APPS = "0001-01-01T00:00:00Z"
# The password method's id is the same fixed GUID for every user ("passwordAuthenticationMethod",
# learn.microsoft.com/graph/api/resources/passwordauthenticationmethod).
PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490"  # noqa: S105 - a method id
# userRegistrationDetails' method names (how fixtures record a user's methods) -> the method resource.
METHOD_TYPES = {
    "fido2SecurityKey": "fido2AuthenticationMethod",
    "passKeyDeviceBound": "fido2AuthenticationMethod",
    "windowsHelloForBusiness": "windowsHelloForBusinessAuthenticationMethod",
    "microsoftAuthenticatorPush": "microsoftAuthenticatorAuthenticationMethod",
    "microsoftAuthenticatorPasswordless": "microsoftAuthenticatorAuthenticationMethod",
    "softwareOneTimePasscode": "softwareOathAuthenticationMethod",
    "mobilePhone": "phoneAuthenticationMethod",
    "email": "emailAuthenticationMethod",
}


def block(posture: str, tenant_id: str, mail_domain: str) -> Json:
    """The compact governance settings a generated tenant of `posture` starts with."""
    third_party = {
        "weak": [
            (
                "Inbox Marketing Pro",
                "AllPrincipals",
                "graph",
                "openid profile User.Read Mail.ReadWrite Mail.Send",
            )
        ],
        "mixed": [("Freight Tracker", "AllPrincipals", "graph", "openid profile User.Read")],
        "strong": [("Court Calendar Sync", "Principal", "graph", "Calendars.ReadWrite")],
    }[posture]
    password = {"weak": None, "mixed": "P365D", "strong": "P181D"}[posture]
    return {
        "pimApproval": [GLOBAL_ADMIN, PRIVILEGED_ROLE_ADMIN] if posture == "strong" else [],
        "pimAlertRecipients": [f"secops@{mail_domain}"] if posture == "strong" else [],
        "outsidePim": [],
        "appManagement": {
            "isEnabled": posture != "weak",
            "blockPasswords": posture == "strong",
            "blockPasswordsAfter": None,
            "passwordLifetime": password,
            "certificateLifetime": "P366D" if posture == "strong" else None,
        },
        "customAppPolicies": [],
        "accessReviews": [
            {"name": "Monthly guest review", "target": "guests", "status": "InProgress", "recurring": True},
            {
                "name": "Quarterly Global Administrator review",
                "target": "globalAdmin",
                "status": "InProgress",
                "recurring": True,
            },
        ]
        if posture == "strong"
        else [],
        "thirdPartyApps": [
            {
                "appId": stable_id(tenant_id, "third-party-app", name),
                "displayName": name,
                "owner": stable_id(tenant_id, "third-party-owner", name),
                "consentType": consent,
                "api": api,
                "scope": scope,
            }
            for name, consent, api, scope in third_party
        ],
    }


def settings_of(tenant_data: Json) -> Json:
    return tenant_data.get("governance") or block(
        str(tenant_data.get("posture") or "mixed"), tenant_data["id"], tenant_data["initialDomain"]
    )


def _notification(rule_id: str, recipients: list[str]) -> Json:
    caller = "Admin" if rule_id.startswith("Notification_Admin_Admin") else "EndUser"
    level = "Eligibility" if rule_id.endswith("Eligibility") else "Assignment"
    return {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule",
        "id": rule_id,
        "notificationType": "Email",
        "recipientType": "Admin",
        "notificationLevel": "All",
        "isDefaultRecipientsEnabled": True,
        "notificationRecipients": list(recipients),
        "target": {"caller": caller, "operations": ["All"], "level": level},
    }


def _rules(approval: bool, recipients: list[str]) -> list[Json]:
    approval_rule = {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
        "id": "Approval_EndUser_Assignment",
        "setting": {
            "isApprovalRequired": approval,
            "isApprovalRequiredForExtension": False,
            "isRequestorJustificationRequired": True,
            "approvalMode": "SingleStage",
            "approvalStages": [
                {"approvalStageTimeOutInDays": 1, "primaryApprovers": [], "escalationApprovers": []}
            ],
        },
        "target": {"caller": "EndUser", "operations": ["All"], "level": "Assignment"},
    }
    notes = [
        _notification(rule_id, recipients)
        for rule_id in (
            "Notification_Admin_Admin_Eligibility",
            "Notification_Admin_Admin_Assignment",
            "Notification_Admin_EndUser_Assignment",
        )
    ]
    return [approval_rule, *notes]


def pim_policies(tenant_data: Json) -> list[Json]:
    """One policy assignment per built-in role the simulator knows (Graph lists one for every role),
    each with its policy and rules."""
    settings = settings_of(tenant_data)
    approval = {r.lower() for r in settings["pimApproval"]}
    rows = []
    for role in sorted({*ROLE.values(), *ROLE_NAMES}):
        policy_id = f"DirectoryRole_{tenant_data['id']}_{stable_id(tenant_data['id'], 'pim-policy', role)}"
        rules = _rules(role.lower() in approval, settings["pimAlertRecipients"])
        rows.append(
            {
                "id": f"{policy_id}_{role}_{role}",
                "policyId": policy_id,
                "scopeId": "/",
                "scopeType": "DirectoryRole",
                "roleDefinitionId": role,
                "policy": {
                    "id": policy_id,
                    "displayName": "DirectoryRole",
                    "description": "DirectoryRole",
                    "isOrganizationDefault": False,
                    "scopeId": "/",
                    "scopeType": "DirectoryRole",
                    "lastModifiedDateTime": None,
                    "rules": rules,
                },
            }
        )
    return rows


def assignment_instances(tenant_data: Json, assignments: list[Json]) -> list[Json]:
    outside = set(settings_of(tenant_data)["outsidePim"])
    return [
        {
            "id": a["id"],
            "principalId": a["principalId"],
            "roleDefinitionId": a["roleDefinitionId"],
            "directoryScopeId": a.get("directoryScopeId", "/"),
            "startDateTime": None if a["id"] in outside else a.get("startDateTime"),
            "endDateTime": a.get("endDateTime"),
            "assignmentType": "Assigned",
            "memberType": "Direct",
        }
        for a in assignments
        if a.get("kind", "active") == "active"
    ]


def _review_scope(target: str) -> tuple[Json, Json | None]:
    """(scope, instanceEnumerationScope) as Microsoft's examples write them for guests in Microsoft 365
    groups and for a directory role (learn.microsoft.com/graph/api/accessreviewset-post-definitions)."""
    query = "#microsoft.graph.accessReviewQueryScope"
    if target == "guests":
        members = "./members/microsoft.graph.user/?$count=true&$filter=(userType eq 'Guest')"
        groups = "/groups?$filter=(groupTypes/any(c:c+eq+'Unified'))&$count=true"
        return (
            {"@odata.type": query, "query": members, "queryType": "MicrosoftGraph"},
            {"@odata.type": query, "query": groups, "queryType": "MicrosoftGraph"},
        )
    role = f"/roleManagement/directory/roleDefinitions/{GLOBAL_ADMIN}"
    scope = {
        "@odata.type": "#microsoft.graph.principalResourceMembershipsScope",
        "principalScopes": [{"@odata.type": query, "query": "/users", "queryType": "MicrosoftGraph"}],
        "resourceScopes": [{"@odata.type": query, "query": role, "queryType": "MicrosoftGraph"}],
    }
    return scope, None


def access_reviews(tenant_data: Json) -> list[Json]:
    rows = []
    for review in settings_of(tenant_data).get("accessReviews", []):
        scope, groups = _review_scope(review["target"])
        recurrence = (
            {"pattern": {"type": "absoluteMonthly", "interval": 1}, "range": {"type": "noEnd"}}
            if review["recurring"]
            else None
        )
        rows.append(
            {
                "id": stable_id(tenant_data["id"], "access-review", review["name"]),
                "displayName": review["name"],
                "status": review["status"],
                "scope": scope,
                "instanceEnumerationScope": groups,
                "settings": {
                    "mailNotificationsEnabled": True,
                    "defaultDecisionEnabled": True,
                    "defaultDecision": "Deny",
                    "autoApplyDecisionsEnabled": True,
                    "instanceDurationInDays": 14,
                    "recurrence": recurrence,
                },
            }
        )
    return rows
