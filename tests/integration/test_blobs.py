"""The blob adapter against Azurite."""

from datetime import timedelta

import httpx
import pytest

from core.bootstrap import Services
from core.store import NotFound


async def test_put_get_list_delete(services: Services, unique_id: str) -> None:
    blobs, container = services.blobs, services.settings.reports_container
    await blobs.put(container, f"reports/{unique_id}/a.pdf", b"%PDF-a", "application/pdf")
    await blobs.put(container, f"reports/{unique_id}/b.pdf", b"%PDF-b", "application/pdf")
    assert await blobs.get(container, f"reports/{unique_id}/a.pdf") == b"%PDF-a"
    assert await blobs.list(container, f"reports/{unique_id}/") == [
        f"reports/{unique_id}/a.pdf",
        f"reports/{unique_id}/b.pdf",
    ]
    await blobs.delete(container, f"reports/{unique_id}/a.pdf")
    assert await blobs.list(container, f"reports/{unique_id}/") == [f"reports/{unique_id}/b.pdf"]


async def test_missing_blob_is_not_found(services: Services, unique_id: str) -> None:
    with pytest.raises(NotFound):
        await services.blobs.get(services.settings.reports_container, f"{unique_id}/missing.pdf")
    with pytest.raises(NotFound):
        await services.blobs.delete(services.settings.reports_container, f"{unique_id}/missing.pdf")


async def test_read_url_reads_but_cannot_write(services: Services, unique_id: str) -> None:
    container, name = services.settings.reports_container, f"reports/{unique_id}/r.pdf"
    await services.blobs.put(container, name, b"%PDF-report", "application/pdf")
    url = await services.blobs.read_url(container, name, timedelta(minutes=5))
    async with httpx.AsyncClient() as client:
        got = await client.get(url)
        assert got.status_code == 200
        assert got.content == b"%PDF-report"
        assert got.headers["content-type"] == "application/pdf"
        overwrite = await client.put(url, content=b"evil", headers={"x-ms-blob-type": "BlockBlob"})
        assert overwrite.status_code == 403
        unsigned = await client.get(url.split("?")[0])
        assert unsigned.status_code in (403, 404)
    assert await services.blobs.get(container, name) == b"%PDF-report"


async def test_expired_read_url_is_refused(services: Services, unique_id: str) -> None:
    container, name = services.settings.reports_container, f"reports/{unique_id}/old.pdf"
    await services.blobs.put(container, name, b"%PDF", "application/pdf")
    url = await services.blobs.read_url(container, name, timedelta(seconds=-1))
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 403
