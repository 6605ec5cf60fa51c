"""Microsoft Teams checks: pass, fail, and every way they cannot be judged."""

from __future__ import annotations

from typing import Any

import pytest

from core.checks import teams, teams_meetings
from core.checks.model import Check, SourceFailure, Status
from tests.unit.checks.support import good_data, mutated, run, without_plan

TEAMS_CHECKS = (*teams.CHECKS, *teams_meetings.CHECKS)
ALL = pytest.mark.parametrize("check", TEAMS_CHECKS, ids=lambda c: c.id)
FED, CLIENT, MEET = "teams_federation", "teams_client_configuration", "teams_meeting_policies"
APPS, BROADCAST, MESSAGING = (
    "teams_app_permission_policies",
    "teams_broadcast_policies",
    "teams_messaging_policies",
)


def changed(source: str, identity: str = "Global", **changes: Any) -> dict[str, Any]:
    def change(data: dict[str, Any]) -> None:
        next(row for row in data[source] if row["Identity"] == identity).update(changes)

    return mutated(change)


def with_custom_policy(**changes: Any) -> dict[str, Any]:
    def change(data: dict[str, Any]) -> None:
        data[MEET].append({**data[MEET][0], "Identity": "Tag:Contractors", **changes})

    return mutated(change)


# One way to fail each check, and a word its summary must carry.
FAILING: list[tuple[Check, dict[str, Any], str]] = [
    (teams.external_domains_restricted, changed(FED, AllowedDomains={}), "every external organisation"),
    (teams.unmanaged_contact_off, changed(FED, AllowTeamsConsumer=True), "unmanaged"),
    (
        teams.unmanaged_inbound_blocked,
        changed(FED, AllowTeamsConsumer=True, AllowTeamsConsumerInbound=True),
        "start chats",
    ),
    (teams.skype_users_blocked, changed(FED, AllowPublicUsers=True), "Skype"),
    (teams.channel_email_off, changed(CLIENT, AllowEmailIntoChannel=True), "email"),
    (teams.cloud_storage_restricted, changed(CLIENT, AllowBox=True, AllowEgnyte=True), "Box, Egnyte"),
    (teams.third_party_apps_restricted, changed(APPS, GlobalCatalogAppsType="BlockedAppList"), "third-party"),
    (teams.custom_apps_restricted, changed(APPS, PrivateCatalogAppsType="BlockedAppList"), "custom"),
    (teams.security_reporting_on, changed(MESSAGING, AllowSecurityEndUserReporting=False), "cannot report"),
    (teams_meetings.anonymous_join_off, changed(MEET, AllowAnonymousUsersToJoinMeeting=True), "join"),
    (teams_meetings.anonymous_start_off, changed(MEET, AllowAnonymousUsersToStartMeeting=True), "start"),
    (teams_meetings.lobby_bypass_org_only, changed(MEET, AutoAdmittedUsers="EveryoneInCompany"), "outside"),
    (teams_meetings.dial_in_lobby_bypass_off, changed(MEET, AllowPSTNUsersToBypassLobby=True), "dial-in"),
    (teams_meetings.meeting_chat_no_anonymous, changed(MEET, MeetingChatEnabledType="Enabled"), "Anonymous"),
    (
        teams_meetings.presenters_restricted,
        changed(MEET, DesignatedPresenterRoleMode="EveryoneUserOverride"),
        "EveryoneUserOverride",
    ),
    (
        teams_meetings.external_control_off,
        changed(MEET, AllowExternalParticipantGiveRequestControl=True),
        "control",
    ),
    (
        teams_meetings.external_meeting_chat_off,
        changed(MEET, AllowExternalNonTrustedMeetingChat=True),
        "untrusted",
    ),
    (teams_meetings.recording_off_by_default, changed(MEET, AllowCloudRecording=True), "record"),
    (
        teams_meetings.event_recording_not_forced,
        changed(BROADCAST, BroadcastRecordingMode="AlwaysEnabled"),
        "recorded",
    ),
]


def test_every_teams_check_has_a_failing_case() -> None:
    assert {c.id for c, _, _ in FAILING} == {c.id for c in TEAMS_CHECKS}
    assert len(TEAMS_CHECKS) >= 12


