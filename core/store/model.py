"""The base of every typed document: Python names in snake case, stored in camelCase, and
written back whole (`to_document`). The repositories of core/store/partitions.py read documents
into these models; use cases build them, never dicts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

# Stored as Python's isoformat ("+00:00"), the form every document has used, so that Cosmos SQL
# comparing timestamps as strings compares like with like.
Timestamp = Annotated[datetime, PlainSerializer(lambda at: at.isoformat(), return_type=str)]


def timestamp_text(at: datetime | None) -> str | None:
    """A timestamp as documents spell it (see `Timestamp`), for a plain dict or a CSV cell."""
    return at.isoformat() if at else None


class StoredModel(BaseModel):
    # Fields a document has and the model does not (its partition key; one a newer version added)
    # are kept as they are and written back with it, so a rewrite never loses data.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")
