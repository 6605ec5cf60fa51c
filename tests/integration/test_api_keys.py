"""API keys: shown once, stored hashed, expiring, revocable, and authorised like people."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
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
from tests.world import World


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


# -- through the API ------------------------------------------------------------------------------


async def _admin_key(services: Services, org_id: str) -> tuple[str, str, str]:
    """A working MSP-admin key of `org_id`: (the whole key, its key id, its secret)."""
    issued = await create_api_key(
        services.store,
        org_id,
        name=f"probe-{uuid.uuid4().hex[:6]}",
        role=Role.MSP_ADMIN,
        expires_at=datetime.now(UTC) + timedelta(days=1),
        created_by={"kind": "test"},
    )
    return issued.secret_key, issued.key_id, issued.secret_key.rsplit(".", 1)[1]


def _bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


async def test_garbage_keys_are_401_and_never_reach_another_document(
    client: httpx.AsyncClient, api_services: Services, world: World
) -> None:
    key, key_id, secret = await _admin_key(api_services, world.org_a)
    org = world.org_a
    assert (await client.get("/api/fleet", headers=_bearer(key))).status_code == 200
    garbage = [
        f"spk.{org}.x/../apikey:{key_id}.{secret}",  # a key id that walks to the real key's document
        f"spk.{org}.x/..\\apikey:{key_id}.{secret}",
        f"spk.{org}./apikey:{key_id}.{secret}",
        f"spk.{org}.{key_id}/.{secret}",
        f"spk.{org}.{key_id}?.{secret}",
        f"spk.{org}.{key_id}#.{secret}",
        f"spk.{org}.%2e%2e.{secret}",
        f"spk.{org}.{key_id.upper()}.{secret}",
        f"spk.{org}.{key_id}.{secret}x",
        f"spk.{org}/...{key_id}.{secret}",
        f"spk..{key_id}.{secret}",
        f"spk.{org}..{secret}",
        f"spk.{org}.{key_id}.",
        "spk.",
        "spk...",
        "spk.a.b.c",
        "spk." + "a" * 5000,
        f"spk.{org}.{key_id}.{secret}.extra",
        f"spk.{org}.{key_id}.{secret[:-1]}\x7f",
    ]
    for value in garbage:
        response = await client.get("/api/fleet", headers=_bearer(value))
        assert response.status_code == 401, (value, response.status_code, response.text[:300])
        assert "Xylophone" not in response.text, value


async def test_expiry_must_carry_a_time_zone_and_lie_ahead(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    admin = _bearer(tokens["msp_admin_a"])
    for expires, why in (
        ("2030-01-01T00:00:00", "no time zone"),
        ((datetime.now(UTC) + timedelta(days=3)).replace(tzinfo=None).isoformat(), "no time zone"),
        ("2020-01-01T00:00:00Z", "past"),
        ((datetime.now(UTC) - timedelta(minutes=1)).isoformat(), "just past"),
        ((datetime.now(UTC) + timedelta(days=400)).isoformat(), "beyond a year"),
    ):
        response = await client.post(
            "/api/api-keys", headers=admin, json={"name": "tz probe", "expiresAt": expires}
        )
        assert response.status_code == 400, (why, response.status_code, response.text)
        assert "expiresAt" in response.json()["detail"], why
    names = [k["name"] for k in (await client.get("/api/api-keys", headers=admin)).json()]
    assert "tz probe" not in names


async def test_keys_cannot_manage_keys_or_the_team(
    client: httpx.AsyncClient, api_services: Services, tokens: dict[str, str], world: World
) -> None:
    key, key_id, _ = await _admin_key(api_services, world.org_a)
    as_key = _bearer(key)
    member = world.member_id("target_viewer_x")
    tenant = world.tenant_x
    admin = _bearer(tokens["msp_admin_a"])
    # Other tests may have changed the shared team already: compare with what it was just before.
    before = (await client.get(f"/api/tenants/{tenant}/members", headers=admin)).json()
    refused = [
        ("GET", "/api/api-keys", None),
        ("POST", "/api/api-keys", {"name": "child", "expiresAt": "2099-01-01T00:00:00Z"}),
        ("DELETE", f"/api/api-keys/{key_id}", None),
        ("POST", "/api/team/invitations", {"email": "new@probe.example", "role": "msp_admin"}),
        ("GET", "/api/team/members", None),
        ("PATCH", f"/api/team/members/{member}", {"role": "msp_admin"}),
        ("DELETE", f"/api/team/members/{member}", None),
        ("POST", f"/api/tenants/{tenant}/invitations", {"email": "v@p.example", "role": "customer_admin"}),
        ("GET", f"/api/tenants/{tenant}/members", None),
        ("PATCH", f"/api/tenants/{tenant}/members/{member}", {"role": "customer_admin"}),
        ("DELETE", f"/api/tenants/{tenant}/members/{member}", None),
    ]
    for method, path, body in refused:
        response = await client.request(method, path, headers=as_key, json=body)
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        assert "API key" in response.json()["detail"], (method, path)
    # The key still does what its role allows elsewhere, and a person still manages keys.
    assert (await client.get("/api/webhooks", headers=as_key)).status_code == 200
    listed = (await client.get("/api/api-keys", headers=admin)).json()
    assert key_id in [k["keyId"] for k in listed]
    assert not any(k["name"] == "child" for k in listed)
    members = (await client.get(f"/api/tenants/{tenant}/members", headers=admin)).json()
    assert members == before, "the key changed the tenant's members"