@pytest.mark.parametrize(("check", "data", "word"), FAILING, ids=[c.id for c, _, _ in FAILING])
def test_each_check_fails_on_its_weak_setting(check: Check, data: dict[str, Any], word: str) -> None:
    outcome = run(check, data)
    assert outcome.status is Status.FAIL, outcome.summary
    assert word in outcome.summary and outcome.evidence


@ALL
def test_the_well_configured_tenant_passes(check: Check) -> None:
    outcome = run(check, good_data())
    assert outcome.status is Status.PASS, outcome.summary


@ALL
def test_an_unreadable_source_is_an_error_naming_it(check: Check) -> None:
    source = check.metadata.sources[0]
    reason = "Get-CsX: the app needs the Global Reader (or Teams Reader) role in the tenant (HTTP 403)"
    outcome = run(check, **{source: SourceFailure("forbidden", reason)})
    assert outcome.status is Status.ERROR
    assert source in outcome.summary and "Global Reader" in outcome.summary


@ALL
def test_a_tenant_without_teams_is_not_applicable(check: Check) -> None:
    source = check.metadata.sources[0]
    refused = SourceFailure("not_licensed", "no Teams plan", "Forbidden", "TEAMS1")
    assert run(check, **{source: refused}).status is Status.NOT_APPLICABLE
    # Even when the service did answer, a tenant whose subscriptions lack Teams is not judged.
    data = good_data()
    without_plan(data, "TEAMS1")
    outcome = run(check, data)
    assert outcome.status is Status.NOT_APPLICABLE and "TEAMS1" in outcome.summary


@ALL
def test_an_answer_without_the_global_instance_is_an_error(check: Check) -> None:
    source = check.metadata.sources[0]
    data = mutated(lambda d: d.update({source: [r for r in d[source] if r["Identity"] != "Global"]}))
    outcome = run(check, data)
    assert outcome.status is Status.ERROR
    assert "Global" in outcome.summary


@pytest.mark.parametrize(("check", "data", "word"), FAILING, ids=[c.id for c, _, _ in FAILING])
def test_a_setting_the_answer_leaves_out_is_an_error_not_a_pass(
    check: Check, data: dict[str, Any], word: str
) -> None:
    source = check.metadata.sources[0]
    weakened = next(row for row in data[source] if row["Identity"] == "Global")
    good = good_data()
    changed_keys = [k for k, v in weakened.items() if good[source][0].get(k) != v]
    for row in good[source]:
        for key in changed_keys:
            row.pop(key, None)
    outcome = run(check, good)
    assert outcome.status is Status.ERROR, (changed_keys, outcome.summary)


def test_federation_passes_when_off_or_limited_to_an_empty_list() -> None:
    off = changed(FED, AllowFederatedUsers=False, AllowedDomains={})
    assert run(teams.external_domains_restricted, off).status is Status.PASS
    nobody = changed(FED, AllowedDomains={"AllowedDomain": []})
    outcome = run(teams.external_domains_restricted, nobody)
    assert outcome.status is Status.PASS and "0 allowed domains" in outcome.summary
    strings = changed(FED, AllowedDomains={"AllowedDomain": ["a.example", "b.example"]})
    assert "2 allowed domains" in run(teams.external_domains_restricted, strings).summary
    odd = changed(FED, AllowedDomains="AllowAllKnownDomains")
    assert run(teams.external_domains_restricted, odd).status is Status.ERROR


def test_open_federation_counts_blocked_domains() -> None:
    data = changed(FED, AllowedDomains={}, BlockedDomains=[{"Domain": "evil.example"}])
    outcome = run(teams.external_domains_restricted, data)
    assert outcome.status is Status.FAIL and "except 1 blocked domain" in outcome.summary


def test_inbound_contact_is_moot_when_unmanaged_accounts_are_off() -> None:
    data = changed(FED, AllowTeamsConsumer=False, AllowTeamsConsumerInbound=True)
    assert run(teams.unmanaged_inbound_blocked, data).status is Status.PASS
    data = changed(FED, AllowTeamsConsumer=True, AllowTeamsConsumerInbound=False)
    assert run(teams.unmanaged_inbound_blocked, data).status is Status.PASS


