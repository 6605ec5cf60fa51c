"""The one place `core.errors` becomes HTTP: each kind of ScanPostureError to its status, with
FastAPI's `{"detail": "..."}` body so clients and the portal see the same shape as before."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from core import errors

log = logging.getLogger(__name__)

# The kinds, in no particular order: a class's own MRO decides which comes first, so
# `NotAllowed(Forbidden, TeamError)` answers 403 although every TeamError is Refused.
STATUS: dict[type[errors.ScanPostureError], int] = {
    errors.Refused: 400,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Unavailable: 503,
}
# Retry-After when an Unavailable does not say: the store's own retries have already waited ~9 s.
DEFAULT_RETRY_AFTER = 5
UNAVAILABLE_DETAIL = "a service ScanPosture depends on is unavailable"


def status_of(exc: errors.ScanPostureError) -> int | None:
    """The HTTP status of the nearest kind in the exception's class hierarchy; None for none."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return None


async def answer_error(_: Request, exc: Exception) -> Response:
    """The exception handler for ScanPostureError, registered once in `create_api`."""
    assert isinstance(exc, errors.ScanPostureError)
    status = status_of(exc)
    if status is None:  # raised without a kind: a bug, answered as any unhandled exception
        log.error("%s without a kind reached the API", type(exc).__name__, exc_info=exc)
        return PlainTextResponse("Internal Server Error", status_code=500)
    if isinstance(exc, errors.Unavailable):
        # Its message names internal services and document ids: logged, not shown.
        log.warning("answering 503: %s", exc, exc_info=exc)
        seconds = max(0, int(exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER))
        return JSONResponse(
            {"detail": f"{UNAVAILABLE_DETAIL}; try again in {seconds} seconds"},
            status_code=status,
            headers={"Retry-After": str(seconds)},
        )
    body: dict[str, object] = {"detail": str(exc)}
    if exc.field is not None:  # the same shape as a 400 for an invalid field (functions/api)
        body["errors"] = [{"field": exc.field, "message": str(exc)}]
    if exc.confirm is not None:
        body["confirm"] = exc.confirm
    return JSONResponse(body, status_code=status)
