"""Entra ID settings beyond the core baseline (issue 20): device registration, managed-device and
security-info-registration Conditional Access, per posture, in Graph's shapes.

- Contoso Dental (weak): Microsoft's defaults for device registration (anyone joins, Global
  Administrators and the registering user become local administrators, no LAPS).
- Northwind Logistics (mixed): LAPS on and joining limited to a group, but the registering user is
  still made local administrator; a security-info registration policy that asks only for MFA.
- Fabrikam Legal (strong): joining limited, no automatic local administrators, LAPS on; enabled
  policies require a compliant or hybrid joined device, and one for registering security information.
- Fabrikam also asks for MFA every time a device is enrolled in Intune.
- Tailwind Traders (trap, from the strong settings in traps.py): its device policy lets MFA stand in
  for the device, its Intune enrollment policy is still report-only, and Global Administrators are
  made local administrators of every joined device.
"""

from __future__ import annotations

import dataclasses
import uuid

from devtools.graphsim.policies import Json, PolicyContext, _ca_policy, _grant

MEMBERSHIP = "#microsoft.graph.{}DeviceRegistrationMembership"
MANAGED = ["compliantDevice", "domainJoinedDevice"]
REGISTER_SECURITY_INFO = "urn:user:registersecurityinfo"
INTUNE_ENROLLMENT_APP = "d4ebce55-015a-49b5-a083-c84d1797ae8c"  # Microsoft Intune Enrollment
# Properties of authenticationMethodsPolicy that only beta returns (reportsuspiciousactivitysettings is
# documented under beta alone), left out of the v1.0 answer as Graph leaves them out.
BETA_ONLY_METHODS_POLICY = ("reportSuspiciousActivitySettings",)


def role_assignable_groups(groups: list[Json]) -> list[Json]:
    """The fixture's role-assignable groups as Graph's group objects: the fixture also keeps their
    members and PIM eligibility (served by other endpoints), which a group object does not carry.
    Role-assignable groups are security groups, neither mail-enabled nor dynamic
    (learn.microsoft.com/graph/api/resources/group, isAssignableToRole)."""
    return [
        {
            "id": group["id"],
            "displayName": group.get("displayName"),
            "description": group.get("description"),
            "groupTypes": [],
            "isAssignableToRole": True,
            "mailEnabled": False,
            "securityEnabled": True,
        }
        for group in groups
        if group.get("isAssignableToRole") is True
    ]


def _membership(kind: str, groups: list[str] | None = None) -> Json:
    value: Json = {"@odata.type": MEMBERSHIP.format(kind)}
    if kind == "enumerated":
        value.update(users=[], groups=list(groups or []))
    return value


def default_device_registration_policy() -> Json:
    """What Graph returns for a tenant that never changed its device settings: the documented example
    response (learn.microsoft.com/graph/api/deviceregistrationpolicy-get, "default settings"), with
    no registering users listed. Served for fixtures that carry no policy of their own."""
    return {
        "id": "deviceRegistrationPolicy",
        "displayName": "Device Registration Policy",
        "description": "Tenant-wide policy that manages intial provisioning controls using quota "
        "restrictions, additional authentication and authorization checks",
        "userDeviceQuota": 50,
        "multiFactorAuthConfiguration": "notRequired",
        "azureADRegistration": {"isAdminConfigurable": False, "allowedToRegister": _membership("all")},
        "azureADJoin": {
            "isAdminConfigurable": True,
            "allowedToJoin": _membership("all"),
            "localAdmins": {"enableGlobalAdmins": True, "registeringUsers": _membership("all")},
        },
        "localAdminPassword": {"isEnabled": False},
    }


def device_registration_policy(ctx: PolicyContext) -> Json:
    policy = default_device_registration_policy()
    if ctx.posture == "weak":
        return policy
    strong = ctx.posture == "strong"
    policy["userDeviceQuota"] = 10 if strong else 20
    policy["azureADJoin"].update(
        allowedToJoin=_membership("enumerated", [stable_id(ctx, "device provisioning group")]),
        localAdmins={
            "enableGlobalAdmins": not strong,
            "registeringUsers": _membership("no" if strong else "all"),
        },
    )
    policy["localAdminPassword"] = {"isEnabled": True}
    return policy


def stable_id(ctx: PolicyContext, name: str) -> str:
    """Ids derived from the tenant id, so that adding these settings draws nothing from the fixture's
    random generator and every value generated before them stays as it was."""
    return str(uuid.uuid5(uuid.UUID(ctx.tenant_id), f"entra-depth:{name}"))


