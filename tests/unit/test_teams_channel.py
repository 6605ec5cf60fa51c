"""The Teams admin channel's pure parts: the request it makes, the answers it accepts, how a refusal
reads, and how a tenant without Teams is decided from its own subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.api_error import APIError
from msgraph.generated.models.o_data_errors.main_error import MainError
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from core.checks.model import SourceFailure, TenantSnapshot
from core.collect.connection import TEAMS_SCOPE
from core.collect.failures import SourceError
from core.collect.sources import ALL_SOURCE_NAMES, TEAMS_SOURCES
from core.collect.teams import (
    classify_teams,
    instances,
    read_teams_source,
    settle_teams_licence,
    teams_headers,
    teams_token_failure,
    teams_url,
)
from core.collect.unreadable import explain
from tests.unit.checks.support import good_data, without_plan

MEETINGS = next(s for s in TEAMS_SOURCES if s.name == "teams_meeting_policies")


def odata(status: int, code: str, message: str) -> ODataError:
    error = ODataError(error=MainError(code=code, message=message))
    error.response_status_code = status
    return error


def test_the_request_names_the_type_and_the_cmdlet() -> None:
    assert TEAMS_SCOPE == "48ac35b8-9aa8-4d74-927d-1f4a14a0b239/.default"
    url = teams_url("https://api.interfaces.records.teams.microsoft.com/", MEETINGS)
    assert (
        url
        == "https://api.interfaces.records.teams.microsoft.com/Skype.Policy/configurations/TeamsMeetingPolicy"
    )
    headers = teams_headers(MEETINGS)
    assert headers["X-MS-CmdletName"] == "Get-CsTeamsMeetingPolicy"
    assert headers["X-MS-Correlation-Id"] != teams_headers(MEETINGS)["X-MS-Correlation-Id"]
    assert {s.name for s in TEAMS_SOURCES} <= ALL_SOURCE_NAMES
    federation = next(s for s in TEAMS_SOURCES if s.name == "teams_federation")
    assert federation.config_type == "TenantFederationSettings"  # not the cmdlet's noun


def test_only_a_list_of_instances_with_an_identity_is_data() -> None:
    assert (
        instances([{"Identity": "Global", "AllowCloudRecording": False}], MEETINGS)[0]["Identity"] == "Global"
    )
    assert instances([], MEETINGS) == []
    for answer in ({"Identity": "Global"}, {}, "text", None, [{"AllowCloudRecording": False}], [1]):
        with pytest.raises(SourceError) as refused:
            instances(answer, MEETINGS)
        assert refused.value.failure.kind == "unavailable"
        assert "Get-CsTeamsMeetingPolicy" in refused.value.failure.reason


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_names_the_role_not_a_permission(status: int) -> None:
    failure = classify_teams(odata(status, "Forbidden", "Access Denied."), MEETINGS)
    assert failure.kind == "forbidden"
    assert "Global Reader" in failure.reason and "Access Denied." in failure.reason
    said = explain("teams_meeting_policies", failure.reason)
    assert said.sentence == (
        "Microsoft Teams could not be read: the app lacks the Global Reader (or Teams Reader) role "
        "in the tenant."
    )


def test_other_answers_are_errors_with_the_status() -> None:
    failure = classify_teams(APIError("unreadable", 502, {}), MEETINGS)
    assert failure.kind == "unavailable" and "HTTP 502" in failure.reason
    throttled = classify_teams(odata(429, "TooManyRequests", "slow down"), MEETINGS)
    assert throttled.kind == "unavailable" and "throttled" in throttled.reason


def test_a_token_refusal_says_whether_teams_exists_there() -> None:
    missing = teams_token_failure(
        ClientAuthenticationError("AADSTS500011: The resource principal named x ...")
    )
    assert missing.kind == "unavailable" and "not set up" in missing.reason
    other = teams_token_failure(ClientAuthenticationError("AADSTS500014: The service principal is disabled"))
    assert other.kind == "forbidden" and other.code == "AADSTS500014"


def _snapshot(data: dict[str, object]) -> TenantSnapshot:
    snapshot = TenantSnapshot("t", datetime(2026, 11, 1, tzinfo=UTC), data=data)
    for source in TEAMS_SOURCES:
        snapshot.data.pop(source.name, None)
        snapshot.failures[source.name] = SourceFailure("unavailable", "the Teams admin service is not set up")
    return snapshot


def test_without_the_teams_plan_a_failed_read_is_that_licence_refusal() -> None:
    data = good_data()
    without_plan(data, "TEAMS1")
    snapshot = _snapshot(data)
    settle_teams_licence(snapshot)
    snapshot.settle_licences()
    for source in TEAMS_SOURCES:
        failure = snapshot.failures[source.name]
        assert failure.kind == "not_licensed" and failure.plan == "TEAMS1"
        assert "not set up" in failure.reason  # the service's own answer is kept


def test_with_the_plan_or_unknown_subscriptions_a_failed_read_stays_an_error() -> None:
    licensed = _snapshot(good_data())
    settle_teams_licence(licensed)
    assert {f.kind for f in licensed.failures.values()} == {"unavailable"}
    unknown = good_data()
    unknown.pop("subscribed_skus")
    blind = _snapshot(unknown)
    settle_teams_licence(blind)
    assert {f.kind for f in blind.failures.values()} == {"unavailable"}


class _Adapter:
    """Answers every request with `body`, or raises `error`; remembers the request."""

    def __init__(self, body: bytes = b"", error: BaseException | None = None) -> None:
        self.body, self.error, self.requests = body, error, []

    async def send_primitive_async(self, request: object, kind: str, errors: object) -> bytes:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return self.body


async def test_the_reader_returns_instances_and_turns_anything_else_into_a_reason() -> None:
    base = "https://api.interfaces.records.teams.microsoft.com"
    good = _Adapter(b'[{"Identity":"Global","AllowCloudRecording":false}]')
    rows = await read_teams_source(good, base, MEETINGS)  # type: ignore[arg-type]
    assert rows == [{"Identity": "Global", "AllowCloudRecording": False}]
    sent = good.requests[0]
    assert sent.url.endswith("/Skype.Policy/configurations/TeamsMeetingPolicy")  # type: ignore[attr-defined]
    assert sent.headers.get("X-MS-CmdletName") == {"Get-CsTeamsMeetingPolicy"}  # type: ignore[attr-defined]
    for adapter, said in (
        (_Adapter(b"<html>gateway</html>"), "JSONDecodeError"),
        (_Adapter(b""), "not the list of instances"),
        (_Adapter(b'{"value": []}'), "not the list of instances"),
        (_Adapter(error=odata(403, "Forbidden", "Access Denied.")), "Global Reader"),
        (_Adapter(error=ClientAuthenticationError("AADSTS500011: no principal")), "not set up"),
    ):
        with pytest.raises(SourceError) as refused:
            await read_teams_source(adapter, base, MEETINGS)  # type: ignore[arg-type]
        assert said in refused.value.failure.reason


def test_other_teams_plans_count_as_teams() -> None:
    from core.checks.teams_common import holds_teams

    def skus(*plans: str, state: str = "Enabled") -> list[dict[str, object]]:
        listed = [{"servicePlanName": p, "provisioningStatus": "Success"} for p in plans]
        return [{"capabilityStatus": state, "servicePlans": listed}]

    assert (
        holds_teams(skus("TEAMS1"))
        and holds_teams(skus("TEAMS_GOV"))
        and holds_teams(skus("Teams_Room_Standard"))
    )
    assert not holds_teams(skus("AAD_PREMIUM", "MCOSTANDARD", "EXCHANGE_S_ENTERPRISE"))
    assert not holds_teams(skus("TEAMS1", state="Suspended"))
