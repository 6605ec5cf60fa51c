"""Timer triggers."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.runtime import services

bp = func.Blueprint()
log = logging.getLogger(__name__)

HOURLY = "0 0 * * * *"


@bp.timer_trigger(arg_name="timer", schedule=HOURLY, run_on_startup=False, use_monitor=True)
async def hourly_scan_timer(timer: func.TimerRequest) -> None:
    from core.scheduling import hourly

    result = await hourly(await services.get())
    log.info("hourly scan timer: %s", result)


DAILY_AT_SEVEN = "0 0 7 * * *"


@bp.timer_trigger(arg_name="timer", schedule=DAILY_AT_SEVEN, run_on_startup=False, use_monitor=True)
async def daily_summary_timer(timer: func.TimerRequest) -> None:
    from core.summaries import enqueue_due_summaries

    result = await enqueue_due_summaries(await services.get())
    log.info("daily summaries: %s", result)


JUST_AFTER_MIDNIGHT = "0 5 0 * * *"


@bp.timer_trigger(arg_name="timer", schedule=JUST_AFTER_MIDNIGHT, run_on_startup=False, use_monitor=True)
async def daily_metering_timer(timer: func.TimerRequest) -> None:
    """Closes yesterday's metering: customers no scan counted get the last known count."""
    from datetime import UTC, datetime, timedelta

    from core.billing.service import meter_day

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    written = await meter_day(await services.get(), yesterday)
    log.info("metering %s: %d carried over", yesterday, written)
