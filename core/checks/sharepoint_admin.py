"""SharePoint and OneDrive settings that only SharePoint's admin API shows (GET /_api/SPO.Tenant).

These refine core/checks/sharepoint.py, which reads Graph's /admin/sharepoint/settings: Graph gives
the SharePoint sharing level but not OneDrive's, nor the default link, Anyone-link limits, guest
expiry, verification-code reauthentication, infected-file downloads or custom script. The source
needs the optional, write-capable Sites.FullControl.All (docs/deploy.md): without it every check here
is `error` naming it. Framework mappings are data in core/frameworks/*.json.

The admin API returns enumerations as numbers (CSOM's values; ScubaGear's Rego and CIPP's CIS tests
compare the same numbers): SharingCapabilities 0 Disabled, 1 ExternalUserSharingOnly,
2 ExternalUserAndGuestSharing, 3 ExistingExternalUserSharingOnly; SharingLinkType 0 None, 1 Direct,
2 Internal, 3 AnonymousAccess; SharingPermissionType and AnonymousLinkType 0 None, 1 View, 2 Edit.
Get-SPOTenant prints the names instead, so both are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.helpers import check, metadata, steps
from core.checks.model import Outcome, Severity, SourceFailure, SourceMissing, TenantSnapshot, failed, passed
from core.collect.sources import SHAREPOINT

CATEGORY = "SharePoint and OneDrive"
SOURCE = "spo_tenant"
SHARING_DOCS = "https://learn.microsoft.com/en-us/sharepoint/turn-external-sharing-on-or-off"
SET_TENANT = "https://learn.microsoft.com/en-us/powershell/module/sharepoint-online/set-spotenant"

SHARING = (
    "Disabled",
    "ExternalUserSharingOnly",
    "ExternalUserAndGuestSharing",
    "ExistingExternalUserSharingOnly",
)
SHARING_WORDS = {
    "Disabled": "only people in the organisation",
    "ExistingExternalUserSharingOnly": "existing guests",
    "ExternalUserSharingOnly": "new and existing guests",
    "ExternalUserAndGuestSharing": "anyone (links that need no sign-in)",
}
LINK_TYPES = ("None", "Direct", "Internal", "AnonymousAccess")
PERMISSIONS = ("None", "View", "Edit")
ANYONE = "ExternalUserAndGuestSharing"
MAX_LINK_DAYS = 30  # SCuBA MS.SHAREPOINT.3.1v1
MAX_GUEST_DAYS = 30  # CIS 7.2.9
MAX_REAUTH_DAYS = 15  # CIS 7.2.10 (SCuBA MS.SHAREPOINT.3.3v2 allows 30)


def tenant_settings(snapshot: TenantSnapshot) -> Mapping[str, Any]:
    tenant = snapshot.get(SOURCE)
    if not isinstance(tenant, Mapping) or "SharingCapability" not in tenant:
        raise SourceMissing(SOURCE, SourceFailure("unavailable", "the tenant carries no SharingCapability"))
    return tenant


def _name(value: Any, names: tuple[str, ...]) -> str | None:
    """An enumeration's name, from its number (the admin API) or its name (Get-SPOTenant)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return names[value]
    if isinstance(value, str):
        return next((n for n in names if n.lower() == value.lower()), None)
    return None


def _setting(tenant: Mapping[str, Any], key: str, names: tuple[str, ...]) -> str:
    """The named value of `key`; an unknown or missing value is no setting to judge."""
    name = _name(tenant.get(key), names)
    if name is None:
        raise SourceMissing(
            SOURCE, SourceFailure("unavailable", f"{key} is missing or unknown ({tenant.get(key)!r})")
        )
    return name


def _days(tenant: Mapping[str, Any], key: str) -> int:
    value = tenant.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise SourceMissing(
            SOURCE, SourceFailure("unavailable", f"{key} is not a number of days ({value!r})")
        )
    return value


def flag(tenant: Mapping[str, Any], key: str) -> bool:
    value = tenant.get(key)
    if not isinstance(value, bool):
        raise SourceMissing(SOURCE, SourceFailure("unavailable", f"{key} is not true or false ({value!r})"))
    return value


def _anyone_allowed(tenant: Mapping[str, Any]) -> bool:
    # OneDrive can never be more permissive than SharePoint, so SharePoint's level decides.
    return _setting(tenant, "SharingCapability", SHARING) == ANYONE


