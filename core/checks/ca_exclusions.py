"""Whether the exclusions in enabled Conditional Access policies are the kind a tenant can defend.

Which CIS and SCuBA controls this check covers is data in core/frameworks/*.json (see
docs/frameworks.md). The other Conditional Access checks tolerate excluded users and groups and only
count them (`core.checks.ca_users`); this check judges them, so that rule stays in one place for each
question: `ca_users` says what a policy excludes, this module says whether that is sound.

What is sound, and why:
- No directory role and no guest or external user type is excluded from an enabled policy: everyone
  holding the role, or every such guest, would sign in without the control (ScubaGear fails these too).
- An excluded group is role-assignable (`isAssignableToRole`): only Privileged Role Administrators and
  Global Administrators can change its members, where any group owner, Groups Administrator or User
  Administrator can add a member to an ordinary group and so take that person out of the policy
  (learn.microsoft.com/entra/identity/role-based-access-control/groups-concept).
- Excluded users are the emergency-access accounts: excluded from every enabled all-users policy (how
  `ca_users.emergency_access_accounts` recognises them), and no more than `MAX_EMERGENCY_ACCOUNTS`. A
  user left out of only some policies is an exception that weakens those policies. Microsoft recommends
  two or more emergency-access accounts (learn.microsoft.com/entra/identity/role-based-access-control/
  security-emergency-access); four leaves room to rotate them.
"""

from __future__ import annotations

from typing import Any

from core.checks import ca_users
from core.checks import conditional_access as ca
from core.checks.helpers import capped, check, folded, metadata, plural, shown, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.well_known import ENTRA_P1

CATEGORY = "Identity"
CA = ca.SOURCE
GROUPS = "role_assignable_groups"
MAX_EMERGENCY_ACCOUNTS = 4


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _role_assignable(snapshot: TenantSnapshot) -> set[str]:
    return {
        folded(group.get("id"))
        for group in snapshot.get(GROUPS) or []
        if group.get("id") and group.get("isAssignableToRole") is not False
    }


def _policy_problems(policy: ca.Policy, assignable: set[str]) -> list[str]:
    problems = []
    gap = ca_users.exclusion_gap(policy)
    if gap:
        problems.append(gap)
    loose = [
        str(g) for g in _list(ca_users.users(policy).get("excludeGroups")) if folded(g) not in assignable
    ]
    if loose:
        problems.append(
            f"excludes {plural(len(loose), 'group')} that {'is' if len(loose) == 1 else 'are'} "
            f"not role-assignable ({', '.join(loose)})"
        )
    return problems


def _stray_users(policy: ca.Policy, emergency: set[str]) -> list[str]:
    excluded = [str(u) for u in _list(ca_users.users(policy).get("excludeUsers"))]
    known = {folded(u) for u in emergency}
    return [u for u in excluded if u != ca_users.GUESTS_VALUE and folded(u) not in known]


def _findings(policies: list[ca.Policy], assignable: set[str]) -> list[dict[str, Any]]:
    emergency = ca_users.emergency_access_accounts(policies)
    findings: list[dict[str, Any]] = []
    for policy in ca.enforced(policies):
        problems = _policy_problems(policy, assignable)
        stray = _stray_users(policy, emergency)
        if stray:
            problems.append(
                f"excludes {plural(len(stray), 'user')} not excluded from every all-users policy "
                f"({', '.join(stray)})"
            )
        if problems:
            findings.append(ca.describe(policy, "; ".join(problems)))
    if len(emergency) > MAX_EMERGENCY_ACCOUNTS:
        findings.append(
            {
                "gap": f"{len(emergency)} users are excluded from every all-users policy (at most "
                f"{MAX_EMERGENCY_ACCOUNTS} emergency-access accounts expected)",
                "users": sorted(emergency),
            }
        )
    return findings


@check(
    metadata(
        id="entra.ca_exclusions_sound",
        title="Conditional Access exclusions are limited to emergency access",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(CA, GROUPS),
        rationale=(
            "Every exclusion is a way around the policy. Enabled policies must not exclude directory roles "
            "or guest and external user types; an excluded group must be role-assignable, so that only "
            "privileged administrators can change who is in it; and excluded users must be the "
            "emergency-access accounts, left out of every all-users policy, at most "
            f"{MAX_EMERGENCY_ACCOUNTS}. "
            "This is stricter than CIS, which accepts documented exclusions, and looser than CISA's "
            "ScubaGear, which fails any user or group its configuration file does not name."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Conditional Access > Policies: open each policy in the evidence "
            "and go to Users > Exclude.",
            "Remove excluded directory roles and guest or external user types; cover service accounts that "
            "cannot satisfy a control with a separate, narrower policy instead (workload identities for "
            "apps).",
            "Replace an ordinary excluded group with a role-assignable one (New-MgGroup -IsAssignableToRole "
            "$true -SecurityEnabled $true -MailEnabled $false), or exclude the emergency-access accounts "
            "directly.",
            "Exclude the same two emergency-access accounts from every policy and nobody else; review with "
            "Get-MgIdentityConditionalAccessPolicy | Select DisplayName, "
            "@{n='Excluded';e={$_.Conditions.Users.ExcludeUsers}}.",
        ),
        licence=ENTRA_P1,
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/conditional-access/concept-conditional-access-users-groups",
            "https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/security-emergency-access",
            "https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/groups-concept",
        ),
    )
)
def ca_exclusions_sound(snapshot: TenantSnapshot) -> Outcome:
    policies = ca.policies(snapshot, judge_strengths=False)
    findings = _findings(policies, _role_assignable(snapshot))
    enabled = len(ca.enforced(policies))
    if not findings:
        emergency = ca_users.emergency_access_accounts(policies)
        return passed(
            f"The exclusions in {plural(enabled, 'enabled policy', 'enabled policies')} are limited to "
            f"{plural(len(emergency), 'emergency-access account')} and role-assignable groups."
        )
    return failed(
        f"{plural(len(findings), 'exclusion problem')} in "
        f"{plural(enabled, 'enabled policy', 'enabled policies')}.{shown(len(findings))}",
        capped(findings),
    )


CHECKS = (ca_exclusions_sound,)
