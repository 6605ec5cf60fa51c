"""Adapters for Cosmos DB, Blob storage and Queue storage."""

from core.store.errors import (
    AccessDenied,
    AlreadyExists,
    Conflict,
    InvalidId,
    NotFound,
    StoreError,
    Unavailable,
)
from core.store.partitions import OrgRepository, RelationshipRepository, TenantRepository
from core.store.repository import Page, StoredItem

__all__ = [
    "AccessDenied",
    "AlreadyExists",
    "Conflict",
    "InvalidId",
    "NotFound",
    "OrgRepository",
    "Page",
    "RelationshipRepository",
    "StoreError",
    "StoredItem",
    "TenantRepository",
    "Unavailable",
]