def _policy(ctx: PolicyContext, name: str, users: Json, grant: Json) -> Json:
    fixed = dataclasses.replace(ctx, new_id=lambda: stable_id(ctx, name))
    return _ca_policy(fixed, name, "enabled", users=users, grant=grant)


def _registration_policy(ctx: PolicyContext, name: str, grant: Json) -> Json:
    policy = _policy(
        ctx,
        name,
        users={"includeUsers": ["All"], "excludeUsers": list(ctx.break_glass_ids)},
        grant=grant,
    )
    # A user action instead of resources: conditionalAccessApplications.includeUserActions
    # (learn.microsoft.com/graph/api/resources/conditionalaccessapplications).
    policy["conditions"]["applications"].update(
        includeApplications=[], includeUserActions=[REGISTER_SECURITY_INFO]
    )
    return policy


def conditional_access_policies(ctx: PolicyContext) -> list[Json]:
    """Policies added after the core baseline (policies.conditional_access_policies)."""
    if ctx.posture == "weak":
        return []
    if ctx.posture == "mixed":
        return [_registration_policy(ctx, "Register security info with MFA", _grant(["mfa"]))]
    all_users = {"includeUsers": ["All"], "excludeUsers": list(ctx.break_glass_ids)}
    return [
        _policy(ctx, "CA008 Require compliant or hybrid joined device", all_users, _grant(MANAGED)),
        _registration_policy(ctx, "CA009 Register security info from managed devices", _grant(MANAGED)),
        _enrollment_policy(ctx),
    ]


def _enrollment_policy(ctx: PolicyContext) -> Json:
    """MFA at every Intune enrollment: the Microsoft Intune Enrollment app with sign-in frequency
    'every time' (signInFrequencySessionControl.frequencyInterval "everyTime", which takes no value or
    type: learn.microsoft.com/graph/api/resources/signinfrequencysessioncontrol)."""
    users = {"includeUsers": ["All"], "excludeUsers": list(ctx.break_glass_ids)}
    policy = _policy(ctx, "CA010 MFA every time for Intune enrollment", users, _grant(["mfa"]))
    policy["conditions"]["applications"]["includeApplications"] = [INTUNE_ENROLLMENT_APP]
    policy["sessionControls"] = {
        "signInFrequency": {
            "value": None,
            "type": None,
            "authenticationType": "primaryAndSecondaryAuthentication",
            "frequencyInterval": "everyTime",
            "isEnabled": True,
        },
        "persistentBrowser": None,
        "applicationEnforcedRestrictions": None,
        "cloudAppSecurity": None,
        "disableResilienceDefaults": None,
    }
    return policy


def set_traps(fixture: Json) -> None:
    """Tailwind Traders: a device policy that MFA satisfies, an Intune enrollment policy left in
    report-only, and Global Administrators as local administrators of every joined device (their
    device settings otherwise stay strong)."""
    for policy in fixture["conditionalAccessPolicies"]:
        if policy["displayName"].startswith("CA008"):
            policy["grantControls"]["builtInControls"] = [*MANAGED, "mfa"]
        if policy["displayName"].startswith("CA010"):
            policy["state"] = "enabledForReportingButNotEnforced"  # never switched on after its pilot
    fixture["deviceRegistrationPolicy"]["azureADJoin"]["localAdmins"]["enableGlobalAdmins"] = True


def report_suspicious_activity(ctx: PolicyContext) -> Json:
    """Report suspicious activity (beta reportSuspiciousActivitySettings): Microsoft's default ("default"
    means disabled) for the weak tenant, a pilot group for the mixed one, all users for the strong one."""
    state = {"weak": "default", "mixed": "enabled", "strong": "enabled"}[ctx.posture]
    target = "all_users" if ctx.posture != "mixed" else stable_id(ctx, "report suspicious activity pilot")
    return {"state": state, "voiceReportingCode": 0, "includeTarget": {"targetType": "group", "id": target}}


def methods_policy(policy: Json, version: str) -> Json:
    """The authentication methods policy as `GET /{version}/policies/authenticationMethodsPolicy` answers:
    beta adds what only beta has (Microsoft's default when the fixture sets none), v1.0 leaves it out."""
    if version == "v1.0":
        return {k: v for k, v in policy.items() if k not in BETA_ONLY_METHODS_POLICY}
    default = {
        "state": "default",
        "voiceReportingCode": 0,
        "includeTarget": {"targetType": "group", "id": "all_users"},
    }
    return {"reportSuspiciousActivitySettings": default, **policy}
