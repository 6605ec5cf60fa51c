"""Conditional Access beyond MFA: phishing-resistant MFA for everyone, managed devices, the security-info
registration user action, and administrator session lifetime.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md).

Policies are read and judged through `core.checks.conditional_access` (enforced state, all users, all
resources, narrowing conditions, grant operators; their private grant readers and identity's
`_covers_role_everywhere` are reused, not restated, so each rule stays in one place); this module adds
only what those rules do not say:
which grant amounts to "a managed device", how a policy aimed at the "Register security information"
user action is recognised, and how session controls are read. Shapes (Graph `conditionalAccessPolicy`):
`conditions.applications.includeUserActions` (e.g. "urn:user:registersecurityinfo"),
`conditions.locations.{includeLocations, excludeLocations}`, `grantControls.builtInControls`
("compliantDevice", "domainJoinedDevice" = Microsoft Entra hybrid joined), and
`sessionControls.signInFrequency.{isEnabled, value, type ("hours" | "days"), frequencyInterval
("timeBased" | "everyTime")}` and `sessionControls.persistentBrowser.{isEnabled, mode ("always" |
"never")}` (learn.microsoft.com/graph/api/resources/signinfrequencysessioncontrol,
.../persistentbrowsersessioncontrol).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks import ca_users
from core.checks import conditional_access as ca
from core.checks.helpers import capped, check, folded, folded_all, metadata, plural, shown, steps, verb
from core.checks.identity import _covers_role_everywhere
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.well_known import ADMIN_ROLES, ENTRA_P1, role_name

CATEGORY = "Identity"
CA = ca.SOURCE
MANAGED_DEVICE_CONTROLS = frozenset({"compliantdevice", "domainjoineddevice"})
REGISTER_SECURITY_INFO = "urn:user:registersecurityinfo"
MAX_ADMIN_SESSION_HOURS = 4  # CIS 5.2.2.4 recommends a sign-in frequency of 4 hours or less
CA_DOCS = (
    "https://learn.microsoft.com/en-us/entra/identity/conditional-access/concept-conditional-access-grant"
)
SESSION_DOCS = "https://learn.microsoft.com/en-us/entra/identity/conditional-access/concept-session-lifetime"
REGISTRATION_DOCS = "https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-all-users-security-info-registration"


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def requires_managed_device(policy: ca.Policy) -> bool:
    """Every way through the grant needs a compliant or Microsoft Entra hybrid joined device."""
    if ca.blocks(policy):
        return False
    controls = ca._builtin(policy)
    if not controls & MANAGED_DEVICE_CONTROLS:
        return False
    if ca._operator(policy) == "AND":
        return True
    # Under OR, MFA, a strength, terms of use or a custom factor is a way in from any device.
    strength = (policy.get("grantControls") or {}).get("authenticationStrength")
    return not strength and not ca._other_alternatives(policy, set(MANAGED_DEVICE_CONTROLS))


def _device_gap(policy: ca.Policy) -> str | None:
    if requires_managed_device(policy):
        return None
    return "a device that is not managed still gets in (OR with another control)"


@check(
    metadata(
        id="entra.phishing_resistant_mfa_all",
        title="Phishing-resistant MFA is required for all users",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(CA,),
        rationale=(
            "Push, SMS and one-time codes are relayed by adversary-in-the-middle phishing kits; only "
            "passkeys (FIDO2), Windows Hello for Business and certificate-based authentication are bound to "
            "the site the user signs in to. Requires one enabled policy for all users, all resources and all "
            "client apps, without narrowing conditions, whose grant can only be met by the built-in "
            "'Phishing-resistant MFA' strength or a custom strength allowing only those methods. "
            + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Register a passkey, Windows Hello for Business or a certificate for every user first "
            "(Entra ID > Authentication methods > Registration campaign), keeping emergency-access "
            "accounts excluded.",
            "Entra admin center > Entra ID > Conditional Access > Policies > New policy: Users = All users; "
            "Target resources = All resources; Grant = Require authentication strength > "
            "Phishing-resistant MFA.",
            "Or with Microsoft Graph PowerShell: New-MgIdentityConditionalAccessPolicy with "
            "grantControls.authenticationStrength.id = '00000000-0000-0000-0000-000000000004'.",
            "Run it in report-only mode, review the sign-in logs, then set Enable policy to On.",
        ),
        licence=ENTRA_P1,
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-all-users-mfa-strength",
            "https://learn.microsoft.com/en-us/entra/identity/authentication/concept-authentication-strengths",
        ),
    )
)
def phishing_resistant_mfa_all(snapshot: TenantSnapshot) -> Outcome:
    policies = ca.policies(snapshot)
    for policy in policies:
        if ca.requires_phishing_resistant_mfa(policy) and ca.baseline_gap(policy) is None:
            return passed(
                f"Conditional Access policy '{policy.get('displayName')}' requires phishing-resistant MFA "
                f"for all users and resources{ca_users.exclusion_note(policy)}."
            )
    aimed = [p for p in policies if ca.requires_phishing_resistant_mfa(p)]
    near = [ca.describe(p, ca.baseline_gap(p) or "does not meet the requirement") for p in aimed]
    return failed(
        "No enabled Conditional Access policy requires phishing-resistant MFA for all users and resources "
        f"({plural(len(near), 'phishing-resistant policy', 'phishing-resistant policies')} "
        f"{verb(len(near), 'falls', 'fall')} short).{ca_users.exclusions_named(aimed)}{shown(len(near))}",
        capped(near),
    )


@check(
    metadata(
        id="entra.managed_device_required",
        title="A compliant or hybrid joined device is required to sign in",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(CA,),
        rationale=(
            "With a managed-device requirement, a stolen password and even a stolen MFA session are not "
            "enough: the attacker also needs a device enrolled in Intune and compliant, or joined to the "
            "organisation's domain. Requires one enabled policy for all users, all resources and all client "
            "apps, without narrowing conditions, whose grant needs 'Require device to be marked as "
            "compliant' or 'Require Microsoft Entra hybrid joined device'; under OR, any other control "
            "(MFA included) is a way in from any device, so it does not count. "
            + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Enrol devices in Intune (or hybrid join them) and create compliance policies first.",
            "Entra admin center > Entra ID > Conditional Access > Policies > New policy: Users = All users; "
            "Target resources = All resources; Grant = Require device to be marked as compliant and/or "
            "Require Microsoft Entra hybrid joined device, with 'Require one of the selected controls'.",
            "Or with Microsoft Graph PowerShell: New-MgIdentityConditionalAccessPolicy with "
            "grantControls.builtInControls = @('compliantDevice','domainJoinedDevice') and operator 'OR'.",
            "Run it in report-only mode, review the impact, then set Enable policy to On.",
        ),
        licence=ENTRA_P1,
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-all-users-device-compliance",
            CA_DOCS,
        ),
    )
)
def managed_device_required(snapshot: TenantSnapshot) -> Outcome:
    policies = ca.policies(snapshot, judge_strengths=False)
    for policy in policies:
        if requires_managed_device(policy) and ca.baseline_gap(policy) is None:
            return passed(
                f"Conditional Access policy '{policy.get('displayName')}' requires a managed device for all "
                f"users and resources{ca_users.exclusion_note(policy)}."
            )
    aimed = [p for p in policies if ca._builtin(p) & MANAGED_DEVICE_CONTROLS]
    near = [ca.describe(p, ca.baseline_gap(p) or _device_gap(p)) for p in aimed]
    return failed(
        "No enabled Conditional Access policy requires a compliant or hybrid joined device for all users "
        f"and resources ({plural(len(near), 'device policy', 'device policies')} "
        f"{verb(len(near), 'falls', 'fall')} short).{ca_users.exclusions_named(aimed)}{shown(len(near))}",
        capped(near),
    )


def targets_registration(policy: ca.Policy) -> bool:
    apps = (policy.get("conditions") or {}).get("applications") or {}
    return REGISTER_SECURITY_INFO in folded_all(_list(apps.get("includeUserActions")))


def _trusted_locations_only(policy: ca.Policy) -> bool:
    """Blocks registration from every location but the excluded (trusted) ones: Microsoft's template."""
    locations = (policy.get("conditions") or {}).get("locations") or {}
    included = folded_all(_list(locations.get("includeLocations")))
    return ca.blocks(policy) and "all" in included and bool(_list(locations.get("excludeLocations")))


