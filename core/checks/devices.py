"""Device registration: who may join devices to Microsoft Entra ID, who becomes their local
administrator, and Windows LAPS.

Which CIS and SCuBA controls these checks cover is data in core/frameworks/*.json (see
docs/frameworks.md); the matching CIS recommendations (5.1.4.x) arrive only in CIS v6.

Shape: GET /policies/deviceRegistrationPolicy (learn.microsoft.com/graph/api/deviceregistrationpolicy-get):
`azureADJoin.allowedToJoin` and `azureADJoin.localAdmins.registeringUsers` are memberships told apart by
`@odata.type` (`#microsoft.graph.allDeviceRegistrationMembership`, `enumeratedDeviceRegistrationMembership`
with `users` and `groups`, or `noDeviceRegistrationMembership`; learn.microsoft.com/graph/api/resources/
deviceregistrationmembership), `azureADJoin.localAdmins.enableGlobalAdmins` (Boolean), and
`localAdminPassword.isEnabled` (Boolean). Microsoft's defaults: everyone may join, Global
Administrators and the registering user become local administrators, LAPS off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.helpers import check, folded, metadata, steps
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed

SOURCE = "device_registration_policy"
ALL, SELECTED, NONE = "all", "selected", "none"
_KINDS = {
    "#microsoft.graph.alldeviceregistrationmembership": ALL,
    "#microsoft.graph.enumerateddeviceregistrationmembership": SELECTED,
    "#microsoft.graph.nodeviceregistrationmembership": NONE,
}
DEVICE_SETTINGS_DOCS = "https://learn.microsoft.com/en-us/entra/identity/devices/manage-device-identities"
LOCAL_ADMIN_DOCS = "https://learn.microsoft.com/en-us/entra/identity/devices/assign-local-admin"
LAPS_DOCS = "https://learn.microsoft.com/en-us/entra/identity/devices/howto-manage-local-admin-passwords"


def _join(snapshot: TenantSnapshot) -> Mapping[str, Any]:
    return (snapshot.get(SOURCE) or {}).get("azureADJoin") or {}


def membership(value: Any) -> str:
    """ "all", "selected", "none", or the unrecognised @odata.type itself (never treated as limited)."""
    kind = folded((value or {}).get("@odata.type")) if isinstance(value, Mapping) else ""
    return _KINDS.get(kind, kind or "unknown")


@check(
    metadata(
        id="entra.device_join_restricted",
        title="Only selected users can join devices to Microsoft Entra ID",
        category="Identity",
        severity=Severity.LOW,
        sources=(SOURCE,),
        rationale=(
            "When every user may join devices, an attacker with one user's password can join a device they "
            "control, which then counts as an organisation device and can meet device-based Conditional "
            "Access. 'Users may join devices to Microsoft Entra' must be Selected (or None)."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Devices > Device settings.",
            "Set 'Users may join devices to Microsoft Entra' to Selected and choose the group that "
            "provisions devices (or None when devices are joined through Autopilot only); Save.",
            "Or with Microsoft Graph (Policy.ReadWrite.DeviceConfiguration): PUT "
            "/policies/deviceRegistrationPolicy with azureADJoin.allowedToJoin = "
            "{'@odata.type': '#microsoft.graph.enumeratedDeviceRegistrationMembership', groups: [<id>]}.",
        ),
        references=(DEVICE_SETTINGS_DOCS,),
    )
)
def device_join_restricted(snapshot: TenantSnapshot) -> Outcome:
    raw = _join(snapshot).get("allowedToJoin")
    kind = membership(raw)
    if kind in (SELECTED, NONE):
        return passed(f"Joining devices to Microsoft Entra ID is limited ({kind}).")
    return failed(
        "Any user can join devices to Microsoft Entra ID."
        if kind == ALL
        else f"Who may join devices is not recognised ({kind}), so it cannot be shown to be limited.",
        [{"setting": "azureADJoin.allowedToJoin", "membership": kind}],
    )


@check(
    metadata(
        id="entra.device_local_admins_limited",
        title="Joining a device makes neither Global Administrators nor the user its local administrator",
        category="Privileged access",
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        rationale=(
            "Every local administrator of a joined device can read credentials cached on it and switch off "
            "its protections. Adding Global Administrators to every device's administrators exposes the "
            "most powerful accounts on every endpoint; making the registering user an administrator gives "
            "every user full control of their device. Requires 'Global administrator role is added as "
            "local administrator on the device during Microsoft Entra join' off, and 'Registering user is "
            "added as local administrator' Selected or None."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Devices > Device settings.",
            "Set 'Global administrator role is added as local administrator on the device during Microsoft "
            "Entra join (Preview)' to No.",
            "Set 'Registering user is added as local administrator on the device during Microsoft Entra "
            "join (Preview)' to None (or Selected, for a small support group); Save.",
            "Grant local administrator rights through the Microsoft Entra Joined Device Local Administrator "
            "role or Intune account protection policies instead.",
        ),
        references=(LOCAL_ADMIN_DOCS,),
    )
)
def device_local_admins_limited(snapshot: TenantSnapshot) -> Outcome:
    admins = _join(snapshot).get("localAdmins") or {}
    gaps: list[dict[str, Any]] = []
    if admins.get("enableGlobalAdmins") is not False:
        gaps.append(
            {
                "setting": "azureADJoin.localAdmins.enableGlobalAdmins",
                "value": admins.get("enableGlobalAdmins"),
            }
        )
    registering = membership(admins.get("registeringUsers"))
    if registering not in (SELECTED, NONE):
        gaps.append({"setting": "azureADJoin.localAdmins.registeringUsers", "membership": registering})
    if not gaps:
        who = "no registering user" if registering == NONE else "only selected registering users"
        return passed(f"Joining a device makes no Global Administrator, and {who}, its local administrator.")
    return failed(
        "Joining a device makes "
        + " and ".join(
            "Global Administrators" if "enableGlobalAdmins" in str(g["setting"]) else "the registering user"
            for g in gaps
        )
        + " its local administrator.",
        gaps,
    )


@check(
    metadata(
        id="entra.laps_enabled",
        title="Windows LAPS is enabled for joined devices",
        category="Privileged access",
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        rationale=(
            "Without Windows Local Administrator Password Solution, a device's built-in administrator "
            "password is typically the same on many devices, so one cracked hash opens them all. "
            "'Enable Microsoft Entra Local Administrator Password Solution (LAPS)' must be Yes (then an "
            "Intune or group policy turns the client on)."
        ),
        remediation=steps(
            "Entra admin center > Entra ID > Devices > Device settings.",
            "Set 'Enable Microsoft Entra Local Administrator Password Solution (LAPS)' to Yes; Save.",
            "Intune admin center > Endpoint security > Account protection: create a LAPS policy that backs "
            "up the password to Microsoft Entra ID.",
            "Or with Microsoft Graph (Policy.ReadWrite.DeviceConfiguration): PUT "
            "/policies/deviceRegistrationPolicy with localAdminPassword.isEnabled = true.",
        ),
        references=(LAPS_DOCS,),
    )
)
def laps_enabled(snapshot: TenantSnapshot) -> Outcome:
    laps = (snapshot.get(SOURCE) or {}).get("localAdminPassword") or {}
    if laps.get("isEnabled") is True:
        return passed("Windows LAPS is enabled for Microsoft Entra joined devices.")
    return failed(
        "Windows LAPS is not enabled for Microsoft Entra joined devices.",
        [{"setting": "localAdminPassword.isEnabled", "value": laps.get("isEnabled")}],
    )


CHECKS = (device_join_restricted, device_local_admins_limited, laps_enabled)
