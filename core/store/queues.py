"""Queue storage adapter. Messages are JSON objects, base64-encoded as the Functions queue trigger
expects by default, so the same message is readable by the trigger in Azure and the local worker."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import TextBase64DecodePolicy, TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient

from core.settings import Settings
from core.store.errors import Unavailable, storage_retry
from core.wire import azure_client_options


def poison_queue_name(queue_name: str) -> str:
    # The Functions host moves messages that keep failing to "<queue>-poison"; we use the same name.
    return f"{queue_name}-poison"


@dataclass(frozen=True)
class ReceivedMessage:
    id: str
    pop_receipt: str
    text: str
    dequeue_count: int

    def json(self) -> Any:
        """The decoded payload; raises ValueError for a message that is not JSON."""
        return json.loads(self.text)


def queue_client_from_settings(settings: Settings, queue_name: str, **kwargs: Any) -> QueueClient:
    policies: dict[str, Any] = {
        "message_encode_policy": TextBase64EncodePolicy(),
        "message_decode_policy": TextBase64DecodePolicy(),
        **storage_retry(settings.storage_retry_total),
        **azure_client_options(),
    }
    if settings.storage_connection is not None:
        return QueueClient.from_connection_string(
            settings.storage_connection.get_secret_value(), queue_name, **policies, **kwargs
        )
    if not settings.storage_queue_url:
        raise ValueError("set STORAGE_CONNECTION (local) or STORAGE_QUEUE_URL (managed identity)")
    from azure.identity.aio import DefaultAzureCredential

    return QueueClient(
        settings.storage_queue_url, queue_name, credential=DefaultAzureCredential(), **policies, **kwargs
    )


class QueueChannel:
    """One work queue and its poison queue."""

    def __init__(self, queue: QueueClient, poison: QueueClient) -> None:
        self._queue = queue
        self._poison = poison

    @classmethod
    def from_settings(cls, settings: Settings, queue_name: str, **kwargs: Any) -> QueueChannel:
        return cls(
            queue_client_from_settings(settings, queue_name, **kwargs),
            queue_client_from_settings(settings, poison_queue_name(queue_name), **kwargs),
        )

    @property
    def name(self) -> str:
        return self._queue.queue_name

    async def ensure(self) -> None:
        for client in (self._queue, self._poison):
            with contextlib.suppress(ResourceExistsError):
                await client.create_queue()

    async def send(self, payload: Any, *, visibility_delay: int | None = None) -> str:
        try:
            sent = await self._queue.send_message(json.dumps(payload), visibility_timeout=visibility_delay)
        except AzureError as exc:
            raise Unavailable(f"could not send to queue {self.name}: {type(exc).__name__}") from exc
        return str(sent.id)

    async def receive(self, max_messages: int = 1, visibility_timeout: int = 60) -> list[ReceivedMessage]:
        """Take up to `max_messages`; each stays invisible for `visibility_timeout` seconds and comes
        back unless deleted before then."""
        try:
            return [
                ReceivedMessage(
                    id=m.id,
                    pop_receipt=m.pop_receipt or "",
                    text=m.content or "",
                    dequeue_count=int(m.dequeue_count or 0),
                )
                async for m in self._queue.receive_messages(
                    messages_per_page=max_messages,
                    max_messages=max_messages,
                    visibility_timeout=visibility_timeout,
                )
            ]
        except AzureError as exc:
            raise Unavailable(f"could not receive from queue {self.name}: {type(exc).__name__}") from exc

    async def delete(self, message: ReceivedMessage) -> None:
        # Already deleted, or its visibility lapsed and another worker took it: nothing to undo.
        with contextlib.suppress(ResourceNotFoundError):
            await self._queue.delete_message(message.id, message.pop_receipt)

    async def release(self, message: ReceivedMessage, delay_seconds: int) -> None:
        """Give a message back to the queue, visible again after `delay_seconds` (a retry)."""
        # A lapsed lease means the queue hands the message out again on its own.
        with contextlib.suppress(ResourceNotFoundError):
            await self._queue.update_message(
                message.id, message.pop_receipt, visibility_timeout=delay_seconds
            )

    async def send_to_poison(self, text: str, reason: str, dequeue_count: int = 1) -> None:
        """Park a message that cannot be handled in the poison queue, keeping its text and why."""
        record = {"reason": reason, "message": text, "dequeueCount": dequeue_count}
        try:
            await self._poison.send_message(json.dumps(record))
        except AzureError as exc:
            raise Unavailable(f"could not send to queue {self.name}-poison: {type(exc).__name__}") from exc

    async def poison(self, message: ReceivedMessage, reason: str) -> None:
        """Move a received message to the poison queue (as the host does after maxDequeueCount)."""
        await self.send_to_poison(message.text, reason, message.dequeue_count)
        await self.delete(message)

    async def peek_poison(self, max_messages: int = 32) -> list[Any]:
        peeked = await self._poison.peek_messages(max_messages=max_messages)
        return [json.loads(m.content) for m in peeked]

    async def ping(self) -> None:
        await self._queue.get_queue_properties()

    async def close(self) -> None:
        await self._queue.close()
        await self._poison.close()
