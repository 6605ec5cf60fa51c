"""One tenant: dashboard, findings, a finding, scans, scan now, frameworks, exports and risk
acceptance. MSP staff reach every customer of their org; customer users their own tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from core import errors
from core.answers import Built, cached_answer, until_next_change
from core.auth.principals import Grant
from core.auth.roles import Action
from core.bootstrap import Services
from core.checks.model import Severity, Status
from core.customers import customer_of_tenant, get_customer
from core.drilldown import (
    TEXT_MAX,
    BadText,
    FindingFilter,
    acceptance_expiries,
    counts_of,
    dashboard_of,
    finding_detail,
    findings_page,
    scan_history,
)
from core.exports import tenant_rows, to_csv
from core.frameworks.coverage import Framework, framework_coverage
from core.lazy import lazy_module
from core.paging import BadPageToken
from core.risk import AcceptanceRefused, accept_risk, revoke_acceptance
from core.store import NotFound, RelationshipRepository
from core.store.documents import PENDING_ID
from functions.api.auth import PrincipalDep, actor, require
from functions.api.conditional import conditional, encode
from functions.api.deps import ServicesDep, known_query_parameters
from functions.api.examples import CSV

if TYPE_CHECKING:
    from core.scan import now as scanning
else:
    scanning = lazy_module("core.scan.now")  # scanning's queue side, at the first scan asked for

router = APIRouter(tags=["tenant"])
ViewTenant = Annotated[Grant, Depends(require(Action.VIEW_TENANT))]
RunScan = Annotated[Grant, Depends(require(Action.RUN_SCAN))]
AcceptRisk = Annotated[Grant, Depends(require(Action.ACCEPT_RISK))]
CHECK_ID = r"^[a-z0-9_.]{3,80}$"


def _data(services: Services, grant: Grant) -> RelationshipRepository:
    """The one partition this request may read: the relationship its grant names."""
    return services.store.relationship(grant.relationship)


def _tenant(grant: Grant) -> str:
    assert grant.tenant_id is not None  # tenant actions always grant exactly one tenant
    return grant.tenant_id


@router.get(
    "/tenants/{tenant_id}/dashboard",
    response_model=dict[str, Any],
    dependencies=[Depends(known_query_parameters())],
)
async def tenant_dashboard(
    tenant_id: str, request: Request, grant: ViewTenant, services: ServicesDep
) -> Response:
    org, now = services.store.org(grant.org_id), services.clock.now()

    async def build() -> Built:
        customer = await customer_of_tenant(org, _tenant(grant))
        if customer is None:  # removed since the grant was made
            raise NotFound("customer", _tenant(grant))
        findings = await _data(services, grant).findings()
        until = until_next_change([customer], now, extra=acceptance_expiries(findings))
        return encode(dashboard_of(findings, customer, now)), until

    return conditional(request, await cached_answer(org, grant, "dashboard", now, build))


FILTERS = ("status", "severity", "category", "framework", "new", "accepted", "text")
FINDING_FILTERS = (*FILTERS, "pageSize", "pageToken")


def finding_filter(
    status: Status | None = None,
    severity: Severity | None = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    framework: Literal["cis", "scuba"] | None = None,
    new: bool | None = None,
    accepted: bool | None = None,
    text: Annotated[str | None, Query(max_length=TEXT_MAX)] = None,
) -> FindingFilter:
    """The findings' filters, the same for a page and for an export of them."""
    try:
        return FindingFilter(status, severity, category, framework, new, accepted, text)
    except BadText as exc:
        raise errors.Refused(str(exc)) from exc
    except ValueError as exc:
        raise errors.Refused(f"category: {exc}") from exc


FilterDep = Annotated[FindingFilter, Depends(finding_filter)]


@router.get(
    "/tenants/{tenant_id}/findings",
    response_model=dict[str, Any],
    dependencies=[Depends(known_query_parameters(*FINDING_FILTERS))],
)
async def findings(
    tenant_id: str,
    request: Request,
    grant: ViewTenant,
    services: ServicesDep,
    wanted: FilterDep,
    pageSize: Annotated[int, Query(ge=1, le=100)] = 50,
    pageToken: Annotated[str | None, Query(max_length=4000)] = None,
) -> Response:
    org, now, tenant = services.store.org(grant.org_id), services.clock.now(), _data(services, grant)

    async def build() -> Built:
        try:
            items, next_token = await findings_page(
                tenant, wanted, page_size=pageSize, page_token=pageToken, now=now
            )
        except BadPageToken as exc:
            raise errors.Refused(f"pageToken: {exc}") from exc
        every = await tenant.findings()
        body = {"items": items, "nextPageToken": next_token, "counts": counts_of(every)}
        return encode(body), until_next_change((), now, extra=acceptance_expiries(every))

    view = orjson.dumps([repr(wanted), pageSize, pageToken]).decode()
    return conditional(request, await cached_answer(org, grant, f"findings?{view}", now, build))


