"""Reading sources: the licence decision from subscribedSkus, object shapes, and the Kiota request path
(a real msgraph request adapter over an in-process httpx transport) for answers the simulator does not
give: error bodies that are not JSON, and Exchange's proxy refusal followed by paging."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from core.checks.licensing import holds_plan
from core.checks.model import SourceFailure, TenantSnapshot, settle_licence
from core.collect import exchange
from core.collect.exchange import SYSTEM_MAILBOX, read_exchange_source
from core.collect.failures import SourceError
from core.collect.readers import object_body, read_graph_source
from core.collect.sources import EXCHANGE_SOURCES, P1, P2, graph_source
from tests.unit.checks.support import NOW

TENANT = "0f1e2d3c-0000-4000-8000-000000000001"


def sku(*plans: str, status: str = "Enabled", provisioning: str = "Success") -> dict[str, Any]:
    return {
        "capabilityStatus": status,
        "servicePlans": [{"servicePlanName": p, "provisioningStatus": provisioning} for p in plans],
    }


REFUSAL = SourceFailure(
    "not_licensed", "HTTP 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant", "x", P1
)


def test_a_plan_counts_only_in_an_active_subscription_and_once_provisioned() -> None:
    assert holds_plan([sku(P1)], P1)
    assert holds_plan([sku(P1, status="Warning")], P1)  # the grace period still provides the service
    assert not holds_plan([sku(P1, status="Suspended")], P1)
    assert not holds_plan([sku(P1, provisioning="Disabled")], P1)
    assert not holds_plan([sku(P1, provisioning="PendingActivation")], P1)
    assert holds_plan([sku(P2)], P1)  # P2 includes P1
    assert not holds_plan([sku(P1)], P2)


def test_a_licence_refusal_stands_only_where_the_subscriptions_lack_the_plan() -> None:
    assert settle_licence(REFUSAL, [sku("EXCHANGE_S_STANDARD")], None) is REFUSAL
    believed_not = settle_licence(REFUSAL, [sku(P1)], None)
    assert believed_not.kind == "unavailable" and "Directory.Read.All" in believed_not.reason
    unread = settle_licence(REFUSAL, None, "HTTP 403 Authorization_RequestDenied")
    assert unread.kind == "unavailable" and "Authorization_RequestDenied" in unread.reason
    unknown_plan = settle_licence(
        SourceFailure("not_licensed", "x", "AadPremiumLicenseRequired"), [sku()], None
    )
    assert unknown_plan.kind == "unavailable"
    forbidden = SourceFailure("forbidden", "Policy.Read.All missing")
    assert settle_licence(forbidden, [sku()], None) is forbidden


def test_settling_a_snapshot_is_idempotent() -> None:
    snapshot = TenantSnapshot(
        "t", NOW, data={"subscribed_skus": [sku(P1)]}, failures={"a": REFUSAL, "b": REFUSAL}
    )
    snapshot.failures["b"] = SourceFailure("not_licensed", "y", "AadPremiumLicenseRequired", P2)
    snapshot.settle_licences()
    once = dict(snapshot.failures)
    snapshot.settle_licences()
    assert snapshot.failures == once
    assert once["a"].kind == "unavailable" and once["b"].kind == "not_licensed"


def test_settling_again_sees_failures_and_subscriptions_that_changed_since() -> None:
    """Settling is skipped when nothing changed since the last time, and only then."""
    snapshot = TenantSnapshot("t", NOW, data={"subscribed_skus": [sku(P1)]}, failures={"a": REFUSAL})
    snapshot.settle_licences()
    assert snapshot.failures["a"].kind == "unavailable"  # P1 is held, so the refusal is doubted
    snapshot.failures["b"] = SourceFailure("not_licensed", "y", "AadPremiumLicenseRequired", P1)
    snapshot.settle_licences()
    assert snapshot.failures["b"].kind == "unavailable"
    snapshot.data["subscribed_skus"] = []  # subscriptions read again: no P1 any more
    snapshot.failures["c"] = SourceFailure("not_licensed", "z", "AadPremiumLicenseRequired", P1)
    snapshot.settle_licences()
    assert snapshot.failures["c"].kind == "not_licensed"


def test_an_index_is_built_again_when_its_source_is_replaced() -> None:
    snapshot = TenantSnapshot("t", NOW, data={"users": [{"id": "A"}]})
    first = snapshot.derived("ids", "users", lambda users: [u["id"] for u in users])
    assert snapshot.derived("ids", "users", lambda users: []) is first  # built once
    snapshot.data["users"] = [{"id": "B"}]
    assert snapshot.derived("ids", "users", lambda users: [u["id"] for u in users]) == ["B"]


SETTINGS = graph_source("sharepoint_settings")


@pytest.mark.parametrize(
    "body",
    [
        {"@odata.context": "x", "sharingCapability": "disabled", "isLoopEnabled": True},
        {"value": {"@odata.type": "#microsoft.graph.sharepointSettings", "sharingCapability": "disabled"}},
    ],
    ids=["top-level", "wrapped-in-value"],
)
def test_sharepoint_settings_are_read_whether_or_not_wrapped(body: dict[str, Any]) -> None:
    settings = object_body(body, SETTINGS)
    assert settings["sharingCapability"] == "disabled"
    assert not any(key.startswith("@odata.") for key in settings)


@pytest.mark.parametrize("body", [{}, {"value": {}}, {"value": [{"sharingCapability": "disabled"}]}, []])
def test_a_body_without_sharing_capability_is_an_error_never_settings(body: Any) -> None:
    with pytest.raises(SourceError) as raised:
        object_body(body, SETTINGS)
    assert raised.value.failure.kind == "unavailable"


Handler = Callable[[httpx.Request], httpx.Response]


async def adapter_over(handler: Handler) -> Any:
    """msgraph's request adapter, as `open_connection` builds it, over an in-process transport."""
    from kiota_abstractions.api_client_builder import register_default_deserializer
    from kiota_abstractions.authentication import AnonymousAuthenticationProvider
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.graph_request_adapter import GraphRequestAdapter

    register_default_deserializer(JsonParseNodeFactory)
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return GraphRequestAdapter(AnonymousAuthenticationProvider(), client=client)