@check(
    metadata(
        id="sharepoint.onedrive_sharing_limited",
        title="OneDrive sharing is limited to existing guests or the organisation",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        licence=SHAREPOINT,
        rationale=(
            "OneDrive holds each person's own files, and its sharing level is set apart from SharePoint's "
            "(never wider). sharepoint.external_sharing_limited judges SharePoint's level from Graph, which "
            "does not report OneDrive's; this check judges OneDrive's the same way: sharing with new "
            "external addresses creates guests on demand, outside any approval, and Anyone links need no "
            "sign-in at all."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing.",
            "Move the OneDrive slider to 'Existing guests' or 'Only people in your organization' and Save.",
            "Or: Set-SPOTenant -OneDriveSharingCapability ExistingExternalUserSharingOnly (or Disabled).",
        ),
        references=(SHARING_DOCS, SET_TENANT),
    )
)
def onedrive_sharing_limited(snapshot: TenantSnapshot) -> Outcome:
    level = _setting(tenant_settings(snapshot), "OneDriveSharingCapability", SHARING)
    if level in ("Disabled", "ExistingExternalUserSharingOnly"):
        return passed(f"OneDrive sharing is limited to {SHARING_WORDS[level]}.")
    return failed(
        f"OneDrive allows sharing with {SHARING_WORDS[level]}.", [{"OneDriveSharingCapability": level}]
    )


@check(
    metadata(
        id="sharepoint.default_link_specific_people",
        title="New sharing links default to specific people",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        licence=SHAREPOINT,
        rationale=(
            "The link type offered first is the one most people send. When it reaches only the people the "
            "sender names, a hurried share cannot open a file to the whole organisation or to anyone with "
            "the URL. CIS also accepts 'People in your organization' links; SCuBA asks for specific people, "
            "as this check does."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing > File and folder links.",
            "Choose 'Specific people (only the people the user specifies)' and Save.",
            "Or: Set-SPOTenant -DefaultSharingLinkType Direct.",
        ),
        references=(SHARING_DOCS, SET_TENANT),
    )
)
def default_link_specific_people(snapshot: TenantSnapshot) -> Outcome:
    link = _setting(tenant_settings(snapshot), "DefaultSharingLinkType", LINK_TYPES)
    if link == "Direct":
        return passed("New sharing links default to specific people.")
    words = {"None": "the tenant's unset default", "Internal": "everyone in the organisation"}
    said = words.get(link, "anyone with the link")
    return failed(f"New sharing links default to {said}.", [{"DefaultSharingLinkType": link}])


@check(
    metadata(
        id="sharepoint.default_link_view_only",
        title="New sharing links grant view rather than edit",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        licence=SHAREPOINT,
        rationale=(
            "A link that lets its recipients edit by default invites changes nobody meant to allow, and an "
            "edit link that travels further lets strangers alter or replace the file."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing > File and folder links.",
            "Set the permission selected by default to View and Save.",
            "Or: Set-SPOTenant -DefaultLinkPermission View.",
        ),
        references=(SHARING_DOCS, SET_TENANT),
    )
)
def default_link_view_only(snapshot: TenantSnapshot) -> Outcome:
    permission = _setting(tenant_settings(snapshot), "DefaultLinkPermission", PERMISSIONS)
    if permission == "View":
        return passed("New sharing links grant view access by default.")
    return failed(
        f"New sharing links grant {permission.lower()} access by default.",
        [{"DefaultLinkPermission": permission}],
    )


@check(
    metadata(
        id="sharepoint.anyone_links_expire",
        title="Anyone links expire within 30 days",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(SOURCE,),
        licence=SHAREPOINT,
        rationale=(
            "An Anyone link works for whoever holds it, for as long as it exists. An expiry bounds how long "
            "a forwarded or leaked link keeps working. Passes when Anyone links cannot be created at all "
            "(sharepoint.anyone_links_disabled judges that)."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing > Choose expiration and permissions options for "
            "Anyone links.",
            "Tick 'These links must expire within this many days', enter 30 or fewer and Save.",
            "Or: Set-SPOTenant -RequireAnonymousLinksExpireInDays 30.",
        ),
        references=(SHARING_DOCS, SET_TENANT),
    )
)
def anyone_links_expire(snapshot: TenantSnapshot) -> Outcome:
    tenant = tenant_settings(snapshot)
    if not _anyone_allowed(tenant):
        return passed("Anyone links cannot be created, so none can outlive their purpose.")
    days = _days(tenant, "RequireAnonymousLinksExpireInDays")
    if 0 < days <= MAX_LINK_DAYS:
        return passed(f"Anyone links expire after {days} days.")
    said = "never expire" if days <= 0 else f"expire only after {days} days"
    return failed(f"Anyone links {said}.", [{"RequireAnonymousLinksExpireInDays": days}])


