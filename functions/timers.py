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
    from core.reports.summary import send_due_summaries

    result = await send_due_summaries(await services.get())
    log.info("daily summaries: %s", result)
