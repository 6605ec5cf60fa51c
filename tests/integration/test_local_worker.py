"""The local queue worker: the same handler as the queue trigger, the host's retry rules."""

import json

from core.bootstrap import Services
from functions.local_host import QueueOptions, drain_scan_queue_once


async def _drain(services: Services) -> None:
    options = QueueOptions.from_host_json()
    while await drain_scan_queue_once(services, options):
        pass


async def test_malformed_message_goes_to_the_poison_queue_with_the_reason(services: Services) -> None:
    await services.scan_queue.send({"orgId": "o1"})  # no tenantId
    await _drain(services)
    parked = [p for p in await services.scan_queue.peek_poison() if '"o1"' in p["message"]]
    assert parked, "the malformed message should be in the poison queue"
    assert "tenantId" in parked[-1]["reason"]
    assert json.loads(parked[-1]["message"]) == {"orgId": "o1"}


def test_queue_options_come_from_host_json() -> None:
    options = QueueOptions.from_host_json()
    assert options.batch_size == 8
    assert options.new_batch_threshold == 4
    assert options.max_dequeue_count == 5
    assert options.retry_delay_seconds == 30
