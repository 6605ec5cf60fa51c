"""Privileged Identity Management settings: approval, alerts, and whether roles are handed out through PIM.

Read from two Entra ID P2 sources: the role settings (`pim_role_policies`, each directory role's
unifiedRoleManagementPolicyAssignment with its policy and rules expanded) and the active assignment
instances (`role_assignment_instances`). The rules are identified by the ids Graph gives them
(learn.microsoft.com/graph/identity-governance-pim-rules-overview): `Approval_EndUser_Assignment` holds
whether activating needs approval, and the `Notification_*` rules who is told of assignments and
activations. CISA's ScubaGear judges the same rules (cisagov/ScubaGear PowerShell/ScubaGear/Rego/
AADConfig.rego, MS.AAD.7.5v1 to 7.9v1); where these checks differ, the rationale says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.checks.helpers import capped, check, folded, metadata, plural, steps, users_by_id, verb
from core.checks.model import Outcome, Severity, TenantSnapshot, error, failed, passed
from core.checks.well_known import (
    ENTRA_P2,
    GLOBAL_ADMINISTRATOR,
    HIGHLY_PRIVILEGED_ROLES,
    PRIVILEGED_ROLE_ADMINISTRATOR,
    role_name,
)

CATEGORY = "Privileged access"
POLICIES = "pim_role_policies"
INSTANCES = "role_assignment_instances"
APPROVAL_RULE = "approval_enduser_assignment"
ACTIVATION_ALERT = "notification_admin_enduser_assignment"
ASSIGNMENT_ALERTS = ("notification_admin_admin_assignment", "notification_admin_admin_eligibility")
PIM_SETTINGS_DOCS = (
    "https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/"
    "pim-how-to-change-default-settings"
)
RULES_DOCS = "https://learn.microsoft.com/en-us/graph/identity-governance-pim-rules-overview"
ROLE_SETTINGS_STEP = (
    "Entra admin center > ID Governance > Privileged Identity Management > Microsoft Entra roles > "
    "Settings, open the role and select Edit."
)
GRAPH_STEP = (
    "Or with Graph: PATCH /policies/roleManagementPolicies/{policyId}/rules/{ruleId} with the rule's "
    "@odata.type and its new setting (PowerShell: Update-MgPolicyRoleManagementPolicyRule "
    "-UnifiedRoleManagementPolicyId <policyId> -UnifiedRoleManagementPolicyRuleId <ruleId> "
    "-BodyParameter <rule>)."
)


def _rules_by_role(snapshot: TenantSnapshot) -> dict[str, dict[str, Mapping[str, Any]]]:
    """Each role's rules keyed by folded rule id, the role keyed by folded template id."""
    found: dict[str, dict[str, Mapping[str, Any]]] = {}
    for assignment in snapshot.get(POLICIES) or []:
        policy = assignment.get("policy") or {}
        rules = {
            folded(rule.get("id")): rule for rule in policy.get("rules") or [] if isinstance(rule, Mapping)
        }
        found[folded(assignment.get("roleDefinitionId"))] = rules
    return found


def _missing(roles: Iterable[str], by_role: Mapping[str, Mapping[str, Any]]) -> Outcome | None:
    """An error when a role the check judges has no settings in the answer: Graph lists every built-in
    role's policy, so a gap is an answer that cannot be judged, never a pass."""
    absent = sorted(role_name(role) for role in roles if role not in by_role)
    if absent:
        return error(f"PIM returned no role settings for {', '.join(absent)}")
    return None


def _recipients(rule: Mapping[str, Any] | None) -> list[str]:
    return [str(r) for r in (rule or {}).get("notificationRecipients") or [] if str(r).strip()]


