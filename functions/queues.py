"""Queue triggers: one per entry of core.messages.MESSAGES, each handing the message's text to
core.messages.dispatch. A handler that raises leaves the message to host.json's retry and poison
rules."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import azure.functions as func

from core.messages import MESSAGES, Route, dispatch
from functions.runtime import services

bp = func.Blueprint()
log = logging.getLogger(__name__)


def _trigger(route: Route[Any]) -> Callable[[func.QueueMessage], Awaitable[None]]:
    async def trigger(message: func.QueueMessage) -> None:
        outcome = await dispatch(await services.get(), route, message.get_body().decode("utf-8"))
        log.info("%s %s: %s", route.label, message.id, outcome)

    trigger.__name__ = trigger.__qualname__ = route.function_name
    return trigger


for _route in MESSAGES:
    bp.function_name(_route.function_name)(
        bp.queue_trigger(
            arg_name="message", queue_name=f"%{_route.app_setting}%", connection="STORAGE_CONNECTION"
        )(_trigger(_route))
    )
