from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobSasPermissions, ContentSettings, generate_blob_sas
from azure.storage.blob.aio import BlobServiceClient

from core.settings import Settings
from core.store.errors import NotFound, Unavailable, storage_retry
from core.wire import azure_client_options


def blob_service_from_settings(settings: Settings, **kwargs: Any) -> BlobServiceClient:
    kwargs = {**storage_retry(settings.storage_retry_total), **azure_client_options(), **kwargs}
    if settings.storage_connection is not None:
        return BlobServiceClient.from_connection_string(
            settings.storage_connection.get_secret_value(), **kwargs
        )
    if not settings.storage_blob_url:
        raise ValueError("set STORAGE_CONNECTION (local) or STORAGE_BLOB_URL (managed identity)")
    from azure.identity.aio import DefaultAzureCredential

    return BlobServiceClient(settings.storage_blob_url, credential=DefaultAzureCredential(), **kwargs)


class BlobStore:
    def __init__(self, service: BlobServiceClient) -> None:
        self._service = service

    async def ensure_containers(self, *names: str) -> None:
        for name in names:
            with contextlib.suppress(ResourceExistsError):
                await self._service.create_container(name)

    async def put(self, container: str, name: str, data: bytes, content_type: str) -> None:
        blob = self._service.get_blob_client(container, name)
        try:
            await blob.upload_blob(
                data, overwrite=True, content_settings=ContentSettings(content_type=content_type)
            )
        except AzureError as exc:
            raise Unavailable(f"could not write blob {container}/{name}: {type(exc).__name__}") from exc

    async def get(self, container: str, name: str) -> bytes:
        blob = self._service.get_blob_client(container, name)
        try:
            downloader = await blob.download_blob()
            return await downloader.readall()
        except ResourceNotFoundError as exc:
            raise NotFound("blob", f"{container}/{name}") from exc
        except AzureError as exc:
            raise Unavailable(f"could not read blob {container}/{name}: {type(exc).__name__}") from exc

    async def list(self, container: str, prefix: str = "") -> list[str]:
        client = self._service.get_container_client(container)
        try:
            return [b.name async for b in client.list_blobs(name_starts_with=prefix or None)]
        except ResourceNotFoundError:
            return []
        except AzureError as exc:
            raise Unavailable(f"could not list blobs in {container}: {type(exc).__name__}") from exc

    async def delete(self, container: str, name: str) -> None:
        blob = self._service.get_blob_client(container, name)
        try:
            await blob.delete_blob()
        except ResourceNotFoundError as exc:
            raise NotFound("blob", f"{container}/{name}") from exc
        except AzureError as exc:
            raise Unavailable(f"could not delete blob {container}/{name}: {type(exc).__name__}") from exc

    async def read_url(self, container: str, name: str, valid_for: timedelta) -> str:
        """A read-only SAS URL for one blob that expires after `valid_for`.

        Account-key SAS where the client holds the key (Azurite, where user-delegation SAS does not
        work with current SDKs); user-delegation SAS under managed identity in Azure.
        """
        blob = self._service.get_blob_client(container, name)
        now = datetime.now(UTC)
        # Start a little in the past so a client clock slightly behind still accepts the link.
        start, expiry = now - timedelta(minutes=2), now + valid_for
        permission = BlobSasPermissions(read=True)
        credential = self._service.credential
        account_key = getattr(credential, "account_key", None)
        signer: dict[str, Any] = (
            {"account_key": account_key}
            if account_key
            else {"user_delegation_key": await self._service.get_user_delegation_key(start, expiry)}
        )
        token = generate_blob_sas(
            account_name=self._service.account_name or "",
            container_name=container,
            blob_name=name,
            permission=permission,
            start=start,
            expiry=expiry,
            **signer,
        )
        return f"{blob.url}?{token}"

    async def ping(self) -> None:
        await self._service.get_service_properties()

    async def close(self) -> None:
        await self._service.close()
