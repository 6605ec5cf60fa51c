"""The queue adapter against Azurite."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from core.store.queues import QueueChannel


@pytest.fixture
async def channel(settings: Settings) -> AsyncIterator[QueueChannel]:
    queue = QueueChannel.from_settings(settings, f"test-{uuid.uuid4().hex[:12]}")
    await queue.ensure()
    yield queue
    await queue.close()


async def test_send_receive_delete(channel: QueueChannel) -> None:
    await channel.send({"tenantId": "t1"})
    (message,) = await channel.receive(max_messages=5, visibility_timeout=30)
    assert message.json() == {"tenantId": "t1"}
    assert message.dequeue_count == 1
    await channel.delete(message)
    assert await channel.receive(max_messages=5, visibility_timeout=1) == []


async def test_undeleted_message_returns_after_its_visibility_timeout(channel: QueueChannel) -> None:
    await channel.send({"n": 1})
    (first,) = await channel.receive(visibility_timeout=1)
    assert await channel.receive(visibility_timeout=1) == []  # invisible while leased
    await asyncio.sleep(1.5)
    (again,) = await channel.receive(visibility_timeout=30)
    assert again.id == first.id
    assert again.dequeue_count == 2


async def test_release_makes_a_message_visible_again_after_a_delay(channel: QueueChannel) -> None:
    await channel.send({"n": 2})
    (message,) = await channel.receive(visibility_timeout=300)
    await channel.release(message, 0)
    (again,) = await channel.receive(visibility_timeout=30)
    assert again.id == message.id


async def test_poison_moves_the_message_with_its_reason(channel: QueueChannel) -> None:
    await channel.send({"bad": True})
    (message,) = await channel.receive(visibility_timeout=30)
    await channel.poison(message, "could not be handled")
    assert await channel.receive(visibility_timeout=1) == []
    (parked,) = await channel.peek_poison()
    assert parked["reason"] == "could not be handled"
    assert parked["message"] == '{"bad": true}'
