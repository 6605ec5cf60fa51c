"""Integrations (MSP admins): webhook endpoints, their secrets, delivery log and test events; API
keys for automation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core import errors
from core.audit import record
from core.auth.api_keys import create_api_key, list_api_keys, revoke_api_key
from core.auth.principals import Grant
from core.auth.roles import Action, Role
from core.store import NotFound
from core.webhooks import endpoints
from core.webhooks.delivery import publish
from core.webhooks.egress import EgressPolicy
from core.webhooks.endpoints import EVENTS, create_endpoint
from functions.api.auth import PrincipalDep, actor, require
from functions.api.deps import ServicesDep, known_query_parameters

router = APIRouter(tags=["integrations"], dependencies=[Depends(known_query_parameters())])
ManageWebhooks = Annotated[Grant, Depends(require(Action.MANAGE_WEBHOOKS))]
ManageKeys = Annotated[Grant, Depends(require(Action.MANAGE_API_KEYS))]


class EndpointIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://tickets.example.com/hooks/scanposture",
                    "events": ["finding.opened"],
                    "description": "PSA tickets",
                }
            ]
        },
    )
    url: str = Field(max_length=2000, examples=["https://tickets.example.com/hooks/scanposture"])
    events: list[str] = Field(min_length=1, max_length=len(EVENTS), examples=[["scan.completed"]])
    description: str = Field(default="", max_length=200)


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "PSA sync", "role": "msp_analyst", "expiresAt": "2027-06-30T00:00:00Z"}]
        },
    )
    name: str = Field(min_length=1, max_length=80, examples=["PSA sync"])
    role: Literal["msp_admin", "msp_analyst"] = "msp_analyst"
    # A time without a zone is refused here (400 naming the field), not compared with now later.
    expiresAt: AwareDatetime


@router.get("/webhooks")
async def list_endpoints(grant: ManageWebhooks, services: ServicesDep) -> list[dict[str, Any]]:
    return [e.public() for e in await services.store.org(grant.org_id).webhook_endpoints()]


@router.post("/webhooks", status_code=201)
async def add_endpoint(
    body: EndpointIn, grant: ManageWebhooks, principal: PrincipalDep, services: ServicesDep, request: Request
) -> dict[str, Any]:
    """The signing secret is in this answer only; rotate it to get a new one."""
    endpoint = await create_endpoint(
        services.store.org(grant.org_id),
        url=body.url,
        events=body.events,
        description=body.description,
        policy=EgressPolicy.from_settings(services.settings),
    )
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor(request, principal),
        action="webhook.added",
        target={"endpointId": endpoint.endpoint_id, "url": endpoint.url, "events": endpoint.events},
    )
    return {
        "endpointId": endpoint.endpoint_id,
        "url": endpoint.url,
        "events": endpoint.events,
        "secret": endpoint.secret,
    }


@contextlib.contextmanager
def _known_endpoint() -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise errors.NotFound("no such webhook endpoint") from exc


@router.post("/webhooks/{endpoint_id}/rotate-secret")
async def rotate_secret(
    endpoint_id: str, grant: ManageWebhooks, principal: PrincipalDep, services: ServicesDep, request: Request
) -> dict[str, Any]:
    with _known_endpoint():
        rotated = await endpoints.rotate_secret(services.store.org(grant.org_id), endpoint_id)
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor(request, principal),
        action="webhook.secret_rotated",
        target={"endpointId": endpoint_id},
    )
    return {"endpointId": endpoint_id, "secret": rotated.secret}


@router.post("/webhooks/{endpoint_id}/enable")
async def enable(
    endpoint_id: str, grant: ManageWebhooks, principal: PrincipalDep, services: ServicesDep, request: Request
) -> dict[str, Any]:
    """Turn an endpoint back on after it was disabled for failing."""
    with _known_endpoint():
        enabled = await endpoints.enable_endpoint(services.store.org(grant.org_id), endpoint_id)
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor(request, principal),
        action="webhook.enabled",
        target={"endpointId": endpoint_id},
    )
    return enabled.public()


@router.post("/webhooks/{endpoint_id}/test", status_code=202)
async def send_test_event(endpoint_id: str, grant: ManageWebhooks, services: ServicesDep) -> dict[str, Any]:
    with _known_endpoint():
        endpoint, _ = await services.store.org(grant.org_id).webhook_endpoint(endpoint_id)
    if not endpoint.enabled:
        raise errors.Refused("endpointId: the endpoint is disabled; enable it first")
    event = endpoint.events[0]
    queued = await publish(services, grant.org_id, event, {"test": True, "endpointId": endpoint_id})
    return {"event": event, "queued": queued}


@router.get("/webhooks/{endpoint_id}/deliveries")
async def deliveries(endpoint_id: str, grant: ManageWebhooks, services: ServicesDep) -> list[dict[str, Any]]:
    org = services.store.org(grant.org_id)
    with _known_endpoint():
        await org.webhook_endpoint(endpoint_id)
    log = sorted(await org.webhook_deliveries(endpoint_id), key=lambda d: d.at, reverse=True)
    return [attempt.to_document() for attempt in log[:200]]


@router.get("/api-keys")
async def api_keys(grant: ManageKeys, services: ServicesDep) -> list[dict[str, Any]]:
    return await list_api_keys(services.store, grant.org_id)


@router.post("/api-keys", status_code=201)
async def add_api_key(
    body: ApiKeyIn, grant: ManageKeys, principal: PrincipalDep, services: ServicesDep, request: Request
) -> dict[str, Any]:
    """The key is in this answer only and is stored hashed."""
    who = actor(request, principal)
    try:
        issued = await create_api_key(
            services.store,
            grant.org_id,
            name=body.name,
            role=Role(body.role),
            expires_at=body.expiresAt,
            created_by=who.to_json(),
        )
    except ValueError as exc:
        raise errors.Refused(str(exc)) from exc
    await record(
        services.store,
        org_id=grant.org_id,
        actor=who,
        action="api_key.created",
        target={"keyId": issued.key_id, "name": body.name, "role": body.role},
    )
    return {"keyId": issued.key_id, "key": issued.secret_key, "expiresAt": issued.expires_at}


@router.delete("/api-keys/{key_id}", status_code=204)
async def delete_api_key(
    key_id: str, grant: ManageKeys, principal: PrincipalDep, services: ServicesDep, request: Request
) -> None:
    try:
        await revoke_api_key(services.store, grant.org_id, key_id)
    except NotFound as exc:
        raise errors.NotFound("no such API key") from exc
    await record(
        services.store,
        org_id=grant.org_id,
        actor=actor(request, principal),
        action="api_key.revoked",
        target={"keyId": key_id},
    )
