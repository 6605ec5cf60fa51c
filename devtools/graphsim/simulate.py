"""Latency and injected failures, applied the same way to token, Graph and Exchange requests."""

from __future__ import annotations

import asyncio
from typing import Literal

from starlette.responses import Response

from devtools.graphsim.faults import Injection
from devtools.graphsim.responses import Ids, entra_error, exchange_error, graph_error
from devtools.graphsim.state import SimState

Service = Literal["entra", "graph", "exchange"]

_GRAPH_FAILURES = {
    500: ("UnknownError", "An unexpected error occurred."),
    503: (
        "serviceNotAvailable",
        "The service is temporarily unavailable for maintenance or is overloaded. You may repeat the "
        "request after a delay, the length of which may be specified in a Retry-After header.",
    ),
    504: ("GatewayTimeout", "The server, while acting as a proxy, did not receive a timely response."),
}


async def disturb(
    state: SimState, tenant_id: str | None, targets: tuple[str, ...], service: Service, ids: Ids | None = None
) -> Response | None:
    """Sleep the configured latency, then answer for the service if a fault applies to this request."""
    latency = state.faults.latency(tenant_id)
    if latency:
        await asyncio.sleep(latency / 1000)
    injection = state.faults.inject(tenant_id, targets)
    return None if injection is None else failure(injection, service, tenant_id, ids)


def failure(injection: Injection, service: Service, tenant_id: str | None, ids: Ids | None) -> Response:
    status, retry_after = injection.status, injection.retry_after
    if service == "entra":
        if status == 429:
            return entra_error(
                429,
                "temporarily_unavailable",
                90055,
                "There are too many incoming requests. Please try again later.",
                retry_after=retry_after,
            )
        return entra_error(status, "server_error", 90033, "A transient error has occurred. Please try again.")
    if service == "exchange":
        if status == 429:
            return exchange_error(
                429, "TooManyRequests", "Too many requests. Please retry later.", retry_after=retry_after
            )
        return exchange_error(status, "InternalServerError", "A server side error has occurred.")
    ids = ids or Ids(None)
    if status == 429:
        message = (
            f"Too many requests from Identifier:{tenant_id} under category:throttle.aad.ags.msgraph.tenant. "
            "Please try again later."
        )
        return graph_error(429, "TooManyRequests", message, ids, retry_after=retry_after)
    code, message = _GRAPH_FAILURES[status]
    return graph_error(status, code, message, ids, retry_after=retry_after)
