"""Privileged access: who holds directory roles, how, and from where.

Framework ids verified against: CIS Microsoft 365 Foundations v5.0.0 (turbot/steampipe-mod-
microsoft365-compliance cis_v500/section_1.pp: 1.1.1 "Ensure Administrative accounts are cloud-only",
1.1.3 "Ensure that between two and four global admins are designated"; maester365/maester
website/docs/tests/cis/readme.md v5.0.0 revision: 5.3.1 "Ensure 'Privileged Identity Management' is used
to manage roles") and CISA SCuBA cisagov/ScubaGear PowerShell/ScubaGear/baselines/aad.md (MS.AAD.7.2v1,
MS.AAD.7.3v1, MS.AAD.7.4v1). MS.AAD.7.1v1 allows two to eight Global Administrators, so the CIS 2-4 check
does not claim it.

Role assignments come from /roleManagement/directory/roleAssignments?$expand=principal (active, including
activated PIM assignments); eligible PIM assignments from roleEligibilitySchedules (Entra ID P2) are added
whenever that source was collected, and the summary says whether they were. Only tenant-wide assignments
(directoryScopeId "/") count: administrative-unit scoped roles do not grant tenant-wide control. Members
of role-assignable groups cannot be expanded from these sources, so group assignments are reported, never
silently counted as people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.conditional_access import emergency_access_accounts
from core.checks.helpers import (
    capped,
    check,
    folded,
    is_true,
    metadata,
    plural,
    shown,
    steps,
    users_by_id,
    verb,
)
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, manual, passed
from core.checks.roles import ACTIVE, Holder, holders, principal_kind, scope_note, tenant_wide
from core.checks.well_known import (
    ADMIN_ROLES,
    ENTRA_P2,
    GLOBAL_ADMINISTRATOR,
    HIGHLY_PRIVILEGED_ROLES,
    TENANT_TAKEOVER_ROLES,
)

CATEGORY = "Privileged access"
SCHEDULES = "role_assignment_schedules"
ROLES_DOCS = "https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/best-practices"
PIM_DOCS = (
    "https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/pim-configure"
)


@check(
    metadata(
        id="privileged.global_admin_count",
        title="Between two and four Global Administrators",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ACTIVE,),
        rationale=(
            "One Global Administrator is a single point of failure (and usually means the emergency "
            "account is missing); more than four widens the set of accounts that can take over the "
            "tenant. Counts users holding the role actively or, when PIM data is available, as eligible."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Roles & admins > Global Administrator > Assignments.",
            "Keep two to four accounts, including at least one cloud-only emergency-access account.",
            "Move other administrators to least-privileged roles (e.g. User, Exchange or SharePoint "
            "Administrator) and remove their Global Administrator assignment.",
        ),
        cis="1.1.3",
        references=(
            ROLES_DOCS,
            "https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/security-emergency-access",
        ),
    )
)
def global_admin_count(snapshot: TenantSnapshot) -> Outcome:
    found, with_eligible = holders(snapshot, {GLOBAL_ADMINISTRATOR})
    directory = users_by_id(snapshot) if snapshot.has("users") else {}
    people = [h for h in found.values() if h.kind == "user"]
    groups = [h for h in found.values() if h.kind == "group"]
    evidence = [h.evidence(directory) for h in people + groups]
    note = scope_note(with_eligible)
    count = plural(len(people), "user")
    holds = verb(len(people), "holds", "hold")
    if len(people) > 4:
        return failed(
            f"{count} hold Global Administrator (at most four recommended){note}.", capped(evidence)
        )
    if groups:
        return manual(
            f"{count} and {plural(len(groups), 'group')} hold Global Administrator; count the group members "
            f"to confirm the total is two to four{note}.",
            capped(evidence),
        )
    if len(people) < 2:
        return failed(
            f"Only {count} {holds} Global Administrator (at least two recommended){note}.", evidence
        )
    return passed(f"{count} {holds} Global Administrator{note}.", evidence)


@check(
    metadata(
        id="privileged.admins_cloud_only",
        title="Administrator accounts are cloud-only",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ACTIVE, "users"),
        rationale=(
            "An administrator synchronised from on-premises Active Directory can be taken over by whoever "
            "compromises the domain or the sync server, turning an on-premises breach into a cloud one. "
            "Users holding administrator roles must have onPremisesSyncEnabled unset or false."
        ),
        remediation=steps(
            "For each listed account create a separate cloud-only administrator account "
            "(user@<tenant>.onmicrosoft.com), with no mailbox licence.",
            "Assign it the needed roles (preferably as PIM eligible) and register a phishing-resistant "
            "method.",
            "Remove the role assignments from the synchronised account in Entra ID > Roles & admins.",
        ),
        cis="1.1.1",
        scuba="MS.AAD.7.3v1",
        references=(ROLES_DOCS,),
    )
)
def admins_cloud_only(snapshot: TenantSnapshot) -> Outcome:
    found, with_eligible = holders(snapshot, ADMIN_ROLES)
    directory = users_by_id(snapshot)
    people = [h for h in found.values() if h.kind == "user"]
    synced = [
        h.evidence(directory)
        for h in people
        if is_true(directory.get(folded(h.principal_id), {}).get("onPremisesSyncEnabled"))
    ]
    unknown = [h.evidence(directory) for h in people if folded(h.principal_id) not in directory]
    note = scope_note(with_eligible)
    if synced:
        extra = f"; {len(unknown)} more could not be looked up" if unknown else ""
        return failed(
            f"{plural(len(synced), 'administrator account')} synchronised from on-premises{extra}{note}.",
            capped(synced),
        )
    if unknown:
        return manual(
            f"{plural(len(unknown), 'administrator')} not found in the user list; "
            "verify they are cloud-only.",
            capped(unknown),
        )
    return passed(f"All {plural(len(people), 'administrator account')} are cloud-only{note}.")


def _emergency_accounts(snapshot: TenantSnapshot) -> set[str]:
    """Emergency-access accounts, recognised as the users excluded from every enabled all-users
    Conditional Access policy (read only when that source was collected)."""
    if not snapshot.has("conditional_access_policies"):
        return set()
    return emergency_access_accounts(snapshot.get("conditional_access_policies") or [])


def _is_permanent_active(schedule: Mapping[str, Any]) -> bool:
    expiration = (schedule.get("scheduleInfo") or {}).get("expiration") or {}
    return (
        str(schedule.get("assignmentType") or "").lower() == "assigned"
        and str(schedule.get("memberType") or "direct").lower() == "direct"
        and str(expiration.get("type") or "").lower() == "noexpiration"
    )


@check(
    metadata(
        id="privileged.no_permanent_active_assignments",
        title="Highly privileged roles have no permanent active assignments",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(SCHEDULES,),
        rationale=(
            "A permanent active assignment gives standing privilege that an attacker can use the moment "
            "the account is compromised. With PIM, people are eligible and activate just in time, with "
            "MFA, justification and approval. Emergency-access accounts are the accepted exception: "
            "users excluded from every enabled all-users Conditional Access policy (when that source was "
            "collected) are treated as such and counted, not listed. Group assignments are left out "
            "because a PIM-managed group is also acceptable."
        ),
        remediation=steps(
            "Entra admin center > ID Governance > Privileged Identity Management > Microsoft Entra roles "
            "> Roles, open each listed role.",
            "For each permanent active user or app, add an Eligible assignment (users) or remove the role "
            "(apps that do not need it), then remove the permanent active assignment.",
            "In Role settings require MFA, justification and (for Global Administrator) approval on "
            "activation.",
        ),
        licence=ENTRA_P2,
        cis="5.3.1",
        scuba="MS.AAD.7.4v1",
        references=(PIM_DOCS,),
    )
)
def no_permanent_active_assignments(snapshot: TenantSnapshot) -> Outcome:
    roles = HIGHLY_PRIVILEGED_ROLES | TENANT_TAKEOVER_ROLES
    directory = users_by_id(snapshot) if snapshot.has("users") else {}
    emergency = _emergency_accounts(snapshot)
    offending: list[dict[str, Any]] = []
    groups = 0
    accepted = 0
    for schedule in snapshot.get(SCHEDULES) or []:
        role = folded(schedule.get("roleDefinitionId"))
        if role not in roles or not _is_permanent_active(schedule):
            continue
        if not tenant_wide(schedule):
            continue
        kind = principal_kind(schedule)
        if kind == "group":
            groups += 1
            continue
        if schedule.get("principalId") in emergency:
            accepted += 1
            continue
        holder = Holder(schedule.get("principalId") or "", kind, schedule.get("principal") or {})
        holder.roles.add(role)
        holder.how.add("permanent active")
        offending.append(holder.evidence(directory))
    notes = []
    if accepted:
        notes.append(f"{plural(accepted, 'emergency-access assignment')} accepted")
    if groups:
        notes.append(f"{plural(groups, 'permanent group assignment')} not judged")
    if offending and not snapshot.has("conditional_access_policies"):
        notes.append("Conditional Access not collected, so emergency-access accounts were not recognised")
    group_note = f" ({'; '.join(notes)})" if notes else ""
    if not offending:
        return passed(f"No user or app holds a highly privileged role permanently active{group_note}.")
    return failed(
        f"{plural(len(offending), 'permanent active assignment')} to highly privileged roles"
        f"{group_note}.{shown(len(offending))}",
        capped(offending),
    )


@check(
    metadata(
        id="privileged.global_admin_least_privilege",
        title="Administrators use finer-grained roles rather than Global Administrator",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(ACTIVE,),
        rationale=(
            "Most administration needs a specific role, not unrestricted Global Administrator. CISA's test: "
            "users holding Global Administrator must not outnumber users holding only the other highly "
            "privileged roles."
        ),
        remediation=steps(
            "List what each Global Administrator actually administers.",
            "Assign the matching role instead (e.g. Exchange, SharePoint, User, Application Administrator) "
            "in Entra ID > Roles & admins, preferably as PIM eligible.",
            "Remove Global Administrator from them, keeping two to four Global Administrators in total.",
        ),
        scuba="MS.AAD.7.2v1",
        references=(ROLES_DOCS,),
    )
)
def global_admin_least_privilege(snapshot: TenantSnapshot) -> Outcome:
    found, with_eligible = holders(snapshot, HIGHLY_PRIVILEGED_ROLES)
    directory = users_by_id(snapshot) if snapshot.has("users") else {}
    people = [h for h in found.values() if h.kind == "user"]
    global_admins = [h for h in people if GLOBAL_ADMINISTRATOR in h.roles]
    others = [h for h in people if GLOBAL_ADMINISTRATOR not in h.roles]
    note = scope_note(with_eligible)
    ratio = (
        f"{plural(len(global_admins), 'Global Administrator')} vs {len(others)} "
        "in other highly privileged roles"
    )
    if len(global_admins) <= len(others):
        return passed(f"{ratio}{note}.")
    return failed(
        f"Global Administrators outnumber finer-grained administrators: {ratio}{note}.",
        capped([h.evidence(directory) for h in global_admins]),
    )


@check(
    metadata(
        id="privileged.no_guest_admins",
        title="No guest accounts hold administrator roles",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ACTIVE, "users"),
        rationale=(
            "A guest's credentials, MFA and device are governed by another organisation. Giving a guest an "
            "administrator role hands control of this tenant to a security posture nobody here can see."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Roles & admins: open each listed role and remove the guest.",
            "If the person needs to administer this tenant, create a member account for them here, "
            "protected by this tenant's MFA and Conditional Access policies.",
        ),
        references=(ROLES_DOCS,),
    )
)
def no_guest_admins(snapshot: TenantSnapshot) -> Outcome:
    found, with_eligible = holders(snapshot, ADMIN_ROLES)
    directory = users_by_id(snapshot)
    guests = [
        h.evidence(directory)
        for h in found.values()
        if h.kind == "user" and folded(directory.get(folded(h.principal_id), {}).get("userType")) == "guest"
    ]
    note = scope_note(with_eligible)
    if not guests:
        return passed(f"None of the {plural(len(found), 'administrator')} is a guest{note}.")
    return failed(
        f"{plural(len(guests), 'guest account')} {verb(len(guests), 'holds', 'hold')} administrator "
        f"roles{note}.",
        capped(guests),
    )


@check(
    metadata(
        id="privileged.no_app_tenant_takeover_roles",
        title="No applications hold Global, Privileged Role or Privileged Authentication Administrator",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ACTIVE,),
        rationale=(
            "A service principal with one of these roles can take over the tenant with nothing but its "
            "secret or certificate, and app sign-ins are not covered by user MFA policies."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Roles & admins: open Global Administrator, Privileged Role "
            "Administrator and Privileged Authentication Administrator and find the listed apps.",
            "Replace the role with the narrowest Graph application permission or role the app needs.",
            "Rotate the app's credentials after removing the role if its history is unknown.",
        ),
        references=(ROLES_DOCS,),
    )
)
def no_app_tenant_takeover_roles(snapshot: TenantSnapshot) -> Outcome:
    found, _ = holders(snapshot, TENANT_TAKEOVER_ROLES)
    apps = [h.evidence({}) for h in found.values() if h.kind == "servicePrincipal"]
    if not apps:
        return passed("No service principal holds a tenant-takeover role.")
    return failed(
        f"{plural(len(apps), 'application')} {verb(len(apps), 'holds', 'hold')} tenant-takeover directory "
        "roles.",
        capped(apps),
    )


CHECKS = (
    global_admin_count,
    admins_cloud_only,
    no_permanent_active_assignments,
    global_admin_least_privilege,
    no_guest_admins,
    no_app_tenant_takeover_roles,
)
