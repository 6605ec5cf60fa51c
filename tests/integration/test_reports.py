"""Executive reports and email summaries end to end: a scanned tenant, branding, the PDF in Blob,
download and links through the API, and mail through the Graph simulator's sendMail."""

from __future__ import annotations

import base64
import io
import json
import random
from datetime import UTC, datetime

import httpx
import pytest
from PIL import Image
from pypdf import PdfReader

from core.audit import SYSTEM
from core.bootstrap import Services, build_services
from core.customers import get_customer, register_customer
from core.orgs import create_org
from core.scan.requests import ScanRequest
from core.scan.service import handle_scan_request
from core.summaries import send_summary
from devtools.graphsim.launcher import GraphSimulator
from devtools.graphsim.synthetic import synthetic_tenant
from tests.world import World, tenant_data

CUSTOMER = "Zürich Dental GmbH"
MSP = "Northwind IT Services"
RECIPIENT = "ceo@zuerich-dental.example"


def _bearer(tokens: dict[str, str], who: str = "reports_admin") -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[who]}"}


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
async def zurich(world: World, api_services: Services, graphsim: GraphSimulator) -> str:
    await create_org(api_services.store, world.org_d, MSP, "msp")
    tenant_id = graphsim.load_tenant(synthetic_tenant(25, seed=random.randint(1, 10**6), posture="weak"))
    await register_customer(
        api_services.store.org(world.org_d),
        tenant_id=tenant_id,
        display_name=CUSTOMER,
        primary_domain="zuerich-dental.example",
        report_recipients=[RECIPIENT],
        connected=True,
    )
    request = ScanRequest(org_id=world.org_d, tenant_id=tenant_id, request_id="report-1", reason="manual")
    assert (await handle_scan_request(api_services, json.dumps(request.to_message()))).startswith("completed")
    return tenant_id


async def test_a_branded_report_is_stored_downloadable_and_linked(
    client: httpx.AsyncClient, tokens: dict[str, str], zurich: str, api_services: Services
) -> None:
    logo = io.BytesIO()
    Image.new("RGB", (90, 40), (242, 193, 78)).save(logo, format="PNG")
    await client.put(
        "/api/branding", headers=_bearer(tokens), json={"primary": "#0B6E4F", "secondary": "#F2C14E"}
    )
    await client.put("/api/branding/logo", headers=_bearer(tokens), content=logo.getvalue())

    made = await client.post(f"/api/tenants/{zurich}/reports", headers=_bearer(tokens, "reports_analyst"))
    assert made.status_code == 201, made.text
    assert made.json()["branded"] is True
    # Stored under the relationship, never the tenant id another org could also manage.
    (relationship,) = await api_services.store.relationships_of(zurich)
    reports = api_services.settings.reports_container
    assert await api_services.blobs.list(reports, f"{zurich}/") == []
    rid = relationship.relationship_id
    assert await api_services.blobs.list(reports, f"{rid}/") == [f"{rid}/report-1.pdf"]

    download = await client.get(made.json()["download"], headers=_bearer(tokens))
    assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
    text = _text(download.content)
    assert CUSTOMER in text and f"Prepared by {MSP}" in text
    assert "Microsoft Teams" in text  # the weak tenant's Teams failures have their own category bar

    listed = (await client.get(f"/api/tenants/{zurich}/reports", headers=_bearer(tokens))).json()
    assert [r["scanId"] for r in listed] == ["report-1"]
    link = (await client.get(f"/api/tenants/{zurich}/reports/report-1/link", headers=_bearer(tokens))).json()
    async with httpx.AsyncClient() as browser:
        fetched = await browser.get(link["url"])
    assert fetched.status_code == 200 and fetched.content == download.content
    log = [
        e["action"]
        for e in (await client.get(f"/api/tenants/{zurich}/audit", headers=_bearer(tokens))).json()
    ]
    assert "report.generated" in log


