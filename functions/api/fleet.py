"""The fleet view, cross-tenant search and the fleet-wide findings export (MSP roles)."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from pydantic.alias_generators import to_camel

from core import errors
from core.answers import Built, cached_answer
from core.auth.principals import Grant
from core.auth.roles import Action
from core.customers import MAX_TAG_LENGTH, ConnectionState
from core.exports import fleet_rows, to_csv
from core.fleet import (
    DEFAULT_FLEET_PAGE,
    MAX_FLEET_PAGE,
    STALE_AFTER,
    BandFilter,
    FleetFilter,
    FleetRow,
    FleetSummary,
    FleetView,
    SortKey,
    fleet_overview,
    fleet_page,
)
from core.frameworks.mappings import framework_ids
from core.frameworks.scorecard_view import matrix_body
from core.paging import BadPageToken
from core.search import MAX_QUERY_LENGTH, SearchAnswer, answer_search
from core.search_words import suggest_checks
from functions.api.auth import require
from functions.api.conditional import conditional
from functions.api.deps import ServicesDep, known_query_parameters
from functions.api.examples import CSV

router = APIRouter(tags=["fleet"])
ViewFleet = Annotated[Grant, Depends(require(Action.VIEW_FLEET))]
SearchFleet = Annotated[Grant, Depends(require(Action.SEARCH_FLEET))]


class FleetCustomerOut(BaseModel):
    customerId: str
    tenantId: str | None
    displayName: str
    primaryDomain: str
    state: str
    connectionSince: datetime | None
    connectionErrorCode: str | None
    score: float | None
    scoreChange: float | None
    lastScanAt: datetime | None
    openPriorityCount: int
    failingCount: int
    acceptedCount: int
    trend: list[float | None]
    tags: list[str]
    cancelledOn: date | None
    stale: bool = Field(description="Last scanned more than 7 days ago, or connected and never scanned")


class FleetSummaryOut(BaseModel):
    """The whole fleet at a glance, whatever filter the table has."""

    customers: int
    scored: int = Field(description="Customers with a score")
    averageScore: float | None = Field(description="Mean score of the scored customers, one decimal")
    bands: dict[str, int] = Field(
        description="Customers per score band (good, fair, poor; the thresholds are in GET /api/config) "
        "and unscored"
    )
    openPriorities: int = Field(description="Open P1 findings across the fleet")
    customersWithOpenPriorities: int
    stale: int = Field(description="Customers whose last scan is stale (see staleAfterDays)")
    staleAfterDays: int
    connectionProblems: int = Field(description="Customers whose connection is lost")
    distribution: list[int] = Field(
        description="Customers per 10-point score bucket: 0-9.9, 10-19.9, ... 90-100"
    )


class FleetOut(BaseModel):
    total: int = Field(description="Customers the filter keeps (on every page, when paged)")
    customers: list[FleetCustomerOut]
    tags: list[str]  # every tag in the org, for the filter, whatever this page's filter
    summary: FleetSummaryOut
    nextPageToken: str | None = Field(
        None, description="Only when pageSize or pageToken is given: the next page's token, or null"
    )


def summary_body(summary: FleetSummary) -> dict[str, Any]:
    return {
        "customers": summary.customers,
        "scored": summary.scored,
        "averageScore": summary.average_score,
        "bands": summary.bands,
        "openPriorities": summary.open_priorities,
        "customersWithOpenPriorities": summary.customers_with_open_priorities,
        "stale": summary.stale,
        "staleAfterDays": STALE_AFTER.days,
        "connectionProblems": summary.connection_problems,
        "distribution": summary.distribution,
    }


@router.get(
    "/fleet",
    response_model=None,
    responses={200: {"model": FleetOut}},
    dependencies=[
        Depends(
            known_query_parameters(
                "state",
                "minScore",
                "maxScore",
                "name",
                "sort",
                "order",
                "tag",
                "band",
                "stale",
                "priorities",
                "pageSize",
                "pageToken",
            )
        )
    ],
)
async def fleet(
    request: Request,
    grant: ViewFleet,
    services: ServicesDep,
    state: ConnectionState | None = None,
    minScore: Annotated[float | None, Query(ge=0, le=100)] = None,
    maxScore: Annotated[float | None, Query(ge=0, le=100)] = None,
    name: Annotated[str | None, Query(max_length=120)] = None,
    sort: SortKey = "name",
    order: Literal["asc", "desc"] = "asc",
    tag: Annotated[str | None, Query(max_length=MAX_TAG_LENGTH)] = None,
    band: Annotated[
        BandFilter | None, Query(description="Customers in one score band, or unscored ones")
    ] = None,
    stale: Annotated[
        bool | None, Query(description="true: only customers whose last scan is stale; false: only fresh")
    ] = None,
    priorities: Annotated[
        Literal["open"] | None, Query(description="open: only customers with open P1 findings")
    ] = None,
    pageSize: Annotated[
        int | None,
        Query(ge=1, le=MAX_FLEET_PAGE, description="Answer in pages of this many customers (default: all)"),
    ] = None,
    pageToken: Annotated[
        str | None, Query(max_length=4000, description="The previous page's nextPageToken")
    ] = None,
) -> Response:
    wanted = FleetFilter(
        state=state,
        min_score=minScore,
        max_score=maxScore,
        name=name,
        sort=sort,
        descending=order == "desc",
        band=band,
        stale=stale,
        open_priorities=priorities == "open",
        tag=tag,
    )
    org = services.store.org(grant.org_id)
    now = services.clock.now()

    async def build() -> Built:
        view = await fleet_overview(org, wanted, now)
        if pageSize is None and pageToken is None:
            return orjson.dumps(_fleet_body(view, view.rows)), view.until
        try:
            size = pageSize or DEFAULT_FLEET_PAGE
            rows, next_token = fleet_page(view.rows, wanted, grant.org_id, size, pageToken)
        except BadPageToken as exc:
            raise errors.Refused(f"pageToken: {exc}") from exc
        # Only a paged answer says nextPageToken: one without pages keeps the shape it always had.
        return orjson.dumps({**_fleet_body(view, rows), "nextPageToken": next_token}), view.until

    page = orjson.dumps([pageSize, pageToken]).decode()
    return conditional(request, await cached_answer(org, grant, f"fleet?{wanted}&{page}", now, build))


def _fleet_body(view: FleetView, rows: list[FleetRow]) -> dict[str, Any]:
    # Built as plain data and encoded with orjson: validating 1,000 rows through the response
    # model costs more than the rest of the request (bench/api.py). FleetOut documents the shape.
    return {
        "total": len(view.rows),
        "customers": [_row_body(r) for r in rows],
        "tags": view.tags,
        "summary": summary_body(view.summary),
    }


def _row_body(r: FleetRow) -> dict[str, Any]:
    c = r.customer
    return {
        "customerId": c.customer_id,
        "tenantId": c.tenant_id,
        "displayName": c.display_name,
        "primaryDomain": c.primary_domain,
        "state": c.connection.state.value,
        "connectionSince": c.connection.since,
        "connectionErrorCode": c.connection.error_code,
        "score": r.score,
        "scoreChange": c.summary.score_change,
        "lastScanAt": c.summary.last_scan_at,
        "openPriorityCount": r.open_priority_count,
        "failingCount": c.summary.failing_count,
        "acceptedCount": r.accepted_count,
        "trend": r.trend,
        "stale": r.stale,
        "tags": c.tags,
        "cancelledOn": c.cancelled_on,
    }


# A search answer renames the same few field names thousands of times; remember them.
_camel_key = functools.cache(to_camel)


def _camel(fields: dict[str, Any]) -> dict[str, Any]:
    return {_camel_key(k): v for k, v in fields.items()}


@router.get(
    "/search",
    response_model=None,
    responses={
        200: {
            "description": "Each matching check, best first, with its failing and unassessed customers; "
            "when none matches, suggestions; for a question such as 'customers below 80% of CIS "
            "Level 1', `compliance`: the fleet compliance matrix's rows below that share"
        }
    },
    dependencies=[Depends(known_query_parameters("check", "q"))],
)
async def search(
    request: Request,
    grant: SearchFleet,
    services: ServicesDep,
    check: Annotated[str | None, Query(max_length=80, description="A check id")] = None,
    q: Annotated[
        str | None,
        Query(max_length=MAX_QUERY_LENGTH, description="A question or words (titles, ids, framework ids)"),
    ] = None,
) -> Response:
    if not check and not (q or "").strip():
        raise errors.Refused("check or q: say what to search for")
    org, now = services.store.org(grant.org_id), services.clock.now()

    async def build() -> Built:
        answer = await answer_search(org, check_id=check, text=q, now=now)
        assert answer.until is not None
        return orjson.dumps(search_body(answer, check, q)), answer.until

    view = orjson.dumps({"check": check, "q": q}).decode()
    return conditional(request, await cached_answer(org, grant, f"search?{view}", now, build))


def search_body(answer: SearchAnswer, check: str | None, q: str | None) -> dict[str, Any]:
    matches = answer.matches
    # orjson, as for the fleet view: broad words match several checks across every customer, and
    # FastAPI's generic encoder was most of the request's time (bench/api.py, search by text).
    return {
        "matches": [
            {
                "checkId": m.check.id,
                "title": m.check.title,
                "category": m.check.category,
                "severity": m.check.severity.value,
                **framework_ids(m.check.id),
                "failing": [_camel(f.__dict__) for f in m.failing],
                "notAssessed": [_camel(u.__dict__) for u in m.unassessed],
                "passingCount": m.passing_count,
            }
            for m in matches
        ],
        # A question that matched no check gets the nearest ones, to search for by id instead.
        "suggestions": [
            {"checkId": c.id, "title": c.title}
            for c in ([] if matches or check or answer.compliance else suggest_checks(q or ""))
        ],
        # "customers below 80% of CIS Level 1": the fleet matrix's rows below that share.
        "compliance": None
        if answer.compliance is None
        else {**matrix_body(answer.compliance), "below": answer.below},
    }


@router.get(
    "/fleet/findings/export",
    dependencies=[Depends(known_query_parameters("format"))],
    responses={200: {"content": CSV}},
)
async def export_fleet(
    grant: ViewFleet, services: ServicesDep, format: Literal["csv", "json"] = "csv"
) -> Response:
    rows = await fleet_rows(services.store, services.store.org(grant.org_id), datetime.now(UTC))
    if format == "json":
        return JSONResponse(rows)
    return PlainTextResponse(
        to_csv(rows),
        media_type="text/csv",
        headers={"content-disposition": 'attachment; filename="fleet-findings.csv"'},
    )