@pytest.mark.parametrize(
    ("status", "kind"), [(401, "forbidden"), (403, "forbidden"), (404, "not_found"), (502, "unavailable")]
)
async def test_an_error_body_that_is_not_json_is_classified_by_its_status(status: int, kind: str) -> None:
    page = "<html><body>Service unavailable</body></html>"
    adapter = await adapter_over(
        lambda request: httpx.Response(status, text=page, headers={"content-type": "text/html"})
    )
    source = graph_source("conditional_access_policies")  # needs P1: a 403 here must not read as "unlicensed"
    with pytest.raises(SourceError) as raised:
        await read_graph_source(adapter, "https://graph.test/v1.0", source)
    failure = raised.value.failure
    assert failure.kind == kind, failure
    assert "not a JSON error" in failure.reason
    if kind == "forbidden":
        assert "Policy.Read.All" in failure.reason


async def test_a_collection_answer_without_a_value_list_is_an_error() -> None:
    adapter = await adapter_over(lambda request: httpx.Response(200, json={"@odata.context": "x"}))
    with pytest.raises(SourceError) as raised:
        await read_graph_source(adapter, "https://graph.test/v1.0", graph_source("users"))
    assert "no value list" in raised.value.failure.reason


PROXY = {
    "error": {
        "code": "BadRequest",
        "message": "Cmdlet needs proxy. Required Server FQDN: AB1PR01MB0001.PROD.OUTLOOK.COM",
        "innererror": {"type": "Microsoft.Exchange.Configuration.CmdletProxyNotAvailableException"},
    }
}


async def test_exchange_calls_carry_the_headers_retry_the_proxy_refusal_and_repost_for_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exchange, "PROXY_BACKOFF_SECONDS", 0)
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(400, json=PROXY),
        httpx.Response(
            200, json={"value": [{"n": 1}], "@odata.nextLink": "https://exo.test/next?$skiptoken=a"}
        ),
        httpx.Response(400, json=PROXY),
        httpx.Response(200, json={"value": [{"n": 2}]}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[len(seen) - 1]

    source = next(s for s in EXCHANGE_SOURCES if s.cmdlet == "Get-Mailbox")
    rows = await read_exchange_source(await adapter_over(handler), "https://exo.test", TENANT, source)
    assert rows == [{"n": 1}, {"n": 2}]
    first = f"https://exo.test/adminapi/beta/{TENANT}/InvokeCommand?$select={','.join(source.select)}"
    assert "AuditOwner" in source.select
    assert [str(r.url) for r in seen] == [first] * 2 + ["https://exo.test/next?$skiptoken=a"] * 2
    for request in seen:
        assert request.method == "POST"
        assert request.headers["X-AnchorMailbox"] == f"APP:{SYSTEM_MAILBOX}@{TENANT}"
        assert request.headers["Prefer"] == "odata.maxpagesize=1000"
        assert json.loads(request.content) == {
            "CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": "Unlimited"}}
        }


async def test_a_proxy_refusal_that_persists_is_an_error_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exchange, "PROXY_BACKOFF_SECONDS", 0)
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(400, json=PROXY)

    with pytest.raises(SourceError) as raised:
        await read_exchange_source(
            await adapter_over(handler), "https://exo.test", TENANT, EXCHANGE_SOURCES[0]
        )
    assert len(calls) == exchange.PROXY_ATTEMPTS
    failure = raised.value.failure
    assert failure.kind == "unavailable"
    assert "could not route" in failure.reason and "Cmdlet needs proxy" in failure.reason
