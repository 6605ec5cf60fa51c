"""API keys: shown once, stored hashed, expiring, revocable, and authorised like people."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core.auth.api_keys import (
    ApiKeyRejected,
    create_api_key,
    list_api_keys,
    principal_for_api_key,
    revoke_api_key,
)
from core.auth.principals import Forbidden, authorize
from core.auth.roles import Action, Role
from core.bootstrap import Services
from core.customers import register_customer


async def test_a_key_acts_for_its_org_with_its_role_until_revoked(services: Services) -> None:
    org_id = f"org.with.dots-{uuid.uuid4().hex[:6]}"
    tenant_id = str(uuid.uuid4())
    await register_customer(
        services.store.org(org_id),
        tenant_id=tenant_id,
        display_name="Keyed Ltd",
        primary_domain="keyed.example",
        connected=True,
    )
    issued = await create_api_key(
        services.store,
        org_id,
        name="ticketing sync",
        role=Role.MSP_ANALYST,
        expires_at=datetime.now(UTC) + timedelta(days=30),
        created_by={"kind": "test"},
    )
    assert issued.secret_key.startswith(f"spk.{org_id}.{issued.key_id}.")
    listed = await list_api_keys(services.store, org_id)
    assert [k["name"] for k in listed] == ["ticketing sync"]
    assert "secretHash" not in listed[0] and issued.secret_key.split(".")[-1] not in str(listed)

    principal = await principal_for_api_key(services.store, issued.secret_key)
    grant = await authorize(services.store, principal, Action.VIEW_TENANT, tenant_id=tenant_id)
    assert (grant.org_id, grant.role) == (org_id, Role.MSP_ANALYST)
    with pytest.raises(Forbidden):
        await authorize(services.store, principal, Action.MANAGE_BILLING)  # an analyst's key
    with pytest.raises(Forbidden):
        await authorize(services.store, principal, Action.VIEW_TENANT, tenant_id=str(uuid.uuid4()))

    await revoke_api_key(services.store, org_id, issued.key_id)
    with pytest.raises(ApiKeyRejected, match="revoked"):
        await principal_for_api_key(services.store, issued.secret_key)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda k: k[:-2] + "xx", "unknown"),
        (lambda k: k.replace("spk.", "spk.other-org.", 1), "unknown"),
        (lambda k: "spk.nothing", "malformed"),
    ],
)
async def test_forged_keys_are_rejected(services: Services, mutate: object, reason: str) -> None:
    org_id = f"org-{uuid.uuid4().hex[:6]}"
    issued = await create_api_key(
        services.store,
        org_id,
        name="k",
        role=Role.MSP_ADMIN,
        expires_at=datetime.now(UTC) + timedelta(days=1),
        created_by={},
    )
    with pytest.raises(ApiKeyRejected, match=reason):
        await principal_for_api_key(services.store, mutate(issued.secret_key))  # type: ignore[operator]


async def test_expiry_and_roles_are_checked(services: Services) -> None:
    org_id = f"org-{uuid.uuid4().hex[:6]}"
    with pytest.raises(ValueError, match="role"):
        await create_api_key(
            services.store,
            org_id,
            name="k",
            role=Role.CUSTOMER_ADMIN,
            expires_at=datetime.now(UTC) + timedelta(days=1),
            created_by={},
        )
    with pytest.raises(ValueError, match="expiresAt"):
        await create_api_key(
            services.store,
            org_id,
            name="k",
            role=Role.MSP_ADMIN,
            expires_at=datetime.now(UTC) + timedelta(days=400),
            created_by={},
        )
    issued = await create_api_key(
        services.store,
        org_id,
        name="k",
        role=Role.MSP_ADMIN,
        expires_at=datetime.now(UTC) + timedelta(seconds=1),
        created_by={},
    )
    stored = await services.store.org(org_id).get(f"apikey:{issued.key_id}")
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    await services.store.org(org_id).replace({**stored.body, "expiresAt": past}, stored.etag)
    with pytest.raises(ApiKeyRejected, match="expired"):
        await principal_for_api_key(services.store, issued.secret_key)
