"""Identity checks built on security defaults and Conditional Access (MFA, legacy auth, device code).

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Checks that accept security defaults read Conditional Access only when security defaults are off, through
`policies_if_licensed`: a tenant with neither (no P1 licence) fails, because nothing protects it, while a
Conditional Access source that failed for any other reason makes the check `error`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.checks import ca_users
from core.checks import conditional_access as ca
from core.checks.helpers import capped, check, is_true, metadata, plural, shown, steps, verb
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.well_known import ADMIN_ROLES, ENTRA_P1, role_name

CATEGORY = "Identity"
SD = "security_defaults"
CA = ca.SOURCE
CA_DOCS = "https://learn.microsoft.com/en-us/entra/identity/conditional-access/overview"
SD_DOCS = "https://learn.microsoft.com/en-us/entra/fundamentals/security-defaults"
NO_CA_LICENCE = "the tenant has no Conditional Access licence (Entra ID P1)"


def _security_defaults_on(snapshot: TenantSnapshot) -> bool:
    return is_true((snapshot.get(SD) or {}).get("isEnabled"))


def _near_misses(
    policies: list[ca.Policy],
    grant_gap: Callable[[ca.Policy], str | None],
    *,
    legacy: bool = False,
) -> list[dict[str, Any]]:
    """Policies that aim at the requirement but do not meet it, each with the reason."""
    misses = []
    for policy in policies:
        gap = ca.baseline_gap(policy, legacy=legacy) or grant_gap(policy)
        misses.append(ca.describe(policy, gap or "does not meet the requirement"))
    return misses


def _does_not_block(policy: ca.Policy) -> str | None:
    return None if ca.blocks(policy) else "does not block"


def _aims_at_legacy(policy: ca.Policy) -> bool:
    return ca.blocks(policy) and ca.targets_legacy_clients(policy)


def _aims_at_mfa(policy: ca.Policy) -> bool:
    return ca.mentions_mfa(policy) and not ca.is_risk_scoped(policy)


MFA_OPTIONAL = ca.MFA_OPTIONAL


@check(
    metadata(
        id="entra.mfa_baseline_present",
        title="Security defaults or Conditional Access protect the tenant",
        category=CATEGORY,
        severity=Severity.CRITICAL,
        sources=(SD,),
        rationale=(
            "With security defaults off and no enabled Conditional Access policy, nothing requires MFA or "
            "blocks legacy protocols: one phished password is enough. Report-only policies do not count. "
            "Conditional Access is read only when security defaults are off."
        ),
        remediation=steps(
            "Without Entra ID P1: in the Entra admin center go to Entra ID > Overview > Properties > "
            "Manage security defaults and set Security defaults to Enabled.",
            "With Entra ID P1: create Conditional Access policies that require MFA for all users and block "
            "legacy authentication (Entra ID > Conditional Access > Policies), test them in report-only "
            "mode, then switch them On.",
        ),
        references=(SD_DOCS, CA_DOCS),
    )
)
def mfa_baseline_present(snapshot: TenantSnapshot) -> Outcome:
    if _security_defaults_on(snapshot):
        return passed("Security defaults are enabled.")
    policies = ca.policies_if_licensed(snapshot, judge_strengths=False)
    if policies is None:
        return failed(f"Security defaults are off and {NO_CA_LICENCE}, so no baseline protection applies.")
    active = ca.enforced(policies)
    policy_count = plural(len(policies), "Conditional Access policy", "Conditional Access policies")
    if active:
        return passed(f"Security defaults are off; {len(active)} of {policy_count} enabled instead.")
    if not policies:
        return failed("Security defaults are off and the tenant has no Conditional Access policies.")
    report_only = [p for p in policies if ca.is_report_only(p)]
    evidence = [ca.describe(p, "not enabled") for p in policies]
    return failed(
        f"Security defaults are off and none of {policy_count} is enabled"
        f" ({len(report_only)} report-only).{shown(len(evidence))}",
        capped(evidence),
    )


@check(
    metadata(
        id="entra.legacy_auth_blocked",
        title="Legacy authentication is blocked",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(SD,),
        rationale=(
            "Legacy protocols (Exchange ActiveSync, IMAP, POP, SMTP and other basic-auth clients) cannot do "
            "MFA, so password spraying against them bypasses every MFA policy. Blocked by security defaults, "
            "or by an enabled Conditional Access policy that blocks the 'Exchange ActiveSync' and 'Other "
            "clients' client app types for all users and all resources. " + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Check sign-in logs for legacy clients first (Entra ID > Monitoring & health > Sign-in logs, "
            "filter Client app = legacy authentication clients).",
            "Entra ID > Conditional Access > Policies > New policy: Users = All users (exclude only "
            "emergency-access accounts); Target resources = All resources; Conditions > Client apps = "
            "Exchange ActiveSync clients and Other clients; Grant = Block access.",
            "Run it in report-only mode, review the impact, then set Enable policy to On.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-block-legacy-authentication",
            SD_DOCS,
        ),
    )
)
def legacy_auth_blocked(snapshot: TenantSnapshot) -> Outcome:
    if _security_defaults_on(snapshot):
        return passed("Security defaults are enabled, which block legacy authentication.")
    policies = ca.policies_if_licensed(snapshot, judge_strengths=False)
    if policies is None:
        return failed(f"Security defaults are off and {NO_CA_LICENCE}, so legacy authentication is allowed.")
    for policy in policies:
        if ca.blocks(policy) and ca.baseline_gap(policy, legacy=True) is None:
            return passed(
                f"Conditional Access policy '{policy.get('displayName')}' blocks legacy authentication for "
                f"all users{ca_users.exclusion_note(policy)}."
            )
    aimed = [p for p in policies if _aims_at_legacy(p)]
    near = _near_misses(aimed, _does_not_block, legacy=True)
    return failed(
        "No enabled Conditional Access policy blocks legacy authentication for all users and resources "
        f"({plural(len(near), 'blocking policy', 'blocking policies')} {verb(len(near), 'falls', 'fall')} "
        f"short).{ca_users.exclusions_named(aimed)}{shown(len(near))}",
        capped(near),
    )


@check(
    metadata(
        id="entra.mfa_all_users",
        title="MFA is required for all users",
        category=CATEGORY,
        severity=Severity.CRITICAL,
        sources=(SD,),
        rationale=(
            "MFA stops the large majority of account takeovers that start with a stolen or guessed password. "
            "Met by security defaults, or by one enabled Conditional Access policy that requires MFA (or an "
            "authentication strength whose every allowed combination is multifactor) for all users, all "
            "resources and all client apps without location, platform or risk conditions. Under the OR "
            "operator, any non-MFA grant alternative means MFA is not required. "
            + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Entra ID > Conditional Access > Policies > New policy (or use the 'Require multifactor "
            "authentication for all users' template).",
            "Users = All users, excluding only emergency-access accounts; Target resources = All resources.",
            "Grant = Grant access > Require multifactor authentication (or Require authentication strength).",
            "Test in report-only mode, then set Enable policy to On.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-all-users-mfa-strength",
            SD_DOCS,
        ),
    )
)
def mfa_all_users(snapshot: TenantSnapshot) -> Outcome:
    if _security_defaults_on(snapshot):
        return passed("Security defaults are enabled: all users must register for and perform MFA.")
    policies = ca.policies_if_licensed(snapshot)
    if policies is None:
        return failed(f"Security defaults are off and {NO_CA_LICENCE}, so MFA is not enforced for users.")
    for policy in policies:
        if ca.requires_mfa(policy) and ca.baseline_gap(policy) is None:
            return passed(
                f"Conditional Access policy '{policy.get('displayName')}' requires MFA for all users and "
                f"resources{ca_users.exclusion_note(policy)}."
            )
    aimed = [p for p in policies if _aims_at_mfa(p)]
    near = _near_misses(aimed, ca.mfa_gap)
    return failed(
        "No enabled Conditional Access policy requires MFA for all users and resources "
        f"({plural(len(near), 'MFA policy', 'MFA policies')} {verb(len(near), 'falls', 'fall')} "
        f"short).{ca_users.exclusions_named(aimed)}{shown(len(near))}",
        capped(near),
    )


def _covers_role_everywhere(policy: ca.Policy, role: str) -> bool:
    return (
        ca.is_enforced(policy)
        and ca_users.covers_role(policy, role)
        and ca.targets_all_apps(policy)
        and ca.covers_all_client_apps(policy)
        and not ca.narrowing_conditions(policy)
    )


def _uncovered_roles(
    policies: list[ca.Policy], requirement: Callable[[ca.Policy], bool]
) -> list[dict[str, str]]:
    return [
        {"roleTemplateId": role, "role": role_name(role)}
        for role in sorted(ADMIN_ROLES, key=role_name)
        if not any(requirement(p) and _covers_role_everywhere(p, role) for p in policies)
    ]


@check(
    metadata(
        id="entra.mfa_admins",
        title="MFA is required for administrator roles",
        category=CATEGORY,
        severity=Severity.CRITICAL,
        sources=(SD,),
        rationale=(
            "Administrator accounts are the most valuable targets; each administrator role must be covered "
            "by an enabled policy requiring MFA for all resources (security defaults do this for the main "
            "administrator roles). A role listed in a policy's excluded roles is not covered."
        ),
        remediation=steps(
            "Entra ID > Conditional Access > Policies > New policy (template 'Require multifactor "
            "authentication for admins').",
            "Users > Include > Select users and groups > Directory roles: select every administrator role "
            "listed in the evidence (or target All users).",
            "Target resources = All resources; Grant = Require multifactor authentication.",
            "Set Enable policy to On.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-old-require-mfa-admin",
            SD_DOCS,
        ),
    )
)
def mfa_admins(snapshot: TenantSnapshot) -> Outcome:
    if _security_defaults_on(snapshot):
        return passed("Security defaults are enabled: administrators must use MFA at every sign-in.")
    policies = ca.policies_if_licensed(snapshot)
    if policies is None:
        return failed(
            f"Security defaults are off and {NO_CA_LICENCE}, so MFA is not enforced for administrators."
        )
    uncovered = _uncovered_roles(policies, ca.requires_mfa)
    if not uncovered:
        return passed(
            f"Enabled Conditional Access policies require MFA for all {len(ADMIN_ROLES)} administrator roles."
        )
    return failed(
        f"{plural(len(uncovered), 'administrator role')} of {len(ADMIN_ROLES)} not covered by an enabled "
        "policy requiring MFA for all resources.",
        capped(uncovered),
    )


@check(
    metadata(
        id="entra.phishing_resistant_mfa_admins",
        title="Phishing-resistant MFA is required for administrator roles",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(CA,),
        rationale=(
            "Adversary-in-the-middle phishing kits relay push, SMS and OTP codes; only FIDO2 / passkeys, "
            "Windows Hello for Business and certificate-based MFA resist them. Each administrator role must "
            "be covered by an enabled policy requiring the built-in 'Phishing-resistant MFA' strength (or a "
            "custom strength allowing only those methods) with no weaker alternative under OR."
        ),
        remediation=steps(
            "Register phishing-resistant methods for every administrator first (passkeys / FIDO2 keys, "
            "Windows Hello for Business or certificates), and keep emergency-access accounts excluded.",
            "Entra ID > Conditional Access > Policies > New policy (template 'Require phishing-resistant "
            "multifactor authentication for admins').",
            "Users > Directory roles: the roles listed in the evidence; Target resources = All resources.",
            "Grant = Require authentication strength > Phishing-resistant MFA; set Enable policy to On.",
        ),
        licence=ENTRA_P1,
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-admin-phish-resistant-mfa",
            "https://learn.microsoft.com/en-us/entra/identity/authentication/concept-authentication-strengths",
        ),
    )
)
def phishing_resistant_mfa_admins(snapshot: TenantSnapshot) -> Outcome:
    policies = ca.policies(snapshot)
    uncovered = _uncovered_roles(policies, ca.requires_phishing_resistant_mfa)
    if not uncovered:
        return passed(
            f"Enabled policies require phishing-resistant MFA for all {len(ADMIN_ROLES)} administrator roles."
        )
    return failed(
        f"{plural(len(uncovered), 'administrator role')} of {len(ADMIN_ROLES)} not required to use "
        "phishing-resistant MFA.",
        capped(uncovered),
    )


@check(
    metadata(
        id="entra.device_code_flow_blocked",
        title="Device code sign-in flow is blocked",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(CA,),
        rationale=(
            "Device code phishing (e.g. Storm-2372) tricks users into entering a code that hands the "
            "attacker tokens for their account, MFA included. Few organisations need the flow. Requires "
            "an enabled policy that blocks the 'Device code flow' authentication flow for all users "
            "and resources. " + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Entra ID > Conditional Access > Policies > New policy.",
            "Users = All users (exclude only accounts that truly need device code, e.g. meeting-room "
            "devices, and emergency-access accounts); Target resources = All resources.",
            "Conditions > Authentication flows > Configure = Yes > Device code flow; Grant = Block access.",
            "Test in report-only mode, then set Enable policy to On.",
        ),
        licence=ENTRA_P1,
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-block-authentication-flows",
            "https://learn.microsoft.com/en-us/entra/identity/conditional-access/concept-authentication-flows",
        ),
    )
)
def device_code_flow_blocked(snapshot: TenantSnapshot) -> Outcome:
    policies = ca.policies(snapshot, judge_strengths=False)

    def targets_device_code(policy: ca.Policy) -> bool:
        return ca.blocks(policy) and "deviceCodeFlow" in ca.transfer_methods(policy)

    for policy in policies:
        if targets_device_code(policy) and ca.baseline_gap(policy, ignore=("authenticationFlows",)) is None:
            return passed(
                f"Conditional Access policy '{policy.get('displayName')}' blocks the device code flow for "
                f"all users{ca_users.exclusion_note(policy)}."
            )
    aimed = [p for p in policies if targets_device_code(p)]
    near = [ca.describe(p, ca.baseline_gap(p, ignore=("authenticationFlows",))) for p in aimed]
    return failed(
        "No enabled Conditional Access policy blocks the device code flow for all users and resources "
        f"({plural(len(near), 'blocking policy', 'blocking policies')} {verb(len(near), 'falls', 'fall')} "
        f"short).{ca_users.exclusions_named(aimed)}{shown(len(near))}",
        capped(near),
    )


CHECKS = (
    mfa_baseline_present,
    legacy_auth_blocked,
    mfa_all_users,
    mfa_admins,
    phishing_resistant_mfa_admins,
    device_code_flow_blocked,
)
