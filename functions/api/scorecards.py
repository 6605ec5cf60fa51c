"""Framework scorecards (CIS v5.0.0 profiles, CISA SCuBA) per tenant, the fleet compliance matrix
(MSP roles) and a tenant's peer position (issue 22). Thin: each route calls one core use case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from core import errors
from core.auth.principals import Grant
from core.auth.roles import Action
from core.compliance import BadSort, MatrixFilter, fleet_matrix
from core.customers import MAX_TAG_LENGTH
from core.frameworks.profiles import ProfileKey, profile
from core.frameworks.scorecard_view import (
    matrix_body,
    matrix_csv,
    scorecard_body,
    scorecard_csv,
    tenant_scorecard,
)
from core.peers import MIN_PEERS, peer_position
from functions.api.auth import require
from functions.api.deps import ServicesDep, known_query_parameters
from functions.api.examples import CSV

router = APIRouter(tags=["scorecards"])
ViewTenant = Annotated[Grant, Depends(require(Action.VIEW_TENANT))]
ViewFleet = Annotated[Grant, Depends(require(Action.VIEW_FLEET))]
ProfilePath = Annotated[
    ProfileKey,
    Path(description="cis-e3-l1, cis-e3-l2, cis-e5-l1, cis-e5-l2 (CIS v5.0.0), scuba-shall or scuba-all"),
]


def _csv(text: str, name: str) -> Response:
    return PlainTextResponse(
        text, media_type="text/csv", headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/tenants/{tenant_id}/scorecards/{profile_key}",
    dependencies=[Depends(known_query_parameters("format"))],
    responses={200: {"content": CSV}},
)
async def tenant_scorecard_route(
    tenant_id: str,
    profile_key: ProfilePath,
    grant: ViewTenant,
    services: ServicesDep,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Every control of the profile with its state (met, not met, partly assessed, not assessable
    with why, not automated), per section and overall the share met of those assessed."""
    card = await tenant_scorecard(
        services.store.relationship(grant.relationship), profile(profile_key), datetime.now(UTC)
    )
    if format == "csv":
        return _csv(scorecard_csv(card), f"scorecard-{profile_key}-{tenant_id}.csv")
    return scorecard_body(card)


@router.get(
    "/fleet/scorecards/{profile_key}",
    response_model=None,
    responses={200: {"content": CSV}},
    dependencies=[Depends(known_query_parameters("below", "name", "tag", "sort", "order", "format"))],
)
async def fleet_scorecard(
    profile_key: ProfilePath,
    grant: ViewFleet,
    services: ServicesDep,
    below: Annotated[
        float | None, Query(ge=0, le=100, description="Only customers whose share met is below this percent")
    ] = None,
    name: Annotated[str | None, Query(max_length=120)] = None,
    tag: Annotated[str | None, Query(max_length=MAX_TAG_LENGTH)] = None,
    sort: Annotated[str, Query(max_length=120, description="name, share or one of the sections")] = "name",
    order: Literal["asc", "desc"] = "asc",
    format: Literal["json", "csv"] = "json",
) -> Response:
    """Customers by the profile's sections, each cell the share of controls met of those assessed."""
    wanted = MatrixFilter(below=below, name=name, tag=tag, sort=sort, descending=order == "desc")
    try:
        matrix = await fleet_matrix(
            services.store.org(grant.org_id), profile(profile_key), wanted, datetime.now(UTC)
        )
    except BadSort as exc:
        raise errors.Refused(str(exc)) from exc
    if format == "csv":
        return _csv(matrix_csv(matrix), f"fleet-{profile_key}.csv")
    # orjson, as the fleet view does: 1,000 rows through a response model cost more than the read.
    return Response(orjson.dumps(matrix_body(matrix)), media_type="application/json")


class PeerPositionOut(BaseModel):
    """Where the tenant's score stands among its MSP's customers; nothing about any other one."""

    score: float | None
    percentile: int | None = Field(description="Share of the other scored customers scoring below it")
    median: int | None = Field(description="The fleet's median score, rounded")
    shown: bool = Field(description=f"False without a score, or with fewer than {MIN_PEERS} scored peers")


@router.get("/tenants/{tenant_id}/peers", dependencies=[Depends(known_query_parameters())])
async def tenant_peers(tenant_id: str, grant: ViewTenant, services: ServicesDep) -> PeerPositionOut:
    # The grant's relationship is the customer record's id (DESIGN.md, data model).
    position = await peer_position(services.store.org(grant.org_id), grant.relationship, datetime.now(UTC))
    return PeerPositionOut(**position.__dict__)
