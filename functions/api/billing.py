"""Billing (MSP admins only): the price plan, cancelling a customer, usage, and invoice previews as
JSON, CSV or a PDF in the MSP's branding."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from core import errors
from core.auth.principals import Grant
from core.auth.roles import Action
from core.billing.documents import invoice_csv
from core.billing.invoice import Invoice, Period
from core.billing.metering import usage_between
from core.billing.pricing import PricePlan
from core.billing.service import (
    cancel_customer,
    get_plan,
    invoice_preview,
    plan_to_document,
    set_plan,
)
from core.branding import fleet_brand
from core.store import NotFound
from functions.api.auth import PrincipalDep, actor, require
from functions.api.deps import ServicesDep, known_query_parameters
from functions.api.examples import CSV, PDF

router = APIRouter(tags=["billing"])
ManageBilling = Annotated[Grant, Depends(require(Action.MANAGE_BILLING))]
Amount = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4)]


class PlanIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "currency": "EUR",
                    "bandRates": ["3.00", "2.50", "2.00", "1.50"],
                    "model": "volume",
                    "brandedOutputsAddon": "10.00",
                    "weeklyCadenceAddon": "5.00",
                    "bandBasis": "average",
                }
            ]
        },
    )
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])
    bandRates: list[Amount] = Field(
        min_length=4,
        max_length=4,
        description="Per user per month: <1,000, 1,000-4,999, 5,000-24,999, 25,000+ users across the fleet",
    )
    model: Literal["volume", "tiered"] = "volume"
    brandedOutputsAddon: Amount = Decimal("0")
    weeklyCadenceAddon: Amount = Decimal("0")
    bandBasis: Literal["average", "peak"] = "average"


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"cancelledOn": "2026-12-31"}]})
    cancelledOn: date


@router.get("/billing/plan", dependencies=[Depends(known_query_parameters())])
async def read_plan(grant: ManageBilling, services: ServicesDep) -> dict[str, Any]:
    plan = await get_plan(services, grant.org_id)
    return {"configured": plan is not None, **(plan_to_document(plan) if plan else {})}


@router.put("/billing/plan", dependencies=[Depends(known_query_parameters())])
async def write_plan(
    body: PlanIn, grant: ManageBilling, principal: PrincipalDep, services: ServicesDep, request: Request
) -> dict[str, Any]:
    plan = PricePlan(  # InvalidPlan is Refused: 400 with its message
        currency=body.currency.upper(),
        band_rates=tuple(body.bandRates),  # type: ignore[arg-type]
        model=body.model,
        branded_outputs_addon=body.brandedOutputsAddon,
        weekly_cadence_addon=body.weeklyCadenceAddon,
        band_basis=body.bandBasis,
    )
    return plan_to_document(await set_plan(services, grant.org_id, actor(request, principal), plan))


@router.post("/customers/{customer_id}/cancel", dependencies=[Depends(known_query_parameters())])
async def cancel(
    customer_id: str,
    body: CancelIn,
    grant: ManageBilling,
    principal: PrincipalDep,
    services: ServicesDep,
    request: Request,
) -> dict[str, Any]:
    try:
        customer = await cancel_customer(
            services, grant.org_id, actor(request, principal), customer_id, body.cancelledOn
        )
    except NotFound as exc:
        raise errors.NotFound("no such customer") from exc
    return {"customerId": customer.customer_id, "cancelledOn": customer.cancelled_on}


def _period(start: date, end: date) -> Period:
    return Period(start, end)  # InvalidPeriod is Refused: 400 with its message


@router.get("/billing/usage", dependencies=[Depends(known_query_parameters("start", "end"))])
async def usage(grant: ManageBilling, services: ServicesDep, start: date, end: date) -> list[dict[str, Any]]:
    period = _period(start, end)
    rows = await usage_between(services.store.org(grant.org_id), period.start, period.end)
    return sorted(rows, key=lambda r: (r["day"], r["customerId"]))


def _invoice_json(invoice: Invoice) -> dict[str, Any]:
    return {
        "start": invoice.period.start,
        "end": invoice.period.end,
        "currency": invoice.currency,
        "model": invoice.model,
        "bandBasis": invoice.band_basis,
        "basisTotalUsers": str(invoice.basis_total_users),
        "band": invoice.band,
        "rate": str(invoice.rate.quantize(Decimal("0.0001"))),
        "total": str(invoice.total),
        "lines": [
            {
                "customerId": line.customer_id,
                "customer": line.name,
                "activeDays": line.active_days,
                "averageUsers": str(line.average_users),
                "userAmount": str(line.user_amount),
                "brandedAmount": str(line.branded_amount),
                "weeklyAmount": str(line.weekly_amount),
                "amount": str(line.amount),
            }
            for line in invoice.lines
        ],
    }


@router.get(
    "/billing/invoice",
    dependencies=[Depends(known_query_parameters("start", "end", "format"))],
    responses={200: {"content": {**CSV, **PDF}}},
)
async def invoice(
    grant: ManageBilling,
    services: ServicesDep,
    start: date,
    end: date,
    format: Annotated[Literal["json", "csv", "pdf"], Query()] = "json",
) -> Any:
    preview = await invoice_preview(services, grant.org_id, _period(start, end))  # BillingRefused: 400
    if format == "csv":
        return PlainTextResponse(
            invoice_csv(preview),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="invoice-{start}-{end}.csv"'},
        )
    if format == "pdf":
        from core.billing.pdf import invoice_pdf  # fpdf2 loads only where PDFs are made

        brand = await fleet_brand(services, grant.org_id)
        pdf = await asyncio.to_thread(invoice_pdf, preview, brand, brand.msp_name, datetime.now(UTC))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"content-disposition": f'attachment; filename="invoice-{start}-{end}.pdf"'},
        )
    return _invoice_json(preview)