@router.get(
    "/tenants/{tenant_id}/findings/export",
    dependencies=[Depends(known_query_parameters("format", *FILTERS))],
    responses={200: {"content": CSV}},
)
async def export_findings(
    tenant_id: str,
    grant: ViewTenant,
    services: ServicesDep,
    wanted: FilterDep,
    format: Literal["csv", "json"] = "csv",
) -> Response:
    customer, _ = await get_customer(services.store.org(grant.org_id), _tenant(grant))
    now = datetime.now(UTC)
    rows = await tenant_rows(services.store, customer, now, wanted.query(now))
    if format == "json":
        return JSONResponse(rows)
    name = f"findings-{customer.primary_domain}.csv"
    return PlainTextResponse(
        to_csv(rows), media_type="text/csv", headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.get("/tenants/{tenant_id}/findings/{check_id}", dependencies=[Depends(known_query_parameters())])
async def finding(
    tenant_id: str,
    check_id: Annotated[str, Path(pattern=CHECK_ID)],
    grant: ViewTenant,
    services: ServicesDep,
) -> dict[str, Any]:
    try:
        return await finding_detail(_data(services, grant), check_id, datetime.now(UTC))
    except NotFound as exc:
        raise errors.NotFound(f"no finding for check '{check_id}' in this tenant") from exc


@router.get(
    "/tenants/{tenant_id}/scans", dependencies=[Depends(known_query_parameters("pageSize", "pageToken"))]
)
async def scans(
    tenant_id: str,
    grant: ViewTenant,
    services: ServicesDep,
    pageSize: Annotated[int, Query(ge=1, le=100)] = 20,
    pageToken: Annotated[str | None, Query(max_length=4000)] = None,
) -> dict[str, Any]:
    try:
        items, next_token = await scan_history(
            _data(services, grant), page_size=pageSize, page_token=pageToken
        )
    except BadPageToken as exc:
        raise errors.Refused(f"pageToken: {exc}") from exc
    return {"items": items, "nextPageToken": next_token}


@router.post("/tenants/{tenant_id}/scans", status_code=202, dependencies=[Depends(known_query_parameters())])
async def scan_now(
    tenant_id: str,
    grant: RunScan,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    ticket = await scanning.request_scan(services, grant, actor(request, principal))
    location = f"/api/tenants/{_tenant(grant)}/scans/{ticket.scan_id}"
    response.headers["location"] = location
    return {
        "scanId": ticket.scan_id,
        "status": ticket.status,
        "requestedAt": ticket.requested_at,
        "alreadyQueued": not ticket.created,
        "watch": location,
    }


@router.get("/tenants/{tenant_id}/scans/{scan_id}", dependencies=[Depends(known_query_parameters())])
async def scan_status(
    tenant_id: str,
    scan_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,80}$")],
    grant: ViewTenant,
    services: ServicesDep,
) -> dict[str, Any]:
    repo = _data(services, grant)
    scan = await repo.find_scan(scan_id)
    if scan is not None:
        return scan.public()
    pending = await repo.find(PENDING_ID)
    if pending is not None and pending.body["scanId"] == scan_id:
        return {
            "scanId": scan_id,
            "status": pending.body["status"],
            "requestedAt": pending.body["requestedAt"],
        }
    raise errors.NotFound("no such scan")


@router.get("/tenants/{tenant_id}/frameworks/{framework}", dependencies=[Depends(known_query_parameters())])
async def frameworks(
    tenant_id: str, framework: Framework, grant: ViewTenant, services: ServicesDep
) -> dict[str, Any]:
    return await framework_coverage(_data(services, grant), framework, datetime.now(UTC))


class AcceptanceIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "justification": "Legacy scanner relay until the March migration",
                    "expiresAt": "2027-03-31T00:00:00Z",
                }
            ]
        },
    )
    justification: str = Field(min_length=10, max_length=2000)
    expiresAt: datetime


@router.put(
    "/tenants/{tenant_id}/findings/{check_id}/acceptance", dependencies=[Depends(known_query_parameters())]
)
async def accept(
    tenant_id: str,
    check_id: Annotated[str, Path(pattern=CHECK_ID)],
    body: AcceptanceIn,
    grant: AcceptRisk,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> dict[str, Any]:
    accepted = await accept_risk(
        services,
        grant,
        actor(request, principal),
        check_id=check_id,
        justification=body.justification,
        expires_at=body.expiresAt,
    )
    return accepted.to_document()


@router.delete(
    "/tenants/{tenant_id}/findings/{check_id}/acceptance", dependencies=[Depends(known_query_parameters())]
)
async def revoke(
    tenant_id: str,
    check_id: Annotated[str, Path(pattern=CHECK_ID)],
    grant: AcceptRisk,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> dict[str, Any]:
    try:
        revoked = await revoke_acceptance(services, grant, actor(request, principal), check_id=check_id)
        return revoked.to_document()
    except AcceptanceRefused as exc:  # revoking what is not there: not found, not refused
        raise errors.NotFound(str(exc)) from exc
