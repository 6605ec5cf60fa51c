"""Privileged access: who holds directory roles, how, and from where.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Role assignments come from /roleManagement/directory/roleAssignments?$expand=principal (active, including
activated PIM assignments); eligible PIM assignments from roleEligibilitySchedules (Entra ID P2) are added
whenever that source was collected, and the summary says whether they were. Only tenant-wide assignments
(directoryScopeId "/") count: administrative-unit scoped roles do not grant tenant-wide control. A role
held by a role-assignable group counts for each member and each PIM-eligible member (`roles.holders`);
a group whose members could not be read makes the check an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.directory_roles import ACTIVE, GROUP_MEMBERS, holders, scope_note
from core.checks.helpers import (
    capped,
    check,
    folded,
    is_true,
    metadata,
    plural,
    steps,
    users_by_id,
    verb,
)
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, manual, passed
from core.checks.pim import no_permanent_active_assignments
from core.checks.well_known import (
    ADMIN_ROLES,
    GLOBAL_ADMINISTRATOR,
    HIGHLY_PRIVILEGED_ROLES,
    TENANT_TAKEOVER_ROLES,
)

CATEGORY = "Privileged access"
ROLES_DOCS = "https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/best-practices"


@check(
    metadata(
        id="privileged.global_admin_count",
        title="Between two and four Global Administrators",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(ACTIVE, GROUP_MEMBERS),
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
    evidence = [h.evidence(directory) for h in people]
    note = scope_note(with_eligible)
    count = plural(len(people), "user")
    holds = verb(len(people), "holds", "hold")
    if len(people) > 4:
        return failed(
            f"{count} hold Global Administrator (at most four recommended){note}.", capped(evidence)
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
        sources=(ACTIVE, GROUP_MEMBERS, "users"),
        rationale=(
            "An administrator synchronised from on-premises Active Directory can be taken over by whoever "
            "compromises the domain or the sync server, turning an on-premises breach into a cloud one. "
            "Users holding administrator roles, directly, through a role-assignable group or as PIM "
            "eligible, must be neither synchronised (onPremisesSyncEnabled) nor anchored to an "
            "on-premises account (onPremisesImmutableId)."
        ),
        remediation=steps(
            "For each listed account create a separate cloud-only administrator account "
            "(user@<tenant>.onmicrosoft.com), with no mailbox licence.",
            "Assign it the needed roles (preferably as PIM eligible) and register a phishing-resistant "
            "method.",
            "Remove the role assignments from the synchronised account in Entra ID > Roles & admins.",
        ),
        references=(ROLES_DOCS,),
    )
)
def admins_cloud_only(snapshot: TenantSnapshot) -> Outcome:
    found, with_eligible = holders(snapshot, ADMIN_ROLES)
    directory = users_by_id(snapshot)
    people = [h for h in found.values() if h.kind == "user"]
    synced = [
        {**h.evidence(directory), "onPremises": anchor}
        for h in people
        if (anchor := on_premises_anchor(directory.get(folded(h.principal_id), {})))
    ]
    unknown = [
        h.evidence(directory)
        for h in found.values()
        if h.kind == "unknown" or (h.kind == "user" and folded(h.principal_id) not in directory)
    ]
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


def on_premises_anchor(user: Mapping[str, Any]) -> str | None:
    """What ties an account to on-premises AD: being synchronised now (onPremisesSyncEnabled true),
    or an immutable id kept from a sync that has stopped (user resource type,
    learn.microsoft.com/graph/api/resources/user; ScubaGear judges MS.AAD.7.3v1 by the latter)."""
    if is_true(user.get("onPremisesSyncEnabled")):
        return "onPremisesSyncEnabled"
    if user.get("onPremisesImmutableId"):
        return "onPremisesImmutableId"
    return None


@check(
    metadata(
        id="privileged.global_admin_least_privilege",
        title="Administrators use finer-grained roles rather than Global Administrator",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(ACTIVE, GROUP_MEMBERS),
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
        sources=(ACTIVE, GROUP_MEMBERS, "users"),
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
        sources=(ACTIVE, GROUP_MEMBERS),
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


CHECKS = (  # the PIM check keeps its place in the catalogue
    global_admin_count,
    admins_cloud_only,
    no_permanent_active_assignments,
    global_admin_least_privilege,
    no_guest_admins,
    no_app_tenant_takeover_roles,
)
