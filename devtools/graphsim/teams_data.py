"""Teams settings of the demo (and synthetic) tenants, by posture, as the Teams admin service returns
them: per ConfigAPI type, a list of instances, each with its Identity ("Global" or "Tag:<name>") and
the cmdlet's property names (core/collect/teams.py cites the public tools this shape comes from).

A fixture may carry its own "teams" object (type -> instances); otherwise the tenant's posture picks:
- weak (Contoso Dental): federation open to every domain, unmanaged and Skype users allowed, channel
  email and every cloud storage provider on, anonymous users join and start meetings, everyone bypasses
  the lobby, every live event recorded, every app allowed.
- mixed (Northwind Logistics): a federation allow list but unmanaged accounts allowed (not inbound),
  Google Drive on, anonymous join on, people in the company and guests bypass the lobby, a custom
  meeting policy letting dial-in callers bypass it, everyone presents, custom apps allowed.
- strong (Fabrikam Legal): every setting the checks ask for, in the Global policy and in the custom
  policies alike.
"""

from __future__ import annotations

import copy
from typing import Any

Json = dict[str, Any]

_FEDERATION = {
    "weak": {
        "AllowFederatedUsers": True,
        "AllowedDomains": {},  # {} is "allow all known domains" (core/collect/teams.py)
        "BlockedDomains": [],
        "AllowTeamsConsumer": True,
        "AllowTeamsConsumerInbound": True,
        "AllowPublicUsers": True,
    },
    "mixed": {
        "AllowFederatedUsers": True,
        "AllowedDomains": {"AllowedDomain": [{"Domain": "carrier-partner.example"}]},
        "BlockedDomains": [],
        "AllowTeamsConsumer": True,
        "AllowTeamsConsumerInbound": False,
        "AllowPublicUsers": False,
    },
    "strong": {
        "AllowFederatedUsers": True,
        "AllowedDomains": {"AllowedDomain": [{"Domain": "counsel-partner.example"}]},
        "BlockedDomains": [],
        "AllowTeamsConsumer": False,
        # Left true from before unmanaged accounts were turned off: it then has no effect.
        "AllowTeamsConsumerInbound": True,
        "AllowPublicUsers": False,
    },
}
_STORAGE = ("AllowDropBox", "AllowBox", "AllowGoogleDrive", "AllowShareFile", "AllowEgnyte")
_CLIENT = {
    "weak": {"AllowEmailIntoChannel": True, **dict.fromkeys(_STORAGE, True)},
    "mixed": {"AllowEmailIntoChannel": True, **dict.fromkeys(_STORAGE, False), "AllowGoogleDrive": True},
    "strong": {"AllowEmailIntoChannel": False, **dict.fromkeys(_STORAGE, False)},
}
_STRICT_MEETING = {
    "AllowAnonymousUsersToJoinMeeting": False,
    "AllowAnonymousUsersToStartMeeting": False,
    "AutoAdmittedUsers": "EveryoneInCompanyExcludingGuests",
    "AllowPSTNUsersToBypassLobby": False,
    "MeetingChatEnabledType": "EnabledExceptAnonymous",
    "DesignatedPresenterRoleMode": "OrganizerOnlyUserOverride",
    "AllowExternalParticipantGiveRequestControl": False,
    "AllowExternalNonTrustedMeetingChat": False,
    "AllowCloudRecording": False,
    "AllowTranscription": False,
}
_OPEN_MEETING = {
    "AllowAnonymousUsersToJoinMeeting": True,
    "AllowAnonymousUsersToStartMeeting": True,
    "AutoAdmittedUsers": "Everyone",
    "AllowPSTNUsersToBypassLobby": True,
    "MeetingChatEnabledType": "Enabled",
    "DesignatedPresenterRoleMode": "EveryoneUserOverride",
    "AllowExternalParticipantGiveRequestControl": True,
    "AllowExternalNonTrustedMeetingChat": True,
    "AllowCloudRecording": True,
    "AllowTranscription": True,
}
_MIXED_MEETING = {
    **_STRICT_MEETING,
    "AllowAnonymousUsersToJoinMeeting": True,
    "AutoAdmittedUsers": "EveryoneInCompany",
    "DesignatedPresenterRoleMode": "EveryoneUserOverride",
    "AllowExternalNonTrustedMeetingChat": True,
    "AllowCloudRecording": True,
}
_MEETINGS = {
    "weak": {"Global": _OPEN_MEETING},
    "mixed": {
        "Global": _MIXED_MEETING,
        "Tag:Dispatch bridge": {**_MIXED_MEETING, "AllowPSTNUsersToBypassLobby": True},
    },
    "strong": {
        "Global": _STRICT_MEETING,
        # Recording allowed for the few who need it, as SCuBA's Appendix A suggests.
        "Tag:Recorded hearings": {**_STRICT_MEETING, "AllowCloudRecording": True},
    },
}
_BROADCAST = {"weak": "AlwaysEnabled", "mixed": "UserOverride", "strong": "AlwaysDisabled"}
_REPORTING = {"weak": False, "mixed": True, "strong": True}
# (DefaultCatalogAppsType, GlobalCatalogAppsType, PrivateCatalogAppsType): BlockedAppList with no apps
# listed is Microsoft's default, "allow all apps".
_APPS = {
    "weak": ("BlockedAppList", "BlockedAppList", "BlockedAppList"),
    "mixed": ("BlockedAppList", "AllowedAppList", "BlockedAppList"),
    "strong": ("BlockedAppList", "AllowedAppList", "AllowedAppList"),
}


