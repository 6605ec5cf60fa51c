"""Adapters for Cosmos DB, Blob storage and Queue storage."""

from core.store.errors import AlreadyExists, Conflict, NotFound, StoreError, Unavailable
from core.store.repository import OrgRepository, Page, StoredItem, TenantRepository

__all__ = [
    "AlreadyExists",
    "Conflict",
    "NotFound",
    "OrgRepository",
    "Page",
    "StoreError",
    "StoredItem",
    "TenantRepository",
    "Unavailable",
]