@check(
    metadata(
        id="pim.approval_required",
        title="Activating Global Administrator or Privileged Role Administrator needs approval",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(POLICIES,),
        rationale=(
            "An eligible administrator whose account is stolen can activate the role alone unless "
            "someone else must approve it; approval also makes every activation visible. Global "
            "Administrator (CIS 5.3.4, SCuBA MS.AAD.7.6) and Privileged Role Administrator (CIS 5.3.5), "
            "which can grant any role, both must require it (the 'Approval_EndUser_Assignment' rule's "
            "isApprovalRequired)."
        ),
        remediation=steps(
            ROLE_SETTINGS_STEP + " Do this for Global Administrator and Privileged Role Administrator.",
            "Under Activation tick 'Require approval to activate' and name at least two approvers (or "
            "leave them empty so Privileged Role Administrators approve).",
            GRAPH_STEP.replace("{ruleId}", "Approval_EndUser_Assignment")
            + " Set setting.isApprovalRequired true.",
        ),
        licence=ENTRA_P2,
        references=(PIM_SETTINGS_DOCS, RULES_DOCS),
    )
)
def approval_required(snapshot: TenantSnapshot) -> Outcome:
    roles = (GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR)
    by_role = _rules_by_role(snapshot)
    gap = _missing(roles, by_role)
    if gap is not None:
        return gap
    lacking = []
    for role in roles:
        setting = (by_role[role].get(APPROVAL_RULE) or {}).get("setting") or {}
        if setting.get("isApprovalRequired") is not True:
            lacking.append({"role": role_name(role), "isApprovalRequired": setting.get("isApprovalRequired")})
    if lacking:
        names = " and ".join(str(entry["role"]) for entry in lacking)
        return failed(f"{names} can be activated without approval.", lacking)
    return passed("Activating Global Administrator or Privileged Role Administrator needs approval.")


def _without_alert(
    by_role: Mapping[str, Mapping[str, Mapping[str, Any]]], roles: Iterable[str], rule_ids: Iterable[str]
) -> list[dict[str, Any]]:
    """The (role, rule) pairs among `roles` whose alert e-mail goes to no named recipient."""
    found = []
    for role in sorted(roles, key=role_name):
        for rule_id in rule_ids:
            rule = by_role[role].get(rule_id)
            if not _recipients(rule):
                found.append({"role": role_name(role), "rule": (rule or {}).get("id") or rule_id})
    return found


@check(
    metadata(
        id="pim.assignment_alerts",
        title="Assigning a highly privileged role alerts a named recipient",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(POLICIES,),
        rationale=(
            "An attacker who gains a privileged role often makes themselves another, eligible or active, "
            "to keep access. PIM can e-mail a chosen address whenever a role is assigned; SCuBA "
            "MS.AAD.7.7 asks for that on every highly privileged role, for both active and eligible "
            "assignments. As ScubaGear does, only named additional recipients count: the default "
            "recipients are the administrators themselves. ScubaGear also reads the settings of PIM for "
            "Groups groups that hold these roles; this check reads the roles' own settings only."
        ),
        remediation=steps(
            ROLE_SETTINGS_STEP + " Do this for each highly privileged role listed.",
            "Under Notification, 'Send notifications when members are assigned as eligible to this role' "
            "and '... assigned as active', add the security team's mailbox as an additional recipient "
            "of the Role assignment alert.",
            GRAPH_STEP.replace("{ruleId}", "Notification_Admin_Admin_Eligibility")
            + " Set notificationRecipients; repeat for Notification_Admin_Admin_Assignment.",
        ),
        licence=ENTRA_P2,
        references=(PIM_SETTINGS_DOCS, RULES_DOCS),
    )
)
def assignment_alerts(snapshot: TenantSnapshot) -> Outcome:
    by_role = _rules_by_role(snapshot)
    gap = _missing(HIGHLY_PRIVILEGED_ROLES, by_role)
    if gap is not None:
        return gap
    silent = _without_alert(by_role, HIGHLY_PRIVILEGED_ROLES, ASSIGNMENT_ALERTS)
    if silent:
        roles = sorted({str(entry["role"]) for entry in silent})
        return failed(
            f"{plural(len(roles), 'highly privileged role')} can be assigned without alerting anyone: "
            f"{', '.join(roles)}.",
            silent,
        )
    return passed(
        f"Assigning any of the {len(HIGHLY_PRIVILEGED_ROLES)} highly privileged roles alerts "
        "a named recipient."
    )