def _instance(tenant_id: str, config_type: str, identity: str, settings: Json) -> Json:
    """One instance with the Key envelope the service puts beside the settings (its members as
    HackmichNet/AzRanger Models/Teams/TeamsGernerics.cs models them; the values are illustrative)."""
    scope = "Global" if identity == "Global" else "Tag"
    key = {
        "ScopeClass": scope,
        "SchemaId": {"XName": {"name": config_type}},
        "AuthorityId": {"Class": "Tenant", "InstanceId": tenant_id, "XmlRoot": {"name": "tenantId"}},
        "DefaultXml": {"SchemaId": {"XName": {"name": config_type}}, "Data": {}, "IsModified": True},
        "XmlRoot": {"name": config_type},
    }
    return {"Identity": identity, **copy.deepcopy(settings), "Key": key}


def _apps(posture: str) -> list[tuple[str, Json]]:
    default, third_party, custom = _APPS[posture]
    settings = {
        "DefaultCatalogAppsType": default,
        "DefaultCatalogApps": [],
        "GlobalCatalogAppsType": third_party,
        "GlobalCatalogApps": [],
        "PrivateCatalogAppsType": custom,
        "PrivateCatalogApps": [],
    }
    return [("Global", settings)]


def teams_settings(posture: str) -> dict[str, list[tuple[str, Json]]]:
    """Per ConfigAPI type, the (Identity, settings) of each instance, for a posture."""
    posture = posture if posture in _FEDERATION else "mixed"
    return {
        "TenantFederationSettings": [("Global", _FEDERATION[posture])],
        "TeamsClientConfiguration": [("Global", _CLIENT[posture])],
        "TeamsMeetingPolicy": list(_MEETINGS[posture].items()),
        "TeamsMeetingBroadcastPolicy": [("Global", {"BroadcastRecordingMode": _BROADCAST[posture]})],
        "TeamsMessagingPolicy": [("Global", {"AllowSecurityEndUserReporting": _REPORTING[posture]})],
        "TeamsAppPermissionPolicy": _apps(posture),
    }


def configurations(fixture: Json) -> dict[str, list[Json]]:
    """Every instance of every type the simulator serves for one tenant fixture."""
    tenant_id = str(fixture.get("id", "")).lower()
    own = fixture.get("teams")
    if isinstance(own, dict):
        return {kind: [dict(i) for i in rows] for kind, rows in own.items()}
    settings = teams_settings(str(fixture.get("posture", "mixed")))
    return {
        kind: [_instance(tenant_id, kind, identity, values) for identity, values in rows]
        for kind, rows in settings.items()
    }
