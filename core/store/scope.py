"""Which Cosmos identity serves the relationship partitions during one request.

A customer principal's request runs inside a `RelationshipScope`: `CosmosStore.relationship()`
then binds its repositories to containers seen through that principal's resource tokens, never to
the app's own client, so a route that forgot to authorise still reaches only the principal's own
partition — Cosmos DB refuses the rest (403). The scope is a context variable, set by the entry
point that authenticated the caller and reset when the request ends; MSP principals and background
jobs run outside any scope, with the app's identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

from azure.cosmos.aio import ContainerProxy

from core.store.errors import AccessDenied
from core.store.narrow_org import CustomerRows, OrgView


@dataclass(frozen=True)
class RelationshipScope:
    """The relationships container as the caller's tokens see it, per relationship id, and what
    of each org's partition the caller may touch (core/store/narrow_org.py)."""

    containers: Mapping[str, ContainerProxy]
    orgs: Mapping[str, OrgView]
    customer_rows: CustomerRows = field(default_factory=dict)  # core/store/narrow_org.py

    def org_view(self, org_id: str) -> OrgView:
        view = self.orgs.get(org_id)
        if view is None:
            raise AccessDenied(f"a customer's people may not reach org '{org_id}'")
        return view

    def container(self, relationship_id: str) -> ContainerProxy:
        """The container for `relationship_id`. Another relationship's id gets one of the caller's
        own token-bound containers anyway: the database, not this code, then refuses the request."""
        own = self.containers.get(relationship_id)
        if own is not None:
            return own
        for container in self.containers.values():
            return container
        raise AccessDenied("this caller holds no resource token for any relationship")


_current: ContextVar[RelationshipScope | None] = ContextVar("relationship_scope", default=None)


def current_scope() -> RelationshipScope | None:
    return _current.get()


def enter_scope(scope: RelationshipScope | None) -> Token[RelationshipScope | None]:
    return _current.set(scope)


def leave_scope(token: Token[RelationshipScope | None]) -> None:
    try:
        _current.reset(token)
    except ValueError:  # ended in another context than it began: clear this one instead
        _current.set(None)
