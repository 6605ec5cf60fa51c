"""Risk-based Conditional Access (Entra ID Protection): user-risk and sign-in-risk policies.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md). CIS asks for remediation
(secure password change or MFA) where SCuBA asks for a block, so each has its own check.

Risk conditions need Entra ID P2. The Conditional Access source only needs P1, so these checks also look
at `subscribed_skus` when it was collected: without a P2 service plan they are not applicable.
"""

from __future__ import annotations

from collections.abc import Callable

from core.checks import ca_users
from core.checks import conditional_access as ca
from core.checks.helpers import capped, check, has_service_plan, metadata, plural, steps, verb
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, not_applicable, passed
from core.checks.well_known import ENTRA_P2

CATEGORY = "Identity"
CA = ca.SOURCE
NO_P2 = "no Entra ID P2 (AAD_PREMIUM_P2) service plan: risk-based Conditional Access is unavailable"
USER_RISK_DOCS = "https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-risk-based-user"
SIGNIN_RISK_DOCS = (
    "https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-risk-based-sign-in"
)


def _evaluate(
    snapshot: TenantSnapshot,
    *,
    kind: str,
    levels: set[str],
    grant: Callable[[ca.Policy], bool],
    what: str,
    label: str,
) -> Outcome:
    if has_service_plan(snapshot, ENTRA_P2) is False:
        return not_applicable(NO_P2)
    # A block needs no strength judged, so an unreadable strength lookup cannot hold it up.
    policies = ca.policies(snapshot, judge_strengths=grant is not ca.blocks)
    qualifying = [p for p in policies if grant(p) and ca.baseline_gap(p, ignore=(kind,)) is None]
    covered: set[str] = set()
    for policy in qualifying:
        covered |= ca.risk_levels(policy, kind) & levels
    if covered == levels:
        used = [f"'{p.get('displayName')}'" for p in qualifying if ca.risk_levels(p, kind) & levels]
        lead = "Enabled policy" if len(used) == 1 else "Enabled policies"
        at = " and ".join(sorted(levels))
        return passed(f"{lead} {', '.join(used)} enforce {what} at {at} {label} risk for all users.")
    missing = ", ".join(sorted(levels - covered))
    aimed = [p for p in policies if ca.risk_levels(p, kind) and p not in qualifying]
    near = [
        ca.describe(p, ca.baseline_gap(p, ignore=(kind,)) or "grant control does not meet the requirement")
        for p in aimed
    ]
    return failed(
        f"No enabled policy for all users and resources enforces {what} at {missing} {label} risk "
        f"({plural(len(near), 'risk policy', 'risk policies')} {verb(len(near), 'falls', 'fall')} short)."
        f"{ca_users.exclusions_named(aimed)}",
        capped(near),
    )


def _block_or_secure_password_change(policy: ca.Policy) -> bool:
    return ca.blocks(policy) or ca.requires_password_change_with_mfa(policy)


def _block_or_mfa(policy: ca.Policy) -> bool:
    return ca.blocks(policy) or ca.requires_mfa(policy)


@check(
    metadata(
        id="entra.user_risk_policy",
        title="High user risk requires a secure password change (or is blocked)",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(CA,),
        rationale=(
            "Identity Protection raises user risk when credentials leak or an account behaves like a "
            "compromised one. An enabled policy for all users and resources must, at high user risk, "
            "require MFA together with a secure password change (operator AND), or block access. "
            + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Entra ID > Conditional Access > Policies > New policy (template 'Require secure password "
            "change for elevated user risk').",
            "Users = All users (exclude emergency-access accounts); Target resources = All resources.",
            "Conditions > User risk = High; Grant = Require multifactor authentication AND Require "
            "password change; Session > Sign-in frequency = Every time.",
            "Set Enable policy to On.",
        ),
        licence=ENTRA_P2,
        references=(USER_RISK_DOCS,),
    )
)
def user_risk_policy(snapshot: TenantSnapshot) -> Outcome:
    return _evaluate(
        snapshot,
        kind="userRiskLevels",
        levels={"high"},
        grant=_block_or_secure_password_change,
        what="MFA with a secure password change (or a block)",
        label="user",
    )


@check(
    metadata(
        id="entra.high_risk_users_blocked",
        title="Users detected as high risk are blocked",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(CA,),
        rationale=(
            "CISA SCuBA requires blocking high-risk users until an administrator investigates, rather "
            "than letting the (possibly compromised) user self-remediate. " + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Entra ID > Conditional Access > Policies > New policy.",
            "Users = All users (exclude emergency-access accounts); Target resources = All resources.",
            "Conditions > User risk = High; Grant = Block access; set Enable policy to On.",
            "Configure risky-user alerts (ID Protection > Notifications) so blocked users are reviewed.",
        ),
        licence=ENTRA_P2,
        references=(USER_RISK_DOCS,),
    )
)
def high_risk_users_blocked(snapshot: TenantSnapshot) -> Outcome:
    return _evaluate(
        snapshot, kind="userRiskLevels", levels={"high"}, grant=ca.blocks, what="a block", label="user"
    )


@check(
    metadata(
        id="entra.signin_risk_policy",
        title="Medium and high sign-in risk requires MFA (or is blocked)",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(CA,),
        rationale=(
            "Sign-in risk flags sign-ins from anonymising networks, impossible travel or token replay. "
            "Enabled policies for all users and resources must require MFA (or block) at medium and "
            "high sign-in risk; the two levels may be covered by separate policies. "
            + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Entra ID > Conditional Access > Policies > New policy (template 'Require multifactor "
            "authentication for risky sign-ins').",
            "Users = All users (exclude emergency-access accounts); Target resources = All resources.",
            "Conditions > Sign-in risk = High and Medium; Grant = Require multifactor authentication; "
            "Session > Sign-in frequency = Every time.",
            "Set Enable policy to On.",
        ),
        licence=ENTRA_P2,
        references=(SIGNIN_RISK_DOCS,),
    )
)
def signin_risk_policy(snapshot: TenantSnapshot) -> Outcome:
    return _evaluate(
        snapshot,
        kind="signInRiskLevels",
        levels={"high", "medium"},
        grant=_block_or_mfa,
        what="MFA (or a block)",
        label="sign-in",
    )


@check(
    metadata(
        id="entra.high_risk_signins_blocked",
        title="Sign-ins detected as high risk are blocked",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(CA,),
        rationale=(
            "CISA SCuBA requires blocking high-risk sign-ins outright: at that level the sign-in is most "
            "likely an attacker who may already hold the second factor or a stolen token. "
            + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Entra ID > Conditional Access > Policies > New policy.",
            "Users = All users (exclude emergency-access accounts); Target resources = All resources.",
            "Conditions > Sign-in risk = High; Grant = Block access; set Enable policy to On.",
        ),
        licence=ENTRA_P2,
        references=(SIGNIN_RISK_DOCS,),
    )
)
def high_risk_signins_blocked(snapshot: TenantSnapshot) -> Outcome:
    return _evaluate(
        snapshot, kind="signInRiskLevels", levels={"high"}, grant=ca.blocks, what="a block", label="sign-in"
    )


CHECKS = (user_risk_policy, high_risk_users_blocked, signin_risk_policy, high_risk_signins_blocked)
