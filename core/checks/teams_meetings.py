"""Microsoft Teams meetings: who joins, who waits in the lobby, who presents and controls, chat and
recording, read through the Teams admin service (core/collect/teams.py).

Which CIS and SCuBA controls these checks cover, and what any of them covers only in part, is data in
core/frameworks/*.json (see docs/frameworks.md).

Get-CsTeamsMeetingPolicy returns the Global (Org-wide default) policy and every custom one
(learn.microsoft.com/powershell/module/teams/set-csteamsmeetingpolicy names the properties and values).
Where SCuBA judges every policy (external control, anonymous start, dial-in bypass: ScubaGear
TeamsConfig.rego MS.TEAMS.1.1, 1.2, 1.5) so do these checks, since a custom policy assigned to a few
users is as open as the default for them; where CIS and SCuBA judge the Global policy alone, so do they.
Get-CsTeamsMeetingBroadcastPolicy {BroadcastRecordingMode: AlwaysEnabled | AlwaysDisabled | UserOverride}.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.checks.helpers import metadata, plural, steps, verb
from core.checks.model import Outcome, Severity, TenantSnapshot, failed, passed
from core.checks.teams_common import (
    ADMIN_CENTER,
    BROADCAST,
    CATEGORY,
    CONNECT,
    MEETINGS,
    Unjudgeable,
    flag,
    global_instance,
    instances,
    teams_check,
    text,
)

CMDLET = "Get-CsTeamsMeetingPolicy"
MEETING_PS = "https://learn.microsoft.com/en-us/powershell/module/teams/set-csteamsmeetingpolicy"
MEETING_POLICIES = "https://learn.microsoft.com/en-us/microsoftteams/meeting-policies-overview"
LOBBY = "https://learn.microsoft.com/en-us/microsoftteams/who-can-bypass-meeting-lobby"
ANONYMOUS = "https://learn.microsoft.com/en-us/microsoftteams/anonymous-users-in-meetings"
# AutoAdmittedUsers values that keep everyone outside the organisation (guests included) in the lobby.
ORG_ONLY = frozenset({"EveryoneInCompanyExcludingGuests", "InvitedUsers", "OrganizerOnly"})


def _every_policy(
    snapshot: TenantSnapshot, name: str
) -> tuple[list[Mapping[str, Any]], list[dict[str, Any]]]:
    """Every meeting policy, and those where the boolean `name` is on (each read strictly)."""
    policies = instances(snapshot, MEETINGS)
    global_instance(snapshot, MEETINGS, CMDLET)  # an answer without the Global policy is not all of them
    on = [{"policy": p.get("Identity"), name: True} for p in policies if flag(p, name)]
    return policies, on


def _all_off(snapshot: TenantSnapshot, name: str, what: str) -> Outcome:
    policies, on = _every_policy(snapshot, name)
    if on:
        count = plural(len(on), "meeting policy", "meeting policies")
        return failed(f"{count} of {len(policies)} {verb(len(on), 'lets', 'let')} {what}.", on)
    return passed(f"None of the {plural(len(policies), 'meeting policy', 'meeting policies')} let {what}.")


def _global_off(snapshot: TenantSnapshot, name: str, on: str, off: str) -> Outcome:
    policy = global_instance(snapshot, MEETINGS, CMDLET)
    if flag(policy, name):
        return failed(on, [{"policy": "Global", name: True}])
    return passed(off)


def _global_value(
    snapshot: TenantSnapshot, name: str, good: Callable[[str], bool], on: str, off: str
) -> Outcome:
    value = text(global_instance(snapshot, MEETINGS, CMDLET), name)
    if good(value):
        return passed(off.format(value=value))
    return failed(on.format(value=value), [{"policy": "Global", name: value}])


def _meeting_steps(setting: str, parameter: str) -> str:
    return steps(
        f"{ADMIN_CENTER} > Meetings > Meeting policies > Global (Org-wide default).",
        f"{setting}, then Save; repeat for each custom policy that differs.",
        f"{CONNECT} Set-CsTeamsMeetingPolicy -Identity Global {parameter}.",
    )


def _meta(id: str, title: str, severity: Severity, rationale: str, remediation: str, *refs: str) -> Any:
    return metadata(
        id=id,
        title=title,
        category=CATEGORY,
        severity=severity,
        sources=(MEETINGS,),
        licence="TEAMS1",
        rationale=rationale,
        remediation=remediation,
        references=(*refs, MEETING_PS),
    )


@teams_check(
    _meta(
        "teams.anonymous_join_off",
        "Anonymous users cannot join meetings",
        Severity.MEDIUM,
        "Anyone holding a meeting link can join as an anonymous user, with no identity to hold to account. "
        "CIS asks for anonymous join off in the org-wide policy (a level 2, stricter setting); SCuBA "
        "does not.",
        _meeting_steps(
            "Under Meeting join & lobby turn off 'Anonymous users can join a meeting'",
            "-AllowAnonymousUsersToJoinMeeting $false",
        ),
        ANONYMOUS,
    )
)
def anonymous_join_off(snapshot: TenantSnapshot) -> Outcome:
    return _global_off(
        snapshot,
        "AllowAnonymousUsersToJoinMeeting",
        "Anonymous users can join meetings (org-wide policy).",
        "Anonymous users cannot join meetings (org-wide policy).",
    )


@teams_check(
    _meta(
        "teams.anonymous_start_off",
        "Anonymous users and dial-in callers cannot start meetings",
        Severity.HIGH,
        "A meeting that anonymous or dial-in participants can start runs with no one from the organisation "
        "present: a free bridge for anyone holding the link, and a way to collect who else joins.",
        _meeting_steps(
            "Under Meeting join & lobby turn off 'Anonymous users and dial-in callers can start a meeting'",
            "-AllowAnonymousUsersToStartMeeting $false",
        ),
        ANONYMOUS,
    )
)
def anonymous_start_off(snapshot: TenantSnapshot) -> Outcome:
    return _all_off(snapshot, "AllowAnonymousUsersToStartMeeting", "anonymous users start meetings")


@teams_check(
    _meta(
        "teams.lobby_bypass_org_only",
        "Only people in the organisation bypass the meeting lobby",
        Severity.MEDIUM,
        "Whoever bypasses the lobby joins without anyone admitting them. Keeping guests, federated users and "
        "anonymous users in the lobby lets the organiser see who is joining. Invited users only and "
        "organisers only are stricter still and pass too.",
        _meeting_steps(
            "Under Meeting join & lobby set 'Who can bypass the lobby' to 'People in my org'",
            "-AutoAdmittedUsers EveryoneInCompanyExcludingGuests",
        ),
        LOBBY,
    )
)
def lobby_bypass_org_only(snapshot: TenantSnapshot) -> Outcome:
    return _global_value(
        snapshot,
        "AutoAdmittedUsers",
        lambda value: value in ORG_ONLY,
        "People outside the organisation bypass the lobby (AutoAdmittedUsers {value}).",
        "Only people in the organisation bypass the lobby (AutoAdmittedUsers {value}).",
    )


@teams_check(
    _meta(
        "teams.dial_in_lobby_bypass_off",
        "People dialling in wait in the lobby",
        Severity.MEDIUM,
        "A caller on the phone bridge has no verified identity. Letting dial-in callers bypass the lobby "
        "admits whoever has the conference number and ID.",
        _meeting_steps(
            "Under Meeting join & lobby turn off 'People dialing in can bypass the lobby'",
            "-AllowPSTNUsersToBypassLobby $false",
        ),
        LOBBY,
    )
)
def dial_in_lobby_bypass_off(snapshot: TenantSnapshot) -> Outcome:
    return _all_off(snapshot, "AllowPSTNUsersToBypassLobby", "dial-in callers bypass the lobby")


@teams_check(
    _meta(
        "teams.meeting_chat_no_anonymous",
        "Anonymous users cannot use meeting chat",
        Severity.LOW,
        "Meeting chat is a way to post links and files to everyone present. Anonymous participants, who "
        "cannot be identified, should not be able to use it.",
        _meeting_steps(
            "Under Meeting engagement set 'Meeting chat' to 'On for everyone but anonymous users'",
            "-MeetingChatEnabledType EnabledExceptAnonymous",
        ),
        MEETING_POLICIES,
    )
)
def meeting_chat_no_anonymous(snapshot: TenantSnapshot) -> Outcome:
    return _global_value(
        snapshot,
        "MeetingChatEnabledType",
        lambda value: value in ("EnabledExceptAnonymous", "Disabled"),
        "Anonymous users can use meeting chat (MeetingChatEnabledType {value}).",
        "Anonymous users cannot use meeting chat (MeetingChatEnabledType {value}).",
    )


@teams_check(
    _meta(
        "teams.presenters_restricted",
        "Only organisers and co-organisers present by default",
        Severity.LOW,
        "When everyone can present, any participant, external ones included, can share their screen or "
        "content into the meeting. Organisers can still promote presenters per meeting.",
        _meeting_steps(
            "Under Content sharing set 'Who can present' to 'Only organizers and co-organizers'",
            "-DesignatedPresenterRoleMode OrganizerOnlyUserOverride",
        ),
        MEETING_POLICIES,
    )
)
def presenters_restricted(snapshot: TenantSnapshot) -> Outcome:
    return _global_value(
        snapshot,
        "DesignatedPresenterRoleMode",
        lambda value: value == "OrganizerOnlyUserOverride",
        "More people than the organisers can present by default (DesignatedPresenterRoleMode {value}).",
        "Only organisers and co-organisers present by default.",
    )


@teams_check(
    _meta(
        "teams.external_control_off",
        "External participants cannot give or request control of shared screens",
        Severity.MEDIUM,
        "An external participant in control of a shared screen acts on the presenter's computer with the "
        "presenter's access. SCuBA asks for it off in every meeting policy, and so does this check.",
        _meeting_steps(
            "Under Content sharing turn off 'External participants can give or request control'",
            "-AllowExternalParticipantGiveRequestControl $false",
        ),
        MEETING_POLICIES,
    )
)
def external_control_off(snapshot: TenantSnapshot) -> Outcome:
    return _all_off(
        snapshot,
        "AllowExternalParticipantGiveRequestControl",
        "external participants give or request control",
    )


@teams_check(
    _meta(
        "teams.external_meeting_chat_off",
        "Users cannot join the chat of untrusted external meetings",
        Severity.LOW,
        "Meetings hosted by organisations the tenant does not trust can carry chat from anyone; keeping "
        "users out of those chats removes one way for phishing links to reach them.",
        _meeting_steps(
            "Under Meeting engagement turn off 'External meeting chat'",
            "-AllowExternalNonTrustedMeetingChat $false",
        ),
        MEETING_POLICIES,
    )
)
def external_meeting_chat_off(snapshot: TenantSnapshot) -> Outcome:
    return _global_off(
        snapshot,
        "AllowExternalNonTrustedMeetingChat",
        "Users can chat in meetings hosted by untrusted organisations.",
        "Users cannot chat in meetings hosted by untrusted organisations.",
    )


@teams_check(
    _meta(
        "teams.recording_off_by_default",
        "Meeting recording is off in the org-wide policy",
        Severity.LOW,
        "A recording keeps what was said and shown, screens included, long after the meeting, and is "
        "shared further than the meeting was. Both CIS and SCuBA want recording off by default, allowed "
        "through custom policies for the people who need it.",
        _meeting_steps(
            "Under Recording & transcription turn off 'Meeting recording'", "-AllowCloudRecording $false"
        ),
        MEETING_POLICIES,
    )
)
def recording_off_by_default(snapshot: TenantSnapshot) -> Outcome:
    return _global_off(
        snapshot,
        "AllowCloudRecording",
        "Everyone on the org-wide policy can record meetings.",
        "Meeting recording is off in the org-wide policy.",
    )


@teams_check(
    metadata(
        id="teams.event_recording_not_forced",
        title="Live events are not always recorded",
        category=CATEGORY,
        severity=Severity.LOW,
        sources=(BROADCAST,),
        licence="TEAMS1",
        rationale=(
            "When every live event is recorded, sensitive events are kept whether the organiser wants it or "
            "not. Leaving the choice to the organiser (or never recording) limits what is kept."
        ),
        remediation=steps(
            f"{ADMIN_CENTER} > Meetings > Live events policies > Global (Org-wide default).",
            "Set 'Record an event' to 'Organizer can record' or 'Never record' and Save.",
            f"{CONNECT} Set-CsTeamsMeetingBroadcastPolicy -Identity Global "
            "-BroadcastRecordingMode UserOverride.",
        ),
        references=(
            "https://learn.microsoft.com/en-us/powershell/module/teams/set-csteamsmeetingbroadcastpolicy",
        ),
    )
)
def event_recording_not_forced(snapshot: TenantSnapshot) -> Outcome:
    policy = global_instance(snapshot, BROADCAST, "Get-CsTeamsMeetingBroadcastPolicy")
    mode = text(policy, "BroadcastRecordingMode")
    if mode not in ("AlwaysEnabled", "AlwaysDisabled", "UserOverride"):
        raise Unjudgeable(f"Global: BroadcastRecordingMode has an unknown value ({mode!r}).")
    if mode == "AlwaysEnabled":
        return failed("Every live event is recorded.", [{"policy": "Global", "BroadcastRecordingMode": mode}])
    return passed(f"Live events are not forced to record (BroadcastRecordingMode {mode}).")


CHECKS = (
    anonymous_join_off,
    anonymous_start_off,
    lobby_bypass_org_only,
    dial_in_lobby_bypass_off,
    meeting_chat_no_anonymous,
    presenters_restricted,
    external_control_off,
    external_meeting_chat_off,
    recording_off_by_default,
    event_recording_not_forced,
)
