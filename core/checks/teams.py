"""Microsoft Teams: external access, channel email, cloud storage, apps and security reporting, read
through the Teams admin service (core/collect/teams.py). Meeting settings are in teams_meetings.py.

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part, is data in
core/frameworks/*.json (see docs/frameworks.md).

Shapes (the property names of the MicrosoftTeams cmdlets, which the service answers with):
- Get-CsTenantFederationConfiguration {AllowFederatedUsers, AllowedDomains: {} for every domain or
  {"AllowedDomain": [{"Domain": ...}]} for a list, BlockedDomains, AllowTeamsConsumer,
  AllowTeamsConsumerInbound, AllowPublicUsers} (learn.microsoft.com/powershell/module/teams/
  set-cstenantfederationconfiguration; the JSON of AllowedDomains as CIPP reads it, core/collect/teams.py).
- Get-CsTeamsClientConfiguration {AllowEmailIntoChannel, AllowDropBox, AllowBox, AllowGoogleDrive,
  AllowShareFile, AllowEgnyte} (HackmichNet/AzRanger Models/Teams/TeamsClientConfiguration.cs).
- Get-CsTeamsAppPermissionPolicy {GlobalCatalogAppsType, PrivateCatalogAppsType: AllowedAppList (only
  the listed apps) | BlockedAppList (every app but the listed ones)}, judged as ScubaGear's
  TeamsConfig.rego (MS.TEAMS.5.2v2, 5.3v2) judges the legacy policies: BlockedAppList fails.
- Get-CsTeamsMessagingPolicy {AllowSecurityEndUserReporting} (Maester Test-MtCisTeamsReportSecurityConcerns).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.checks.helpers import metadata, plural, steps, verb
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.teams_common import (
    ADMIN_CENTER,
    APPS,
    CATEGORY,
    CLIENT,
    CONNECT,
    FEDERATION,
    MESSAGING,
    Unjudgeable,
    flag,
    global_instance,
    instances,
    offenders,
    teams_check,
    text,
)

FEDERATION_CMDLET = "Get-CsTenantFederationConfiguration"
CLIENT_CMDLET = "Get-CsTeamsClientConfiguration"
EXTERNAL_ACCESS = (
    "https://learn.microsoft.com/en-us/microsoftteams/trusted-organizations-external-meetings-chat"
)
FEDERATION_PS = (
    "https://learn.microsoft.com/en-us/powershell/module/teams/set-cstenantfederationconfiguration"
)
CLIENT_PS = "https://learn.microsoft.com/en-us/powershell/module/teams/set-csteamsclientconfiguration"
APP_POLICIES = "https://learn.microsoft.com/en-us/microsoftteams/teams-app-permission-policies"
STORAGE_PROVIDERS = {
    "AllowDropBox": "Dropbox",
    "AllowBox": "Box",
    "AllowGoogleDrive": "Google Drive",
    "AllowShareFile": "Citrix ShareFile",
    "AllowEgnyte": "Egnyte",
}


def _allow_list(federation: Mapping[str, Any]) -> list[str] | None:
    """The allowed domains, or None when every external domain is allowed. An explicit list is an
    object with an AllowedDomain member (an empty one allows nobody); `{}` allows every domain."""
    allowed = federation.get("AllowedDomains")
    if not isinstance(allowed, Mapping):
        raise Unjudgeable(f"AllowedDomains is not the object the service sends ({allowed!r}).")
    if "AllowedDomain" not in allowed:
        return None
    items = allowed["AllowedDomain"] or []
    items = items if isinstance(items, list) else [items]
    return [str(item.get("Domain") if isinstance(item, Mapping) else item) for item in items]


@teams_check(
    metadata(
        id="teams.external_domains_restricted",
        title="Teams external access is limited to allowed domains",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(FEDERATION,),
        licence="TEAMS1",
        rationale=(
            "With external access open to every domain, anyone with a Microsoft 365 tenant can find users by "
            "address and start chats and calls with them: a ready channel for phishing, malware links and "
            "help-desk impersonation. An allow list of partner domains keeps federation to organisations "
            "the business chose."
        ),
        remediation=steps(
            f"{ADMIN_CENTER} > Users > External access.",
            "Under 'Teams and Skype for Business users in external organizations' choose 'Allow only "
            "specific external domains' and add the partner domains (or block all external domains).",
            f"{CONNECT} Set-CsTenantFederationConfiguration -AllowFederatedUsers $true "
            "-AllowedDomainsAsAList @('partner.example') (or -AllowFederatedUsers $false).",
        ),
        references=(EXTERNAL_ACCESS, FEDERATION_PS),
    )
)
def external_domains_restricted(snapshot: TenantSnapshot) -> Outcome:
    federation = global_instance(snapshot, FEDERATION, FEDERATION_CMDLET)
    if not flag(federation, "AllowFederatedUsers"):
        return passed("External access with other organisations is off.")
    allowed = _allow_list(federation)
    if allowed is None:
        blocked = federation.get("BlockedDomains") or []
        return failed(
            "Users can chat and call with every external organisation"
            + (f" except {plural(len(blocked), 'blocked domain')}." if blocked else "."),
            [{"AllowFederatedUsers": True, "AllowedDomains": "all", "blockedDomains": len(blocked)}],
        )
    return passed(f"External access is limited to {plural(len(allowed), 'allowed domain')}.")


@teams_check(
    metadata(
        id="teams.unmanaged_contact_off",
        title="Users cannot chat with unmanaged (personal) Teams accounts",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(FEDERATION,),
        licence="TEAMS1",
        rationale=(
            "Teams accounts that no organisation manages are free to create and carry no accountability. "
            "Chats with them are a route for data to leave and for scams to arrive, outside any partner "
            "relationship."
        ),
        remediation=steps(
            f"{ADMIN_CENTER} > Users > External access.",
            "Turn off 'People in my organization can communicate with unmanaged Teams accounts'.",
            f"{CONNECT} Set-CsTenantFederationConfiguration -AllowTeamsConsumer $false.",
        ),
        references=(EXTERNAL_ACCESS, FEDERATION_PS),
    )
)
def unmanaged_contact_off(snapshot: TenantSnapshot) -> Outcome:
    federation = global_instance(snapshot, FEDERATION, FEDERATION_CMDLET)
    if flag(federation, "AllowTeamsConsumer"):
        return failed(
            "Users can chat and meet with unmanaged Teams accounts.", [{"AllowTeamsConsumer": True}]
        )
    return passed("Communication with unmanaged Teams accounts is off.")


@teams_check(
    metadata(
        id="teams.unmanaged_inbound_blocked",
        title="Unmanaged Teams accounts cannot start conversations with users",
        category=CATEGORY,
        severity=Severity.HIGH,
        sources=(FEDERATION,),
        licence="TEAMS1",
        rationale=(
            "When personal Teams accounts may start chats, anyone can message any user by address: attackers "
            "use it to deliver phishing and to pose as IT support. Judged as SCuBA does: met when unmanaged "
            "accounts are off altogether, or when they cannot initiate contact."
        ),
        remediation=steps(
            f"{ADMIN_CENTER} > Users > External access.",
            "Under unmanaged Teams accounts, clear 'External users with Teams accounts not managed by an "
            "organization can contact users in my organization' (or turn unmanaged accounts off).",
            f"{CONNECT} Set-CsTenantFederationConfiguration -AllowTeamsConsumerInbound $false.",
        ),
        references=(EXTERNAL_ACCESS, FEDERATION_PS),
    )
)
def unmanaged_inbound_blocked(snapshot: TenantSnapshot) -> Outcome:
    federation = global_instance(snapshot, FEDERATION, FEDERATION_CMDLET)
    # The portal hides the inbound box once AllowTeamsConsumer is off and keeps its old value, which
    # then has no effect (ScubaGear TeamsConfig.rego, MS.TEAMS.2.2v2), so only both true fails.
    if not flag(federation, "AllowTeamsConsumer"):
        return passed("Unmanaged Teams accounts cannot reach users: communication with them is off.")
    if flag(federation, "AllowTeamsConsumerInbound"):
        return failed(
            "Unmanaged Teams accounts can start chats with users.",
            [{"AllowTeamsConsumer": True, "AllowTeamsConsumerInbound": True}],
        )
    return passed("Unmanaged Teams accounts cannot start conversations with users.")


@teams_check(
    metadata(
        id="teams.skype_users_blocked",
        title="Users cannot communicate with Skype users",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(FEDERATION,),
        licence="TEAMS1",
        rationale=(
            "Skype (consumer) accounts are anonymous to the organisation; allowing them widens who can "
            "reach users. Microsoft has retired Skype, but the setting still exists and CIS still asks "
            "for it off."
        ),
        remediation=steps(
            f"{ADMIN_CENTER} > Users > External access.",
            "Turn off 'Allow users in my organization to communicate with Skype users'.",
            f"{CONNECT} Set-CsTenantFederationConfiguration -AllowPublicUsers $false.",
        ),
        references=(EXTERNAL_ACCESS, FEDERATION_PS),
    )
)
def skype_users_blocked(snapshot: TenantSnapshot) -> Outcome:
    federation = global_instance(snapshot, FEDERATION, FEDERATION_CMDLET)
    if "AllowPublicUsers" not in federation:
        # SCuBA removed its Skype policy (MS.TEAMS.3.1v1) because "the setting is no longer present"
        # (ScubaGear baselines/removedpolicies.md); absent, it is not judged, and never passed.
        raise Unjudgeable(
            "The federation settings carry no AllowPublicUsers: Microsoft has retired communication with "
            "Skype users, so there may be no setting left to judge."
        )
    if flag(federation, "AllowPublicUsers"):
        return failed("Users can communicate with Skype users.", [{"AllowPublicUsers": True}])
    return passed("Communication with Skype users is off.")


@teams_check(
    metadata(
        id="teams.channel_email_off",
        title="Channels cannot receive email",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(CLIENT,),
        licence="TEAMS1",
        rationale=(
            "A channel's email address is on a Microsoft domain (teams.ms), outside the organisation's mail "
            "filtering and rules, and anyone who learns it can post into the channel."
        ),
        remediation=steps(
            f"{ADMIN_CENTER} > Teams > Teams settings > Email integration.",
            "Turn off 'Users can send emails to a channel email address'.",
            f"{CONNECT} Set-CsTeamsClientConfiguration -Identity Global -AllowEmailIntoChannel $false.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/microsoftteams/settings-policies-reference",
            CLIENT_PS,
        ),
    )
)
def channel_email_off(snapshot: TenantSnapshot) -> Outcome:
    client = global_instance(snapshot, CLIENT, CLIENT_CMDLET)
    if flag(client, "AllowEmailIntoChannel"):
        return failed("Anyone can email a channel's address into Teams.", [{"AllowEmailIntoChannel": True}])
    return passed("Email into channels is off.")


@teams_check(
    metadata(
        id="teams.cloud_storage_restricted",
        title="Third-party cloud storage is off in Teams",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(CLIENT,),
        licence="TEAMS1",
        rationale=(
            "Files kept in Dropbox, Box, Google Drive, Citrix ShareFile or Egnyte through Teams sit outside "
            "the organisation's retention, data loss prevention and access reviews. CIS allows providers the "
            "organisation approved; this check cannot know which those are, so it lists every one that is on."
        ),
        remediation=steps(
            f"{ADMIN_CENTER} > Teams > Teams settings > Files.",
            "Turn off every cloud storage provider the organisation has not approved.",
            f"{CONNECT} Set-CsTeamsClientConfiguration -Identity Global -AllowDropBox $false "
            "-AllowBox $false -AllowGoogleDrive $false -AllowShareFile $false -AllowEgnyte $false.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/microsoftteams/settings-policies-reference",
            CLIENT_PS,
        ),
    )
)
def cloud_storage_restricted(snapshot: TenantSnapshot) -> Outcome:
    client = global_instance(snapshot, CLIENT, CLIENT_CMDLET)
    enabled = [name for name in STORAGE_PROVIDERS if flag(client, name)]
    if enabled:
        names = ", ".join(STORAGE_PROVIDERS[name] for name in enabled)
        return failed(f"Teams offers third-party cloud storage: {names}.", [{name: True for name in enabled}])
    return passed("Every third-party cloud storage provider is off in Teams.")


def _app_gate(snapshot: TenantSnapshot, name: str, kind: str) -> Outcome:
    policies = instances(snapshot, APPS)
    if not policies:
        raise Unjudgeable("Get-CsTeamsAppPermissionPolicy returned no policies, not even the Global one.")
    for policy in policies:
        if text(policy, name) not in ("AllowedAppList", "BlockedAppList"):
            raise Unjudgeable(
                f"{policy.get('Identity')}: {name} has an unknown value ({policy.get(name)!r})."
            )
    # BlockedAppList lets users install every app but the listed ones (an empty list: every app).
    open_policies = offenders(policies, name, lambda p: p.get(name) == "BlockedAppList")
    if open_policies:
        return failed(
            f"{plural(len(open_policies), 'app permission policy', 'app permission policies')} of "
            f"{len(policies)} {verb(len(open_policies), 'lets', 'let')} users install any {kind} app not "
            "explicitly blocked.",
            open_policies,
        )
    count = plural(len(policies), "app permission policy", "app permission policies")
    return passed(f"All {count} allow only listed {kind} apps.")


@teams_check(
    metadata(
        id="teams.third_party_apps_restricted",
        title="Users can install only approved third-party Teams apps",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(APPS,),
        licence="TEAMS1",
        rationale=(
            "Third-party apps read chats, files and user data once added to a team or chat. Allowing every "
            "store app lets users grant that access to publishers nobody vetted. Judged on the app "
            "permission policies; tenants moved to app-centric management set this per app in the admin "
            "center, which the Teams admin service does not answer with app-only access."
        ),
        remediation=steps(
            f"{ADMIN_CENTER} > Teams apps > Permission policies.",
            "Open Global (Org-wide default) and every custom policy; under Third-party apps choose 'Allow "
            "specific apps and block all others' (or 'Block all apps') and Save.",
            f"{CONNECT} Set-CsTeamsAppPermissionPolicy -Identity Global "
            "-GlobalCatalogAppsType AllowedAppList -GlobalCatalogApps @().",
        ),
        references=(APP_POLICIES,),
    )
)
def third_party_apps_restricted(snapshot: TenantSnapshot) -> Outcome:
    return _app_gate(snapshot, "GlobalCatalogAppsType", "third-party")


@teams_check(
    metadata(
        id="teams.custom_apps_restricted",
        title="Users can install only approved custom Teams apps",
        category=CATEGORY,
        severity=Severity.MEDIUM,
        sources=(APPS,),
        licence="TEAMS1",
        rationale=(
            "Custom (uploaded) apps bypass the Teams store's review entirely: an uploaded app can be "
            "anything its author wrote. Only the apps the organisation approved should be installable."
        ),
        remediation=steps(
            f"{ADMIN_CENTER} > Teams apps > Permission policies.",
            "Open Global (Org-wide default) and every custom policy; under Custom apps choose 'Allow "
            "specific apps and block all others' (or 'Block all apps') and Save.",
            f"{CONNECT} Set-CsTeamsAppPermissionPolicy -Identity Global "
            "-PrivateCatalogAppsType AllowedAppList -PrivateCatalogApps @().",
        ),
        references=(APP_POLICIES,),
    )
)
def custom_apps_restricted(snapshot: TenantSnapshot) -> Outcome:
    return _app_gate(snapshot, "PrivateCatalogAppsType", "custom")


@teams_check(
    metadata(
        id="teams.security_reporting_on",
        title="Users can report suspicious Teams messages",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(MESSAGING,),
        licence="TEAMS1",
        rationale=(
            "Letting users report a malicious chat message gives the security team the same early warning "
            "for Teams that reported phishing gives for mail. CIS also checks where reports go (Exchange's "
            "report submission policy); this check reads the Teams side only."
        ),
        remediation=steps(
            f"{ADMIN_CENTER} > Messaging > Messaging policies > Global (Org-wide default).",
            "Turn on 'Report a security concern' and Save.",
            f"{CONNECT} Set-CsTeamsMessagingPolicy -Identity Global -AllowSecurityEndUserReporting $true.",
        ),
        references=("https://learn.microsoft.com/en-us/defender-office-365/submissions-teams",),
    )
)
def security_reporting_on(snapshot: TenantSnapshot) -> Outcome:
    messaging = global_instance(snapshot, MESSAGING, "Get-CsTeamsMessagingPolicy")
    if flag(messaging, "AllowSecurityEndUserReporting"):
        return passed("Users can report suspicious Teams messages.")
    return failed(
        "Users cannot report suspicious Teams messages.", [{"AllowSecurityEndUserReporting": False}]
    )


CHECKS = (
    external_domains_restricted,
    unmanaged_contact_off,
    unmanaged_inbound_blocked,
    skype_users_blocked,
    channel_email_off,
    cloud_storage_restricted,
    third_party_apps_restricted,
    custom_apps_restricted,
    security_reporting_on,
)
