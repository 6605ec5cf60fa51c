"""The queue table: every queue's message model parses the wire shape already in Azure queues,
and a malformed message raises ValueError naming the field."""

import json

import pytest

from core.messages import (
    EMAIL_SUMMARIES,
    MESSAGES,
    SCAN_REQUESTS,
    WEBHOOK_DELIVERIES,
    SummaryMessage,
    WebhookDelivery,
    dispatch,
    parse_message,
)
from core.settings import Settings


def test_one_entry_per_queue_with_stable_function_names() -> None:
    settings = Settings()
    assert {r.function_name: r.queue_name(settings) for r in MESSAGES} == {
        "scan_request_trigger": settings.scan_queue_name,
        "webhook_delivery_trigger": settings.webhook_queue_name,
        "email_summary_trigger": settings.email_queue_name,
    }
    assert [r.app_setting for r in MESSAGES] == ["SCAN_QUEUE_NAME", "WEBHOOK_QUEUE_NAME", "EMAIL_QUEUE_NAME"]


def test_summary_messages_of_every_version_parse_and_round_trip() -> None:
    old = {"orgId": "o1", "tenantId": "t1", "period": "2026-W48"}  # before relationships
    new = {**old, "customerId": "c-1"}
    assert parse_message(SummaryMessage, json.dumps(old)).to_message() == old
    assert parse_message(SummaryMessage, json.dumps(new)).to_message() == new


def test_webhook_deliveries_round_trip_unchanged() -> None:
    wire = {
        "orgId": "o1",
        "endpointId": "ep-1",
        "event": {"type": "scan.completed", "version": "1", "id": "evt_1", "orgId": "o1", "data": {}},
        "attempt": 3,
        "firstAttemptAt": "2026-11-30T07:00:00.123456+00:00",
    }
    assert parse_message(WebhookDelivery, json.dumps(wire)).to_message() == wire


@pytest.mark.parametrize(
    ("route", "problem"),
    [
        (EMAIL_SUMMARIES, "malformed summary message: tenantId: Field required"),
        (WEBHOOK_DELIVERIES, "malformed webhook delivery: endpointId: Field required"),
    ],
)
async def test_a_malformed_message_raises_naming_the_field(route: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        await dispatch(None, route, '{"orgId": "o1"}')  # type: ignore[arg-type]


def test_scan_requests_are_routed_to_the_poison_queue_at_once() -> None:
    assert SCAN_REQUESTS.on_malformed is not None
    assert EMAIL_SUMMARIES.on_malformed is None and WEBHOOK_DELIVERIES.on_malformed is None
