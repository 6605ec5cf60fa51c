"""SharePoint and OneDrive tenant settings (GET /admin/sharepoint/settings).

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part,
is data in core/frameworks/*.json (see docs/frameworks.md). CIS accepts "New and existing guests"
where SCuBA does not, hence two sharing-level checks.

sharingCapability values: disabled, existingExternalUserSharingOnly, externalUserSharingOnly (new and
existing guests), externalUserAndGuestSharing (anyone links).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.helpers import check, is_false, is_true, metadata, steps
from core.checks.model import (
    Outcome,
    Severity,
    SourceFailure,
    SourceMissing,
    TenantSnapshot,
    error,
    failed,
    not_applicable,
    passed,
)

CATEGORY = "SharePoint and OneDrive"
SOURCE = "sharepoint_settings"
SHARING_DOCS = "https://learn.microsoft.com/en-us/sharepoint/turn-external-sharing-on-or-off"
LEVELS = {
    "disabled": "only people in the organisation",
    "existingExternalUserSharingOnly": "existing guests",
    "externalUserSharingOnly": "new and existing guests",
    "externalUserAndGuestSharing": "anyone (links that need no sign-in)",
}


def _settings(snapshot: TenantSnapshot) -> Mapping[str, Any]:
    """The settings object, only when it is one: every answer carries sharingCapability, so a body
    without it (say, the documented `value` wrapper nobody unwrapped) is never judged as settings."""
    settings = snapshot.get(SOURCE)
    if not isinstance(settings, Mapping) or "sharingCapability" not in settings:
        raise SourceMissing(SOURCE, SourceFailure("unavailable", "the settings carry no sharingCapability"))
    return settings


def _level(settings: Mapping[str, Any]) -> str:
    value = settings.get("sharingCapability")
    return LEVELS.get(str(value), f"an unrecognised level ({value})")


def _sharing_off(settings: Mapping[str, Any]) -> bool:
    return settings.get("sharingCapability") == "disabled"


@check(
    metadata(
        id="sharepoint.anyone_links_disabled",
        title="SharePoint does not allow 'Anyone' links",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(SOURCE,),
        rationale=(
            "'Anyone' links work for whoever holds the URL, with no sign-in: forwarded, indexed or leaked "
            "links expose files to the world, and access is never attributable to a person."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing.",
            "Move the SharePoint external sharing slider to 'New and existing guests' or more restrictive "
            "(OneDrive can only be as permissive as SharePoint).",
            "Select Save.",
        ),
        references=(SHARING_DOCS,),
    )
)
def anyone_links_disabled(snapshot: TenantSnapshot) -> Outcome:
    settings = _settings(snapshot)
    if settings.get("sharingCapability") not in LEVELS:
        return error(
            f"SharePoint settings report no known sharingCapability ({settings.get('sharingCapability')})."
        )
    if settings.get("sharingCapability") == "externalUserAndGuestSharing":
        return failed(
            "SharePoint allows sharing with anyone through links that need no sign-in.",
            [{"sharingCapability": settings.get("sharingCapability")}],
        )
    return passed(f"SharePoint external sharing is limited to {_level(settings)}.")


@check(
    metadata(
        id="sharepoint.external_sharing_limited",
        title="SharePoint sharing is limited to existing guests or the organisation",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        rationale=(
            "Letting users share with any new external address creates guest accounts on demand, outside "
            "any approval. CISA SCuBA limits sharing to guests already in the directory (invited through "
            "the governed process) or to the organisation only."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing.",
            "Move the SharePoint and OneDrive sliders to 'Existing guests' or 'Only people in your "
            "organization'.",
            "Select Save; invite new guests through Entra ID (Guest Inviter role) instead.",
        ),
        references=(SHARING_DOCS,),
    )
)
def external_sharing_limited(snapshot: TenantSnapshot) -> Outcome:
    settings = _settings(snapshot)
    if settings.get("sharingCapability") in ("disabled", "existingExternalUserSharingOnly"):
        return passed(f"SharePoint sharing is limited to {_level(settings)}.")
    return failed(
        f"SharePoint allows sharing with {_level(settings)}.",
        [{"sharingCapability": settings.get("sharingCapability")}],
    )


@check(
    metadata(
        id="sharepoint.sharing_domains_restricted",
        title="External sharing is restricted by domain allow or block lists",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(SOURCE,),
        rationale=(
            "Limiting the domains files can be shared with (ideally an allow list of partner domains) "
            "stops sharing with personal email providers and unknown organisations. Not applicable when "
            "external sharing is off."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing > More external sharing settings.",
            "Tick 'Limit external sharing by domain' > Add domains: choose 'Allow only specific domains' "
            "and list partner domains (or block specific domains).",
            "Select Save.",
        ),
        references=("https://learn.microsoft.com/en-us/sharepoint/restricted-domains-sharing",),
    )
)
def sharing_domains_restricted(snapshot: TenantSnapshot) -> Outcome:
    settings = _settings(snapshot)
    if _sharing_off(settings):
        return not_applicable("External sharing is disabled, so there are no external domains to restrict.")
    mode = settings.get("sharingDomainRestrictionMode")
    allowed = list(settings.get("sharingAllowedDomainList") or [])
    blocked = list(settings.get("sharingBlockedDomainList") or [])
    if mode == "allowList" and allowed:
        return passed(f"External sharing is limited to {len(allowed)} allowed domains.")
    if mode == "blockList" and blocked:
        return passed(f"External sharing blocks {len(blocked)} domains (an allow list is stricter).")
    return failed(
        f"External sharing to {_level(settings)} is not restricted by domain.",
        [
            {
                "sharingDomainRestrictionMode": mode,
                "allowedDomains": len(allowed),
                "blockedDomains": len(blocked),
            }
        ],
    )


@check(
    metadata(
        id="sharepoint.guest_resharing_disabled",
        title="Guests cannot reshare items they don't own",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(SOURCE,),
        rationale=(
            "When guests can reshare, content shared with one partner can be passed on to people the "
            "owner never chose, without the owner knowing."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Sharing > More external sharing settings.",
            "Clear 'Allow guests to share items they don't own' and Save "
            "(or Set-SPOTenant -PreventExternalUsersFromResharing $true).",
        ),
        references=(SHARING_DOCS,),
    )
)
def guest_resharing_disabled(snapshot: TenantSnapshot) -> Outcome:
    settings = _settings(snapshot)
    value = settings.get("isResharingByExternalUsersEnabled")
    if is_false(value):
        return passed("Guests cannot reshare items they don't own.")
    if _sharing_off(settings):
        return passed("External sharing is disabled, so guests cannot reshare.")
    return failed("Guests can reshare items they don't own.", [{"isResharingByExternalUsersEnabled": value}])


@check(
    metadata(
        id="sharepoint.legacy_auth_disabled",
        title="SharePoint requires modern authentication",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(SOURCE,),
        rationale=(
            "Legacy authentication protocols let old clients reach SharePoint and OneDrive with a bare "
            "password, bypassing MFA and Conditional Access."
        ),
        remediation=steps(
            "SharePoint admin center > Policies > Access control > Apps that don't use modern "
            "authentication.",
            "Select Block access and Save (or Set-SPOTenant -LegacyAuthProtocolsEnabled $false).",
        ),
        references=("https://learn.microsoft.com/en-us/sharepoint/control-access-from-unmanaged-devices",),
    )
)
def legacy_auth_disabled(snapshot: TenantSnapshot) -> Outcome:
    value = _settings(snapshot).get("isLegacyAuthProtocolsEnabled")
    if is_false(value):
        return passed("SharePoint blocks legacy authentication protocols.")
    return failed(
        "SharePoint accepts legacy authentication protocols.", [{"isLegacyAuthProtocolsEnabled": value}]
    )


@check(
    metadata(
        id="sharepoint.sync_restricted_to_managed_devices",
        title="OneDrive sync is limited to domain-joined computers",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(SOURCE,),
        rationale=(
            "The OneDrive sync app copies whole libraries to disk. Restricting it to computers joined to "
            "the organisation's domains keeps bulk copies off personal and unmanaged machines."
        ),
        remediation=steps(
            "SharePoint admin center > Settings > OneDrive > Sync.",
            "Tick 'Allow syncing only on computers joined to specific domains' and add the AD domain GUIDs "
            "(Get-ADDomain | Select ObjectGuid).",
            "Select Save.",
        ),
        references=("https://learn.microsoft.com/en-us/sharepoint/allow-syncing-only-on-specific-domains",),
    )
)
def sync_restricted_to_managed_devices(snapshot: TenantSnapshot) -> Outcome:
    settings = _settings(snapshot)
    guids = list(settings.get("allowedDomainGuidsForSyncApp") or [])
    if is_true(settings.get("isUnmanagedSyncAppForTenantRestricted")) and guids:
        return passed(f"OneDrive sync is limited to computers in {len(guids)} allowed domains.")
    return failed(
        "OneDrive sync is allowed on any computer.",
        [
            {
                "isUnmanagedSyncAppForTenantRestricted": settings.get(
                    "isUnmanagedSyncAppForTenantRestricted"
                ),
                "allowedDomains": len(guids),
            }
        ],
    )


@check(
    metadata(
        id="sharepoint.guest_must_match_invitation",
        title="Guests must sign in with the account the invitation was sent to",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(SOURCE,),
        rationale=(
            "Without this, a forwarded sharing invitation can be redeemed by whoever receives it, with any "
            "Microsoft account."
        ),
        remediation=steps(
            "Connect with SharePoint Online PowerShell (Connect-SPOService).",
            "Run Set-SPOTenant -RequireAcceptingAccountMatchInvitedAccount $true.",
        ),
        references=(SHARING_DOCS,),
    )
)
def guest_must_match_invitation(snapshot: TenantSnapshot) -> Outcome:
    settings = _settings(snapshot)
    value = settings.get("isRequireAcceptingUserToMatchInvitedUserEnabled")
    if is_true(value):
        return passed("Guests must use the account the invitation was sent to.")
    if _sharing_off(settings):
        return passed("External sharing is disabled, so no sharing invitations can be redeemed.")
    return failed(
        "Sharing invitations can be redeemed by a different account than the one invited.",
        [{"isRequireAcceptingUserToMatchInvitedUserEnabled": value}],
    )


CHECKS = (
    anyone_links_disabled,
    external_sharing_limited,
    sharing_domains_restricted,
    guest_resharing_disabled,
    legacy_auth_disabled,
    sync_restricted_to_managed_devices,
    guest_must_match_invitation,
)
