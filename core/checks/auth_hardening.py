"""Hardening beyond the methods themselves: one-time Temporary Access Passes, and password protection
for on-premises Active Directory with a smart-lockout duration.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md). Authenticator's one-time codes are judged
by `auth.authenticator_context_shown` and the smart-lockout threshold by
`passwords.smart_lockout_threshold`; neither is repeated here. Graph returns
`reportSuspiciousActivitySettings` (`state`: default | enabled | disabled, "default" meaning disabled;
`includeTarget.{targetType, id}`) from beta only (learn.microsoft.com/graph/api/resources/
reportsuspiciousactivitysettings), so it has a source of its own, `authentication_methods_policy_beta`.

Shapes: the `TemporaryAccessPass` entry of authenticationMethodsPolicy.authenticationMethodConfigurations
(`state`, `isUsableOnce`; learn.microsoft.com/graph/api/resources/
temporaryaccesspassauthenticationmethodconfiguration); the "Password Rule Settings" directory setting
(`EnableBannedPasswordCheckOnPremises` "True"/"False", `BannedPasswordCheckOnPremisesMode` "Audit"/
"Enforce", `LockoutDurationInSeconds`; learn.microsoft.com/entra/identity/authentication/
howto-password-smart-lockout and the EIDSCA checks of the same names).
"""

from __future__ import annotations

from core.checks.auth_methods import POLICY, _configurations
from core.checks.helpers import check, folded, has_service_plan, is_true, metadata, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, not_applicable, passed
from core.checks.passwords import password_rule_values
from core.checks.well_known import ENTRA_P1

MIN_LOCKOUT_SECONDS = 60  # the service default and CIS's floor; lower lets a sprayer retry sooner
# What applies to a value the tenant never saved: 60-second lockouts (the smart lockout default), and
# no on-premises enforcement (public tools disagree on whether the switch defaults on, but its mode
# starts in Audit either way, so an unsaved tenant does not enforce).
TEMPLATE_DEFAULTS = {
    "EnableBannedPasswordCheckOnPremises": "",
    "BannedPasswordCheckOnPremisesMode": "Audit",
    "LockoutDurationInSeconds": str(MIN_LOCKOUT_SECONDS),
}
ON_PREM_DOCS = "https://learn.microsoft.com/en-us/entra/identity/authentication/howto-password-ban-bad-on-premises-operations"


@check(
    metadata(
        id="auth.temporary_access_pass_one_time",
        title="Temporary Access Passes can be used only once",
        category="Authentication methods",
        severity=Severity.LOW,
        sources=(POLICY,),
        rationale=(
            "A Temporary Access Pass signs a user in and lets them register passwordless methods. A pass "
            "that can be used again for its whole lifetime is a reusable credential: whoever reads it from "
            "a ticket or chat can sign in as the user until it expires. When the method is enabled, "
            "isUsableOnce must be true (EIDSCA); a disabled method passes."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Authentication methods > Policies > Temporary Access Pass > "
            "Configure.",
            "Set 'One-time use' to Yes and Save.",
            "Or with Microsoft Graph PowerShell (Policy.ReadWrite.AuthenticationMethod): "
            "Update-MgPolicyAuthenticationMethodPolicyAuthenticationMethodConfiguration "
            "-AuthenticationMethodConfigurationId TemporaryAccessPass -BodyParameter "
            "@{'@odata.type'='#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration'; "
            "isUsableOnce=$true}.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/authentication/howto-authentication-temporary-access-pass",
        ),
    )
)
def temporary_access_pass_one_time(snapshot: TenantSnapshot) -> Outcome:
    configuration = _configurations(snapshot).get("temporaryaccesspass")
    if configuration is None or configuration.get("state") != "enabled":
        return passed("Temporary Access Pass is not enabled, so no reusable pass can be issued.")
    if configuration.get("isUsableOnce") is True:
        return passed("Temporary Access Passes are one-time use.")
    return failed(
        "Temporary Access Passes can be used again until they expire.",
        [{"setting": "TemporaryAccessPass.isUsableOnce", "value": configuration.get("isUsableOnce")}],
    )


BETA_POLICY = "authentication_methods_policy_beta"