def registration_gap(policy: ca.Policy) -> str | None:
    """Why a policy aimed at security-info registration does not protect it for everyone (None if it does)."""
    if not ca.is_enforced(policy):
        return "report-only, not enforced" if ca.is_report_only(policy) else "disabled"
    scope = ca_users.scope_gap(policy)
    if scope:
        return scope
    if not ca.covers_all_client_apps(policy):
        return "applies only to some client app types"
    if _trusted_locations_only(policy):
        narrowed = ca.narrowing_conditions(policy, ignore=("locations",))
        return "limited by " + ", ".join(narrowed) if narrowed else None
    if not requires_managed_device(policy):
        return "grant does not require a managed device (nor blocks outside trusted locations)"
    narrowed = ca.narrowing_conditions(policy)
    return "limited by " + ", ".join(narrowed) if narrowed else None


@check(
    metadata(
        id="entra.security_info_registration",
        title="Registering security information needs a managed device or a trusted location",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(CA,),
        rationale=(
            "Whoever holds a password for an account that has no MFA method yet can register their own "
            "method and keep the account. Requires an enabled policy for all users on the 'Register "
            "security information' user action whose grant needs a compliant or hybrid joined device, or "
            "which blocks registration everywhere except trusted (excluded) named locations, as Microsoft's "
            "template does. CIS and SCuBA ask for the managed device; the trusted-location form is accepted "
            "here as well. " + ca_users.EXCLUSION_RATIONALE
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Conditional Access > Policies > New policy (template 'Securing "
            "security info registration').",
            "Users = All users (exclude emergency-access accounts); Target resources = User actions > "
            "Register security information.",
            "Grant = Require device to be marked as compliant or Require Microsoft Entra hybrid joined "
            "device; or Conditions > Locations = Any location, exclude All trusted locations, with Grant = "
            "Block access.",
            "Or with Microsoft Graph PowerShell: New-MgIdentityConditionalAccessPolicy with "
            "conditions.applications.includeUserActions = @('urn:user:registersecurityinfo'); then set "
            "Enable policy to On.",
        ),
        licence=ENTRA_P1,
        references=(REGISTRATION_DOCS, CA_DOCS),
    )
)
def security_info_registration(snapshot: TenantSnapshot) -> Outcome:
    policies = ca.policies(snapshot, judge_strengths=False)
    aimed = [p for p in policies if targets_registration(p)]
    for policy in aimed:
        if registration_gap(policy) is None:
            how = (
                "outside trusted locations" if _trusted_locations_only(policy) else "without a managed device"
            )
            return passed(
                f"Conditional Access policy '{policy.get('displayName')}' stops security information being "
                f"registered {how}, for all users{ca_users.exclusion_note(policy)}."
            )
    near = [ca.describe(p, registration_gap(p)) for p in aimed]
    return failed(
        "No enabled Conditional Access policy protects the 'Register security information' user action "
        f"for all users ({plural(len(near), 'registration policy', 'registration policies')} "
        f"{verb(len(near), 'falls', 'fall')} short).{ca_users.exclusions_named(aimed)}{shown(len(near))}",
        capped(near),
    )


def _session(policy: ca.Policy, name: str) -> Mapping[str, Any]:
    value = (policy.get("sessionControls") or {}).get(name)
    return value if isinstance(value, Mapping) else {}


def frequency_hours(policy: ca.Policy) -> float | None:
    """The sign-in frequency a policy enforces, in hours (0 for 'every time'); None when it sets none."""
    frequency = _session(policy, "signInFrequency")
    if frequency.get("isEnabled") is not True:
        return None
    if folded(frequency.get("frequencyInterval")) == "everytime":
        return 0.0
    value = frequency.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    unit = folded(frequency.get("type"))
    return float(value) * 24 if unit == "days" else float(value) if unit == "hours" else None


def never_persistent(policy: ca.Policy) -> bool:
    browser = _session(policy, "persistentBrowser")
    return browser.get("isEnabled") is True and folded(browser.get("mode")) == "never"


def _short_sessions(policy: ca.Policy) -> bool:
    hours = frequency_hours(policy)
    return hours is not None and hours <= MAX_ADMIN_SESSION_HOURS


def _session_gaps(policies: list[ca.Policy], role: str) -> list[str]:
    covering = [p for p in policies if _covers_role_everywhere(p, role) and not ca.blocks(p)]
    gaps = []
    if not any(_short_sessions(p) for p in covering):
        gaps.append(f"no sign-in frequency of {MAX_ADMIN_SESSION_HOURS} hours or less")
    if not any(never_persistent(p) for p in covering):
        gaps.append("browser sessions may persist")
    return gaps


@check(
    metadata(
        id="entra.admin_signin_frequency",
        title="Administrator sessions are short and browser sessions do not persist",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(CA,),
        rationale=(
            "A stolen administrator session cookie or token is as good as the administrator's credentials "
            "for as long as it lives (90 days by default). Each administrator role must be covered, for all "
            "resources and client apps, by enabled policies that set a sign-in frequency of "
            f"{MAX_ADMIN_SESSION_HOURS} hours or less (or every time) and a persistent browser session of "
            "'Never persistent'. A role listed in a policy's excluded roles is not covered."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Conditional Access > Policies > New policy.",
            "Users > Include > Directory roles: every administrator role listed in the evidence; Target "
            "resources = All resources.",
            f"Session > Sign-in frequency = Periodic reauthentication, {MAX_ADMIN_SESSION_HOURS} hours; "
            "Persistent browser session = Never persistent.",
            "Or with Microsoft Graph PowerShell: New-MgIdentityConditionalAccessPolicy with "
            f"sessionControls.signInFrequency = @{{isEnabled=$true; type='hours'; "
            f"value={MAX_ADMIN_SESSION_HOURS}}} and sessionControls.persistentBrowser = @{{isEnabled=$true; "
            "mode='never'}}; then set Enable policy to On.",
        ),
        licence=ENTRA_P1,
        references=(SESSION_DOCS,),
    )
)
def admin_signin_frequency(snapshot: TenantSnapshot) -> Outcome:
    policies = ca.policies(snapshot, judge_strengths=False)
    uncovered = []
    for role in sorted(ADMIN_ROLES, key=role_name):
        gaps = _session_gaps(policies, role)
        if gaps:
            uncovered.append({"roleTemplateId": role, "role": role_name(role), "gap": "; ".join(gaps)})
    if not uncovered:
        return passed(
            f"All {len(ADMIN_ROLES)} administrator roles sign in again at least every "
            f"{MAX_ADMIN_SESSION_HOURS} hours, and their browser sessions never persist."
        )
    return failed(
        f"{plural(len(uncovered), 'administrator role')} of {len(ADMIN_ROLES)} without a sign-in frequency "
        f"of {MAX_ADMIN_SESSION_HOURS} hours or less and never-persistent browser sessions.",
        capped(uncovered),
    )


CHECKS = (
    phishing_resistant_mfa_all,
    managed_device_required,
    security_info_registration,
    admin_signin_frequency,
)