@check(
    metadata(
        id="sharepoint.anyone_links_view_only",
        title="Anyone links to files and folders are view-only",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(SOURCE,),
        licence=SHAREPOINT,
        rationale=(
            "An Anyone link that can edit lets an unidentified person change or replace the organisation's "
            "files, or upload into its folders. Passes when Anyone links cannot be created at all."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing > Choose expiration and permissions options for "
            "Anyone links.",
            "Under 'These links can give these permissions', set Files and Folders to View and Save.",
            "Or: Set-SPOTenant -FileAnonymousLinkType View -FolderAnonymousLinkType View.",
        ),
        references=(SHARING_DOCS, SET_TENANT),
    )
)
def anyone_links_view_only(snapshot: TenantSnapshot) -> Outcome:
    tenant = tenant_settings(snapshot)
    if not _anyone_allowed(tenant):
        return passed("Anyone links cannot be created, so none can grant edit access.")
    kinds = {
        key: _setting(tenant, key, PERMISSIONS)
        for key in ("FileAnonymousLinkType", "FolderAnonymousLinkType")
    }
    editable = {key: value for key, value in kinds.items() if value != "View"}
    if not editable:
        return passed("Anyone links to files and folders are view-only.")
    return failed("Anyone links can grant more than view access.", [editable])


@check(
    metadata(
        id="sharepoint.guest_access_expires",
        title="Guest access to sites and OneDrive expires within 30 days",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        licence=SHAREPOINT,
        rationale=(
            "Guests keep access long after a project ends unless it lapses on its own. An expiry makes site "
            "owners renew the access they still want, and removes the rest."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing > More external sharing settings.",
            "Tick 'Guest access to a site or OneDrive will expire automatically after this many days', "
            "enter 30 or fewer and Save.",
            "Or: Set-SPOTenant -ExternalUserExpirationRequired $true -ExternalUserExpireInDays 30.",
        ),
        references=(SHARING_DOCS, SET_TENANT),
    )
)
def guest_access_expires(snapshot: TenantSnapshot) -> Outcome:
    tenant = tenant_settings(snapshot)
    required = flag(tenant, "ExternalUserExpirationRequired")
    days = _days(tenant, "ExternalUserExpireInDays")
    if required and 0 < days <= MAX_GUEST_DAYS:
        return passed(f"Guest access expires after {days} days.")
    summary = (
        "Guest access never expires." if not required else f"Guest access expires only after {days} days."
    )
    return failed(summary, [{"ExternalUserExpirationRequired": required, "ExternalUserExpireInDays": days}])


@check(
    metadata(
        id="sharepoint.verification_code_reauth",
        title="People who use a verification code reauthenticate within 15 days",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        licence=SHAREPOINT,
        rationale=(
            "Recipients outside the directory prove who they are with a one-time code sent by mail; without "
            "a reauthentication interval that one proof lasts indefinitely. CIS asks for 15 days or fewer; "
            "SCuBA accepts up to 30, so this check is the stricter of the two."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing > More external sharing settings.",
            "Tick 'People who use a verification code must reauthenticate after this many days', enter 15 "
            "or fewer and Save.",
            "Or: Set-SPOTenant -EmailAttestationRequired $true -EmailAttestationReAuthDays 15.",
        ),
        references=(SHARING_DOCS, SET_TENANT),
    )
)
def verification_code_reauth(snapshot: TenantSnapshot) -> Outcome:
    tenant = tenant_settings(snapshot)
    required = flag(tenant, "EmailAttestationRequired")
    days = _days(tenant, "EmailAttestationReAuthDays")
    if required and 0 < days <= MAX_REAUTH_DAYS:
        return passed(f"People who use a verification code reauthenticate every {days} days.")
    summary = (
        "People who use a verification code are never asked to reauthenticate."
        if not required
        else f"People who use a verification code reauthenticate only every {days} days."
    )
    return failed(summary, [{"EmailAttestationRequired": required, "EmailAttestationReAuthDays": days}])


CHECKS = (
    onedrive_sharing_limited,
    default_link_specific_people,
    default_link_view_only,
    anyone_links_expire,
    anyone_links_view_only,
    guest_access_expires,
    verification_code_reauth,
)