async def test_send_now_mails_the_summary_with_the_pdf(
    client: httpx.AsyncClient, tokens: dict[str, str], zurich: str, graphsim: GraphSimulator
) -> None:
    before = len(graphsim.sent_mail(graphsim.provider_tenant_id))
    sent = await client.post(
        f"/api/tenants/{zurich}/reports/send", headers=_bearer(tokens, "reports_analyst")
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["status"] == "sent" and sent.json()["attached"] is True
    mail = graphsim.sent_mail(graphsim.provider_tenant_id)[before:]
    (message,) = mail
    assert message["recipients"] == [RECIPIENT]
    assert CUSTOMER in message["subject"]
    body = message["message"]["body"]["content"]
    assert "Posture score" in body and f"Prepared by {MSP}" in body and "#0B6E4F" in body
    (attachment,) = message["message"]["attachments"]
    pdf = base64.b64decode(attachment["contentBytes"])
    assert pdf.startswith(b"%PDF") and CUSTOMER in _text(pdf)


async def test_a_large_report_is_linked_and_a_failed_delivery_is_retried(
    api_settings: object, world: World, zurich: str, graphsim: GraphSimulator, api_services: Services
) -> None:
    from core.settings import Settings

    assert isinstance(api_settings, Settings)
    small_limit = build_services(api_settings.model_copy(update={"mail_attachment_limit_bytes": 100}))
    try:
        before = len(graphsim.sent_mail(graphsim.provider_tenant_id))
        delivery = await send_summary(small_limit, world.org_d, zurich, SYSTEM, period="test-linked")
        assert delivery.status == "sent" and delivery.attached is False
        (message,) = graphsim.sent_mail(graphsim.provider_tenant_id)[before:]
        assert message["message"]["attachments"] == []
        assert f"/#/tenants/{zurich}/reports/report-1" in message["message"]["body"]["content"]
    finally:
        await small_limit.close()

    graphsim.set_faults(graphsim.provider_tenant_id, fail_status=500, fail_path="/v1.0/users")
    try:
        failed = await send_summary(api_services, world.org_d, zurich, SYSTEM, period="test-retry")
    finally:
        graphsim.clear_faults(graphsim.provider_tenant_id)
    assert failed.status == "failed" and failed.attempts == 1 and "500" in failed.error
    # The report is not lost: it is still in Blob, and the retry sends it.
    retried = await send_summary(api_services, world.org_d, zurich, SYSTEM, period="test-retry")
    assert retried.status == "sent" and retried.attempts == 2


async def test_the_consent_link_can_be_emailed(
    client: httpx.AsyncClient, tokens: dict[str, str], graphsim: GraphSimulator
) -> None:
    added = await client.post(
        "/api/customers",
        headers=_bearer(tokens),
        json={"displayName": "Mailed Link Ltd", "primaryDomain": "mailed-link.example"},
    )
    customer_id = added.json()["customer"]["customerId"]
    before = len(graphsim.sent_mail(graphsim.provider_tenant_id))
    emailed = await client.post(
        f"/api/customers/{customer_id}/consent-link/email",
        headers=_bearer(tokens),
        json={"to": ["global.admin@mailed-link.example"]},
    )
    assert emailed.status_code == 202, emailed.text
    (message,) = graphsim.sent_mail(graphsim.provider_tenant_id)[before:]
    assert message["recipients"] == ["global.admin@mailed-link.example"]
    assert "/organizations/v2.0/adminconsent?" in message["message"]["body"]["content"]


async def test_the_daily_job_queues_each_owed_summary_and_the_worker_sends_it_once(
    zurich: str, world: World, graphsim: GraphSimulator, api_services: Services
) -> None:
    from core.summaries import enqueue_due_summaries, handle_summary_message, period_of
    from functions.local_host import QueueOptions, drain_summary_queue_once

    before = len(graphsim.sent_mail(graphsim.provider_tenant_id))
    first = await enqueue_due_summaries(api_services)
    assert first["queued"] >= 1
    options = QueueOptions.from_host_json()
    while await drain_summary_queue_once(api_services, options):
        pass
    mailed = graphsim.sent_mail(graphsim.provider_tenant_id)[before:]
    assert sum(m["recipients"] == [RECIPIENT] for m in mailed) == 1
    customer, _ = await get_customer(api_services.store.org(world.org_d), zurich)
    sent = (
        await (await tenant_data(api_services, zurich)).get(
            f"delivery:{period_of(customer, datetime.now(UTC))}"
        )
    ).body
    assert sent["status"] == "sent"
    # The same message delivered again (the queue promises at least once) sends nothing more.
    again = json.dumps({"orgId": world.org_d, "tenantId": zurich, "period": sent["period"]})
    assert await handle_summary_message(api_services, again) == "skipped: already sent"
    assert len(graphsim.sent_mail(graphsim.provider_tenant_id)) == before + len(mailed)
    assert await enqueue_due_summaries(api_services) == {"queued": 0}  # this period's went out already
    with pytest.raises(ValueError, match="malformed summary message"):
        await handle_summary_message(api_services, '{"orgId": "no tenant"}')
