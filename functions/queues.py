"""Queue triggers."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.runtime import services

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.queue_trigger(arg_name="message", queue_name="%SCAN_QUEUE_NAME%", connection="STORAGE_CONNECTION")
async def scan_request_trigger(message: func.QueueMessage) -> None:
    from core.scheduling import handle_scan_request

    outcome = await handle_scan_request(await services.get(), message.get_body().decode("utf-8"))
    log.info("scan request %s: %s", message.id, outcome)


@bp.queue_trigger(arg_name="message", queue_name="%WEBHOOK_QUEUE_NAME%", connection="STORAGE_CONNECTION")
async def webhook_delivery_trigger(message: func.QueueMessage) -> None:
    import json

    from core.webhooks.delivery import deliver

    outcome = await deliver(await services.get(), json.loads(message.get_body().decode("utf-8")))
    log.info("webhook delivery %s: %s", message.id, outcome)


@bp.queue_trigger(arg_name="message", queue_name="%EMAIL_QUEUE_NAME%", connection="STORAGE_CONNECTION")
async def email_summary_trigger(message: func.QueueMessage) -> None:
    from core.reports.summary import handle_summary_message

    outcome = await handle_summary_message(await services.get(), message.get_body().decode("utf-8"))
    log.info("email summary %s: %s", message.id, outcome)
