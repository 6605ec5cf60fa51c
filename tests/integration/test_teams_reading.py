"""The Teams checks, read over HTTP from the Graph simulator's Teams admin service through the real
token credential and Kiota adapters, for the demo tenants of each posture; and the service's refusals."""

from __future__ import annotations

import ssl

import httpx
import pytest

from core.checks import teams, teams_meetings
from core.checks.model import Status, run_check
from core.collect.connection import TEAMS_SCOPE, open_connection
from core.collect.sources import TEAMS_SOURCES
from core.collect.teams import read_teams_source
from core.settings import Settings
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from tests.reading import collected_snapshot, demo_tenant_id

CHECKS = (*teams.CHECKS, *teams_meetings.CHECKS)
SOURCES = {s.name for s in TEAMS_SOURCES}
NORTHWIND_FAILS = {
    "teams.unmanaged_contact_off",
    "teams.channel_email_off",
    "teams.cloud_storage_restricted",  # Google Drive
    "teams.custom_apps_restricted",
    "teams.anonymous_join_off",
    "teams.lobby_bypass_org_only",  # guests bypass too
    "teams.dial_in_lobby_bypass_off",  # a custom policy for the dispatch bridge
    "teams.presenters_restricted",
    "teams.external_meeting_chat_off",
    "teams.recording_off_by_default",
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Contoso Dental", {c.id: Status.FAIL for c in CHECKS}),
        (
            "Northwind Logistics",
            {c.id: Status.FAIL if c.id in NORTHWIND_FAILS else Status.PASS for c in CHECKS},
        ),
        ("Fabrikam Legal", {c.id: Status.PASS for c in CHECKS}),
        # Enterprise Mobility + Security E5 only: no Teams plan, so nothing to judge.
        ("Tailwind Traders", {c.id: Status.NOT_APPLICABLE for c in CHECKS}),
    ],
)
async def test_demo_postures_give_clearly_different_verdicts(
    scan_settings: Settings, graphsim: GraphSimulator, name: str, expected: dict[str, Status]
) -> None:
    snapshot = await collected_snapshot(scan_settings, demo_tenant_id(graphsim, name))
    if name != "Tailwind Traders":
        assert not SOURCES & set(snapshot.failures), snapshot.failures
    verdicts = {c.id: run_check(c, snapshot) for c in CHECKS}
    assert {k: v.status for k, v in verdicts.items()} == expected, {k: v.summary for k, v in verdicts.items()}


async def test_the_service_answers_every_instance_as_a_bare_list(
    scan_settings: Settings, graphsim: GraphSimulator
) -> None:
    tenant = demo_tenant_id(graphsim, "Northwind Logistics")
    connection = open_connection(scan_settings, tenant)
    try:
        assert connection.teams is not None
        rows = {
            s.name: await read_teams_source(connection.teams, connection.teams_base_url, s)
            for s in TEAMS_SOURCES
        }
        token = await connection.credential.get_token(TEAMS_SCOPE)
        graph_token = await connection.credential.get_token("https://graph.microsoft.com/.default")
    finally:
        await connection.close()
    meetings = {row["Identity"] for row in rows["teams_meeting_policies"]}
    assert meetings == {"Global", "Tag:Dispatch bridge"}
    assert rows["teams_federation"][0]["AllowedDomains"] == {
        "AllowedDomain": [{"Domain": "carrier-partner.example"}]
    }
    assert rows["teams_federation"][0]["Key"]["AuthorityId"]["InstanceId"] == tenant
    verify = ssl.create_default_context(cafile=str(graphsim.ca_cert))
    url = f"{graphsim.teams_url}/Skype.Policy/configurations/TeamsClientConfiguration"
    async with httpx.AsyncClient(verify=verify, timeout=30) as client:
        answer = await client.get(url, headers={"Authorization": f"Bearer {token.token}"})
        wrong = await client.get(url, headers={"Authorization": f"Bearer {graph_token.token}"})
        unknown = await client.get(
            url.replace("TeamsClientConfiguration", "NoSuchType"),
            headers={"Authorization": f"Bearer {token.token}"},
        )
    assert answer.status_code == 200 and isinstance(answer.json(), list)
    assert wrong.status_code == 401  # a Graph token is not one for the Teams admin service
    assert unknown.status_code == 404


async def test_without_a_directory_role_every_teams_check_is_an_error_naming_it(
    scan_settings: Settings, graphsim: GraphSimulator
) -> None:
    fixture = synthetic_tenant(10, seed=67, posture="strong")
    fixture["app"]["exchangeRole"] = None
    tenant = graphsim.load_tenant(fixture)
    try:
        snapshot = await collected_snapshot(scan_settings, tenant)
    finally:
        graphsim.remove_tenant(tenant)
    for check in CHECKS:
        outcome = run_check(check, snapshot)
        assert outcome.status is Status.ERROR, (check.id, outcome.summary)
        assert "Global Reader" in outcome.summary and "HTTP 403" in outcome.summary


async def test_a_tenant_that_loses_teams_is_not_applicable_not_an_error(
    scan_settings: Settings, graphsim: GraphSimulator
) -> None:
    tenant = demo_tenant_id(graphsim, "Fabrikam Legal")
    graphsim.set_faults(tenant, missing_licences=["TEAMS1"])
    try:
        snapshot = await collected_snapshot(scan_settings, tenant)
    finally:
        graphsim.clear_faults(tenant)
    assert {snapshot.failures[s].kind for s in SOURCES} == {"not_licensed"}
    assert "AADSTS500011" in snapshot.failures["teams_federation"].reason
    assert {run_check(c, snapshot).status for c in CHECKS} == {Status.NOT_APPLICABLE}


async def test_a_throttled_read_is_retried_and_a_failing_one_errors_only_its_checks(
    scan_settings: Settings, graphsim: GraphSimulator
) -> None:
    tenant = demo_tenant_id(graphsim, "Fabrikam Legal")
    graphsim.set_faults(
        tenant, throttle=2, throttle_path="teams:TenantFederationSettings", throttle_retry_after=0
    )
    graphsim.set_faults(tenant, fail_status=500, fail_path="teams:TeamsMeetingPolicy", fail_count=1000)
    graphsim.reset_request_log(tenant)
    try:
        snapshot = await collected_snapshot(scan_settings, tenant)
    finally:
        graphsim.clear_faults(tenant)
    federation = [
        e["status"] for e in graphsim.request_log(tenant) if e["path"].endswith("TenantFederationSettings")
    ]
    assert federation == [429, 429, 200]  # Retry-After honoured by the same retry middleware as Graph's
    verdicts = {c.id: run_check(c, snapshot) for c in CHECKS}
    meetings = {c.id for c in teams_meetings.CHECKS if "teams_meeting_policies" in c.metadata.sources}
    for check_id, outcome in verdicts.items():
        expected = Status.ERROR if check_id in meetings else Status.PASS
        assert outcome.status is expected, (check_id, outcome.summary)
    assert "HTTP 500" in verdicts["teams.anonymous_join_off"].summary