@check(
    metadata(
        id="pim.activation_alerts",
        title="Activating a highly privileged role alerts a named recipient",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(POLICIES,),
        rationale=(
            "Someone other than the administrator should hear when a highly privileged role is "
            "activated, so an activation by an attacker is noticed. SCuBA MS.AAD.7.8 asks this of "
            "Global Administrator and MS.AAD.7.9 of the other highly privileged roles: the "
            "'Notification_Admin_EndUser_Assignment' rule sends its e-mail to named recipients. As in "
            "ScubaGear, the default recipients alone do not count."
        ),
        remediation=steps(
            ROLE_SETTINGS_STEP + " Do this for each role listed.",
            "Under Notification, 'Send notifications when eligible members activate this role', add the "
            "security team's mailbox as an additional recipient of the Role activation alert.",
            GRAPH_STEP.replace("{ruleId}", "Notification_Admin_EndUser_Assignment")
            + " Set notificationRecipients.",
        ),
        licence=ENTRA_P2,
        references=(PIM_SETTINGS_DOCS, RULES_DOCS),
    )
)
def activation_alerts(snapshot: TenantSnapshot) -> Outcome:
    by_role = _rules_by_role(snapshot)
    gap = _missing(HIGHLY_PRIVILEGED_ROLES, by_role)
    if gap is not None:
        return gap
    silent = _without_alert(by_role, HIGHLY_PRIVILEGED_ROLES, (ACTIVATION_ALERT,))
    if silent:
        roles = [str(entry["role"]) for entry in silent]
        return failed(
            f"{plural(len(roles), 'highly privileged role')} can be activated without alerting anyone: "
            f"{', '.join(roles)}.",
            silent,
        )
    return passed(
        f"Activating any of the {len(HIGHLY_PRIVILEGED_ROLES)} highly privileged roles alerts "
        "a named recipient."
    )


@check(
    metadata(
        id="pim.assignments_through_pim",
        title="Highly privileged roles are assigned only through PIM",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(INSTANCES,),
        rationale=(
            "An assignment made outside PIM (directly in Roles & admins, by PowerShell or by an app) "
            "skips PIM's approval, justification and alerts. PIM records a start time for every "
            "assignment it makes; an active assignment without one was made elsewhere. This is how "
            "ScubaGear judges SCuBA MS.AAD.7.5, over every principal type and with no exception for "
            "emergency-access accounts. It differs from privileged.no_permanent_active_assignments, "
            "which asks whether access is standing, not how it was given."
        ),
        remediation=steps(
            "Entra admin center > ID Governance > Privileged Identity Management > Microsoft Entra roles "
            "> Roles, open each listed role.",
            "Add the principal again through PIM (Add assignments, Eligible, or Active with an end date "
            "where standing access is truly needed), then remove the assignment made outside PIM in "
            "Entra ID > Roles & admins.",
            "Or with Graph: POST /roleManagement/directory/roleEligibilityScheduleRequests (action "
            "adminAssign) and DELETE /roleManagement/directory/roleAssignments/{id} (PowerShell: "
            "New-MgRoleManagementDirectoryRoleEligibilityScheduleRequest, "
            "Remove-MgRoleManagementDirectoryRoleAssignment).",
        ),
        licence=ENTRA_P2,
        references=(
            "https://learn.microsoft.com/en-us/graph/api/resources/unifiedroleassignmentscheduleinstance",
            PIM_SETTINGS_DOCS,
        ),
    )
)
def assignments_through_pim(snapshot: TenantSnapshot) -> Outcome:
    directory = users_by_id(snapshot) if snapshot.has("users") else {}
    outside = []
    for instance in snapshot.get(INSTANCES) or []:
        role = folded(instance.get("roleDefinitionId"))
        if role not in HIGHLY_PRIVILEGED_ROLES or instance.get("startDateTime"):
            continue
        user = directory.get(folded(instance.get("principalId")), {})
        outside.append(
            {
                "role": role_name(role),
                "principalId": instance.get("principalId"),
                "userPrincipalName": user.get("userPrincipalName"),
                "directoryScopeId": instance.get("directoryScopeId"),
            }
        )
    if outside:
        return failed(
            f"{plural(len(outside), 'highly privileged role assignment')} "
            f"{verb(len(outside), 'was', 'were')} made outside PIM.",
            capped(outside),
        )
    return passed("Every highly privileged role assignment was made through PIM.")


CHECKS = (approval_required, assignment_alerts, activation_alerts, assignments_through_pim)