def test_booleans_sent_as_strings_are_read_and_anything_else_is_not() -> None:
    assert run(teams.skype_users_blocked, changed(FED, AllowPublicUsers="True")).status is Status.FAIL
    assert run(teams.skype_users_blocked, changed(FED, AllowPublicUsers="false")).status is Status.PASS
    assert run(teams.skype_users_blocked, changed(FED, AllowPublicUsers="maybe")).status is Status.ERROR
    assert run(teams.skype_users_blocked, changed(FED, AllowPublicUsers=None)).status is Status.ERROR


@pytest.mark.parametrize(
    ("check", "name"),
    [
        (teams_meetings.anonymous_start_off, "AllowAnonymousUsersToStartMeeting"),
        (teams_meetings.dial_in_lobby_bypass_off, "AllowPSTNUsersToBypassLobby"),
        (teams_meetings.external_control_off, "AllowExternalParticipantGiveRequestControl"),
    ],
)
def test_every_policy_checks_see_custom_policies(check: Check, name: str) -> None:
    outcome = run(check, with_custom_policy(**{name: True}))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"policy": "Tag:Contractors", name: True},)
    assert "1 meeting policy of 3 lets" in outcome.summary


@pytest.mark.parametrize(
    "check",
    [
        teams_meetings.anonymous_join_off,
        teams_meetings.recording_off_by_default,
        teams_meetings.lobby_bypass_org_only,
    ],
)
def test_global_only_checks_leave_custom_policies_alone(check: Check) -> None:
    data = with_custom_policy(
        AllowAnonymousUsersToJoinMeeting=True, AllowCloudRecording=True, AutoAdmittedUsers="Everyone"
    )
    assert run(check, data).status is Status.PASS


@pytest.mark.parametrize("value", ["InvitedUsers", "OrganizerOnly", "EveryoneInCompanyExcludingGuests"])
def test_stricter_lobby_settings_pass(value: str) -> None:
    assert (
        run(teams_meetings.lobby_bypass_org_only, changed(MEET, AutoAdmittedUsers=value)).status
        is Status.PASS
    )


def test_meeting_chat_off_for_everyone_passes() -> None:
    data = changed(MEET, MeetingChatEnabledType="Disabled")
    assert run(teams_meetings.meeting_chat_no_anonymous, data).status is Status.PASS


def test_an_unknown_app_or_recording_mode_is_an_error() -> None:
    data = changed(APPS, GlobalCatalogAppsType="SomethingNew")
    assert run(teams.third_party_apps_restricted, data).status is Status.ERROR
    data = changed(BROADCAST, BroadcastRecordingMode="Sometimes")
    assert run(teams_meetings.event_recording_not_forced, data).status is Status.ERROR


def test_app_checks_judge_every_policy_and_need_at_least_one() -> None:
    def add(data: dict[str, Any]) -> None:
        data[APPS].append(
            {**data[APPS][0], "Identity": "Tag:Developers", "PrivateCatalogAppsType": "BlockedAppList"}
        )

    outcome = run(teams.custom_apps_restricted, mutated(add))
    assert outcome.status is Status.FAIL
    assert outcome.evidence == ({"policy": "Tag:Developers", "PrivateCatalogAppsType": "BlockedAppList"},)
    empty = mutated(lambda d: d.update({APPS: []}))
    assert run(teams.third_party_apps_restricted, empty).status is Status.ERROR


def test_the_cloud_storage_check_names_each_provider_that_is_on() -> None:
    outcome = run(teams.cloud_storage_restricted, changed(CLIENT, AllowGoogleDrive=True))
    assert outcome.evidence == ({"AllowGoogleDrive": True},)


def test_a_retired_skype_setting_is_an_error_that_says_so() -> None:
    outcome = run(teams.skype_users_blocked, mutated(lambda d: d[FED][0].pop("AllowPublicUsers")))
    assert outcome.status is Status.ERROR and "retired" in outcome.summary
