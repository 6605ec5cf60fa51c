"""Executive reports of one tenant: generate, list, download (streamed) or a short-lived link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from core import errors
from core.auth.principals import Grant
from core.auth.roles import Action
from core.lazy import lazy_module
from core.store import NotFound
from functions.api.auth import PrincipalDep, actor, require
from functions.api.deps import ServicesDep, known_query_parameters
from functions.api.examples import PDF

if TYPE_CHECKING:
    from core import summaries
    from core.reports import service
else:
    summaries = lazy_module("core.summaries")  # mail and the PDF, at the first summary sent
    service = lazy_module("core.reports.service")  # the check catalogue, at the first report

router = APIRouter(tags=["reports"], dependencies=[Depends(known_query_parameters())])
GenerateReport = Annotated[Grant, Depends(require(Action.GENERATE_REPORT))]
ViewTenant = Annotated[Grant, Depends(require(Action.VIEW_TENANT))]
SendSummary = Annotated[Grant, Depends(require(Action.SEND_SUMMARY))]
ScanId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,80}$")]


def _tenant(grant: Grant) -> str:
    assert grant.tenant_id is not None
    return grant.tenant_id


def _out(report: service.ReportRecord, tenant_id: str) -> dict[str, Any]:
    shown = report.model_dump(
        by_alias=True, mode="json", include={"scan_id", "size_bytes", "generated_at", "score", "branded"}
    )
    return {**shown, "download": f"/api/tenants/{tenant_id}/reports/{report.scan_id}"}


@router.post("/tenants/{tenant_id}/reports", status_code=201)
async def generate(
    tenant_id: str, grant: GenerateReport, principal: PrincipalDep, services: ServicesDep, request: Request
) -> dict[str, Any]:
    """A report of the latest scan, in the customer's branding (replacing one for the same scan)."""
    report = await service.generate_report(services, grant.org_id, _tenant(grant), actor(request, principal))
    return _out(report, _tenant(grant))


@router.post("/tenants/{tenant_id}/reports/send", status_code=202)
async def send_now(
    tenant_id: str, grant: SendSummary, principal: PrincipalDep, services: ServicesDep, request: Request
) -> dict[str, Any]:
    """Mail the summary with the latest report to the customer's recipients now (MSP roles)."""
    period = f"now-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    delivery = await summaries.send_summary(
        services, grant.org_id, _tenant(grant), actor(request, principal), period=period
    )
    return delivery.model_dump(
        by_alias=True,
        mode="json",
        include={"period", "status", "attempts", "recipients", "attached", "error", "scan_id"},
    )


@router.get("/tenants/{tenant_id}/reports")
async def reports(tenant_id: str, grant: ViewTenant, services: ServicesDep) -> list[dict[str, Any]]:
    return [_out(r, _tenant(grant)) for r in await service.list_reports(services, grant.relationship)]


@router.get(
    "/tenants/{tenant_id}/reports/{scan_id}", response_class=Response, responses={200: {"content": PDF}}
)
async def download(tenant_id: str, scan_id: ScanId, grant: ViewTenant, services: ServicesDep) -> Response:
    try:
        pdf = await service.read_report(services, grant.relationship, scan_id)
    except NotFound as exc:
        raise errors.NotFound("no such report") from exc
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "content-disposition": f'attachment; filename="scanposture-{scan_id}.pdf"',
            "cache-control": "private, no-store",
        },
    )


@router.get("/tenants/{tenant_id}/reports/{scan_id}/link")
async def link(tenant_id: str, scan_id: ScanId, grant: ViewTenant, services: ServicesDep) -> dict[str, Any]:
    """A read-only link that expires after REPORT_LINK_MINUTES, for handing to a browser."""
    try:
        url, expires_at = await service.report_link(services, grant.relationship, scan_id)
    except NotFound as exc:
        raise errors.NotFound("no such report") from exc
    return {"url": url, "expiresAt": expires_at}