@check(
    metadata(
        id="auth.report_suspicious_activity",
        title="Users can report MFA prompts they did not start",
        category="Authentication methods",
        severity=Severity.LOW,
        sources=(BETA_POLICY,),
        rationale=(
            "A push or phone prompt the user did not start means someone else holds the password. With "
            "report suspicious activity on, the user can say so: the prompt is denied, the user's risk is "
            "set to high (so risk-based policies act) and the event reaches the administrators. Requires "
            "the setting enabled for all users (EIDSCA); 'Microsoft managed' (default) leaves it off."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Authentication methods > Settings.",
            "Under Report suspicious activity set State = Enabled and Target = All users; Save.",
            "Or with Microsoft Graph (beta, Policy.ReadWrite.AuthenticationMethod): PATCH "
            "/beta/policies/authenticationMethodsPolicy with reportSuspiciousActivitySettings = "
            "{state: 'enabled', includeTarget: {targetType: 'group', id: 'all_users'}}.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/entra/identity/authentication/howto-mfa-mfasettings",
            "https://learn.microsoft.com/en-us/graph/api/resources/reportsuspiciousactivitysettings",
        ),
    )
)
def report_suspicious_activity(snapshot: TenantSnapshot) -> Outcome:
    settings = (snapshot.get(BETA_POLICY) or {}).get("reportSuspiciousActivitySettings") or {}
    target = (settings.get("includeTarget") or {}).get("id")
    if settings.get("state") == "enabled" and folded(target) == "all_users":
        return passed("All users can report MFA prompts they did not start.")
    scope = "is off" if settings.get("state") != "enabled" else f"covers only group {target}"
    return failed(
        f"Report suspicious activity {scope}.",
        [
            {
                "setting": "reportSuspiciousActivitySettings",
                "state": settings.get("state"),
                "includeTarget": target,
            }
        ],
    )


def _is_hybrid(snapshot: TenantSnapshot) -> bool:
    return any(is_true(o.get("onPremisesSyncEnabled")) for o in snapshot.get("organization") or [])


def _lockout_seconds(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


@check(
    metadata(
        id="passwords.onprem_protection_lockout",
        title="Password protection is enforced on-premises and lockouts last at least a minute",
        category="Passwords",
        severity=Severity.MEDIUM,
        sources=("directory_settings", "organization"),
        rationale=(
            "In a hybrid tenant most passwords are set against on-premises Active Directory, where the "
            "banned-password lists apply only when password protection for Windows Server Active Directory "
            "is on and in Enforce mode (Audit only logs). Smart lockout shorter than "
            f"{MIN_LOCKOUT_SECONDS} seconds lets a password sprayer retry sooner. A cloud-only tenant is "
            "judged on the lockout duration alone. Not applicable to a hybrid tenant without Entra ID P1, "
            "which on-premises password protection needs (read from subscriptions when collected)."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Authentication methods > Password protection.",
            "Set 'Enable password protection on Windows Server Active Directory' to Yes and Mode to "
            f"Enforced; keep 'Lockout duration in seconds' at {MIN_LOCKOUT_SECONDS} or more; Save.",
            "Install the Microsoft Entra Password Protection proxy and DC agents on-premises.",
            "Or with Microsoft Graph PowerShell (Directory.ReadWrite.All): Update-MgGroupSetting for the "
            "'Password Rule Settings' setting with EnableBannedPasswordCheckOnPremises='True' and "
            "BannedPasswordCheckOnPremisesMode='Enforce'.",
        ),
        references=(
            ON_PREM_DOCS,
            "https://learn.microsoft.com/en-us/entra/identity/authentication/howto-password-smart-lockout",
        ),
    )
)
def onprem_protection_lockout(snapshot: TenantSnapshot) -> Outcome:
    hybrid = _is_hybrid(snapshot)
    if hybrid and has_service_plan(snapshot, ENTRA_P1) is False:
        return not_applicable(
            "No Entra ID P1 (AAD_PREMIUM) service plan: password protection for on-premises AD needs P1."
        )
    values = {**TEMPLATE_DEFAULTS, **(password_rule_values(snapshot) or {})}
    gaps = []
    seconds = _lockout_seconds(values["LockoutDurationInSeconds"])
    if seconds is None or seconds < MIN_LOCKOUT_SECONDS:
        gaps.append({"LockoutDurationInSeconds": values["LockoutDurationInSeconds"]})
    on = folded(values["EnableBannedPasswordCheckOnPremises"]) == "true"
    # Graph documents "Enforce"; "Enforced" has been seen from other tools, so both are accepted.
    enforced = folded(values["BannedPasswordCheckOnPremisesMode"]).startswith("enforce")
    if hybrid and not (on and enforced):
        gaps.append(
            {
                "EnableBannedPasswordCheckOnPremises": values["EnableBannedPasswordCheckOnPremises"],
                "BannedPasswordCheckOnPremisesMode": values["BannedPasswordCheckOnPremisesMode"],
            }
        )
    if not gaps and hybrid:
        return passed(
            f"On-premises password protection is enforced and smart lockout lasts {seconds} seconds."
        )
    if not gaps:
        return passed(f"Cloud-only tenant: smart lockout lasts {seconds} seconds.")
    return failed(
        f"{'Hybrid' if hybrid else 'Cloud-only'} tenant with {len(gaps)} password protection "
        f"setting{'s' if len(gaps) > 1 else ''} weaker than required.",
        gaps,
    )


CHECKS = (temporary_access_pass_one_time, report_suspicious_activity, onprem_protection_lockout)
